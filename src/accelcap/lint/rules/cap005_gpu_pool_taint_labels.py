"""CAP005: GPU pools carry the nvidia.com/gpu taint, the gpu node role and the accelerator label."""

from __future__ import annotations

import typing as t

from ...catalog.instance_types import Accelerator, lookup
from ...catalog.machine_api import ACCELERATOR_LABEL
from ..context import LintContext
from ..examples import PoolYaml, Remove, Set, example
from ..provider import PROVIDER
from ..rule import Violation, rule

GPU_TAINT_KEY = "nvidia.com/gpu"
GPU_ROLE_LABEL = "node-role.kubernetes.io/gpu"
LABELS_PATH = "/spec/template/spec/metadata/labels"


@rule(
    "CAP005",
    "gpu-pool-taint-labels",
    "GPU pools are tainted and labelled",
    what=f"""A pool whose instance family is a GPU family (g*, p*) has the taint `{GPU_TAINT_KEY}`
    with effect `NoSchedule`, the node label `{GPU_ROLE_LABEL}` and the node label
    `{ACCELERATOR_LABEL}`, whose value is the project's label for the instance type
    (`accelcap.catalog.instance_types`). The pool's kind comes from the instance type, never from labels,
    so removing a label cannot make a GPU pool look ordinary. AMD GPU families (g4ad) are
    reported: nothing in this repository installs their driver.""",
    why=f"""Without the taint, ordinary pods fill expensive GPU nodes; without the role label,
    workloads cannot select the pool; the cluster autoscaler recognises GPU nodes and applies
    `resourceLimits.gpus` by `{ACCELERATOR_LABEL}`, and without it scales up twice while the
    driver loads.""",
    fix=f"""Build GPU pools from `base/pools/gpu` with `components/gpu-pool`, which set the taint and
    labels, and keep `acceleratorLabel` in the pool's `pool.yaml` (the `{ACCELERATOR_LABEL}` value)
    equal to the value for its instanceType (e.g. `nvidia-a10g` for g5, `nvidia-l4` for g6;
    `docs/catalog.md`).""",
    failing=(
        example("taint removed", Remove("MachineSet", "/spec/template/spec/taints")),
        example("role label removed", Remove("MachineSet", f"{LABELS_PATH}/node-role.kubernetes.io~1gpu")),
        example(
            "instance type changed in pool.yaml, accelerator label not",
            PoolYaml(instance_type="g6.2xlarge"),
            Set("MachineSet", f"{PROVIDER}/instanceType", "g6.2xlarge"),
            Set("MachineSet", f"{PROVIDER}/instanceType", "g6.2xlarge", name="{infraID}-gpu-us-west-2a-ondemand"),
        ),
        example(
            "taint only PreferNoSchedule", Set("MachineSet", "/spec/template/spec/taints/0/effect", "PreferNoSchedule")
        ),
    ),
)
def check(context: LintContext) -> t.Iterator[Violation]:
    for pool in context.pools:
        if pool.accelerator is Accelerator.AMD_GPU:
            yield Violation(
                f"instance type {pool.instance_type} carries AMD GPUs, which this repository does not support",
                pool.machineset,
                f"{PROVIDER}/instanceType",
            )
            continue
        if pool.accelerator is not Accelerator.NVIDIA_GPU:
            continue
        if not any(t.get("key") == GPU_TAINT_KEY and t.get("effect") == "NoSchedule" for t in pool.taints):
            yield Violation(
                f"GPU pool ({pool.instance_type}) lacks the taint {GPU_TAINT_KEY}:NoSchedule",
                pool.machineset,
                "/spec/template/spec/taints",
            )
        labels = pool.node_labels
        if GPU_ROLE_LABEL not in labels:
            yield Violation(
                f"GPU pool ({pool.instance_type}) lacks the node label {GPU_ROLE_LABEL}", pool.machineset, LABELS_PATH
            )
        value = labels.get(ACCELERATOR_LABEL)
        known = lookup(pool.instance_type or "")
        if not isinstance(value, str) or not value:
            yield Violation(
                f"GPU pool ({pool.instance_type}) lacks the node label {ACCELERATOR_LABEL}",
                pool.machineset,
                LABELS_PATH,
            )
        elif known is not None and known.accelerator_label and value != known.accelerator_label:
            yield Violation(
                f"node label {ACCELERATOR_LABEL}={value} but {pool.instance_type} carries {known.accelerator_label}",
                pool.machineset,
                LABELS_PATH,
            )
