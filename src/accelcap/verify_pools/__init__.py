"""``tools/verify-pools CLUSTER``: are the cluster's pools done, on the live cluster?

One module per job:

- ``expected``: what the render says the cluster should have (Applications, pools with
  their labels, taints, instance type, market and bounds, operator objects, validation pods);
- ``live``: the cluster as read through ``accelcap.kube_client`` (each object read once);
- ``checks``: the checks, one small function each, and their registry (``CHECKS``);
- ``workload``: ``--workload``, the one part that writes (a validation pod, deleted again);
- ``output``: the report in each ``--format``; ``cli``: the command line.
"""
