"""CAP010: the ClusterPolicy's DaemonSets tolerate every taint of every GPU pool."""

from __future__ import annotations

import typing as t

from ...catalog.instance_types import Accelerator
from ..context import LintContext
from ..examples import Drop, Set, example
from ..rule import Violation, rule
from ..tolerations import describe, is_hard, tolerated_by

TOLERATIONS_PATH = "/spec/daemonsets/tolerations"


@rule(
    "CAP010",
    "clusterpolicy-tolerations",
    "The GPU operator's DaemonSets tolerate the GPU pools' taints",
    what="""When the overlay has NVIDIA GPU pools, it has a ClusterPolicy (`nvidia.com`), and the
    ClusterPolicy's `spec.daemonsets.tolerations` tolerates every NoSchedule and NoExecute taint of
    every GPU pool.""",
    why="""`spec.daemonsets.tolerations` replaces the operator's default toleration instead of adding to
    it; a taint it does not tolerate keeps the driver, toolkit and device plugin off the GPU nodes, so
    they never advertise `nvidia.com/gpu` and GPU pods stay Pending while the autoscaler keeps adding
    nodes.""",
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
        for pool in gpu_pools:
            for taint in pool.taints:
                if is_hard(taint) and not tolerated_by(tolerations, taint):
                    yield Violation(
                        f"does not tolerate taint {describe(taint)} of GPU pool {pool.name}", policy, TOLERATIONS_PATH
                    )
