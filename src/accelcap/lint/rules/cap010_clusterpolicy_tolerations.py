"""CAP010: the ClusterPolicy's DaemonSets tolerate every taint of every GPU pool."""

from __future__ import annotations

import typing as t

from ...catalog.instance_types import Accelerator
from ...catalog.operators import GPU_OPERATOR_DEFAULT_TOLERATIONS, GPU_OPERATOR_TOLERATION_SOURCES
from ..context import LintContext
from ..examples import Append, Drop, Remove, Set, example
from ..rule import Violation, rule
from ..tolerations import describe, is_hard, tolerated_by

TOLERATIONS_PATH = "/spec/daemonsets/tolerations"
DEDICATED = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}


@rule(
    "CAP010",
    "clusterpolicy-tolerations",
    "The GPU operator's DaemonSets tolerate the GPU pools' taints",
    what="""When the overlay has NVIDIA GPU pools, it has a ClusterPolicy (`nvidia.com`), and the
    tolerations its operand DaemonSets get tolerate every NoSchedule and NoExecute taint of every GPU
    pool: `spec.daemonsets.tolerations` when the list is set and not empty, else the operator's
    defaults (`nvidia.com/gpu` Exists NoSchedule).""",
    why=f"""A set `spec.daemonsets.tolerations` replaces the operator's default toleration instead of
    adding to it (an absent or empty one leaves the default); a taint the DaemonSets do not tolerate
    keeps the driver, toolkit and device plugin off the GPU nodes, so they never advertise
    `nvidia.com/gpu` and GPU pods stay Pending while the autoscaler keeps adding nodes. Source:
    {"; ".join(GPU_OPERATOR_TOLERATION_SOURCES)}.""",
    fix="""List a toleration for each GPU pool taint in the ClusterPolicy (base/instances/gpu-operator
    tolerates `nvidia.com/gpu` with operator Exists); with a custom taint key, keep `nvidia.com/gpu`
    too.""",
    failing=(
        example(
            "custom toleration only",
            Set(
                "ClusterPolicy",
                TOLERATIONS_PATH,
                [{"key": "nvidia-gpu-only", "operator": "Exists", "effect": "NoSchedule"}],
            ),
        ),
        example("no ClusterPolicy", Drop("ClusterPolicy")),
        example(
            "defaults kept, the pool has a second taint",
            Remove("ClusterPolicy", TOLERATIONS_PATH),
            Append("MachineSet", "/spec/template/spec/taints", DEDICATED),
            Append("Pod", "/spec/tolerations", {"key": "dedicated", "operator": "Exists"}),
        ),
    ),
    passing=(
        example("no tolerations: the defaults tolerate nvidia.com/gpu", Remove("ClusterPolicy", TOLERATIONS_PATH)),
        example("empty tolerations: the defaults stay", Set("ClusterPolicy", TOLERATIONS_PATH, [])),
    ),
)
def check(context: LintContext) -> t.Iterator[Violation]:
    gpu_pools = [p for p in context.pools if p.accelerator is Accelerator.NVIDIA_GPU]
    if not gpu_pools:
        return
    policies = context.of_kind("nvidia.com", "ClusterPolicy")
    if not policies:
        for pool in gpu_pools:
            yield Violation(
                "GPU pool but no ClusterPolicy in this overlay, so nothing installs the GPU driver "
                "(lint the cluster overlay directory so its operators Application is followed)",
                pool.machineset,
            )
        return
    for policy in policies:
        tolerations = policy.get("spec", "daemonsets", "tolerations")
        source = "spec.daemonsets.tolerations"
        if not isinstance(tolerations, list) or not tolerations:
            # The operator sets the DaemonSets' tolerations only from a non-empty list.
            tolerations, source = list(GPU_OPERATOR_DEFAULT_TOLERATIONS), "the operator's default tolerations"
        for pool in gpu_pools:
            for taint in pool.taints:
                if is_hard(taint) and not tolerated_by(tolerations, taint):
                    yield Violation(
                        f"{source} do not tolerate taint {describe(taint)} of GPU pool {pool.name}",
                        policy,
                        TOLERATIONS_PATH,
                    )
