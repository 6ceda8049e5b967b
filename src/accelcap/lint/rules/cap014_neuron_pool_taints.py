"""CAP014: Neuron pools carry no hard taint that a Neuron component cannot tolerate."""

from __future__ import annotations

import typing as t

from ...catalog.instance_types import Accelerator
from ..context import LintContext
from ..examples import DEVICE_CONFIG, NEURON_TAINT, example, kmm_module, neuron_pool
from ..rule import Violation, rule
from ..tolerations import describe, is_hard, tolerated_by


@rule(
    "CAP014",
    "neuron-pool-taints",
    "Neuron pools are not tainted against their own driver",
    what="""A pool whose instance family is Neuron (inf*, trn*) has no NoSchedule or NoExecute taint
    unless every Neuron component that must run on it tolerates the taint. With an AWS Neuron
    operator `DeviceConfig` (`k8s.aws`) in the overlay every such taint is a finding, since
    DeviceConfig has no tolerations field. Without one, the taint needs at least one KMM `Module`
    (`kmm.sigs.x-k8s.io`) and every Module's `spec.tolerations` must tolerate it.""",
    why="""KMM skips nodes with a taint it does not tolerate, and the operator hard-codes the Module's
    tolerations: on a tainted Neuron node nothing loads the driver, no device plugin runs, and
    `aws.amazon.com/neuron` is never advertised, so every Neuron pod stays Pending.""",
    fix="""Leave Neuron pools untainted and steer workloads with the pool's node label and a
    `nodeSelector`, or use `PreferNoSchedule`; a hard taint needs your own KMM Module with matching
    `spec.tolerations` instead of the DeviceConfig.""",
    failing=(
        example("tainted Neuron pool with a DeviceConfig", neuron_pool([NEURON_TAINT]), *DEVICE_CONFIG),
        example("NoExecute taint, no driver component", neuron_pool([{**NEURON_TAINT, "effect": "NoExecute"}])),
        example("KMM Module does not tolerate", neuron_pool([NEURON_TAINT]), *kmm_module([])),
    ),
    passing=(
        example("untainted Neuron pool with a DeviceConfig", neuron_pool([]), *DEVICE_CONFIG),
        example(
            "PreferNoSchedule Neuron pool with a DeviceConfig",
            neuron_pool([{**NEURON_TAINT, "effect": "PreferNoSchedule"}]),
            *DEVICE_CONFIG,
        ),
        example(
            "tainted Neuron pool, the KMM Module tolerates",
            neuron_pool([NEURON_TAINT]),
            *kmm_module([{"key": "aws.amazon.com/neuron", "operator": "Exists"}]),
        ),
    ),
)
def check(context: LintContext) -> t.Iterator[Violation]:
    neuron_pools = [p for p in context.pools if p.accelerator is Accelerator.NEURON]
    if not neuron_pools:
        return
    device_configs = context.of_kind("k8s.aws", "DeviceConfig")
    modules = context.of_kind("kmm.sigs.x-k8s.io", "Module")
    for pool in neuron_pools:
        for index, taint in enumerate(pool.taints):
            if not is_hard(taint):
                continue
            path = f"/spec/template/spec/taints/{index}"
            if device_configs:
                names = ", ".join(d.name for d in device_configs)
                yield Violation(
                    f"Neuron pool tainted {describe(taint)}, which DeviceConfig {names} cannot tolerate: "
                    "KMM skips the node and nothing loads the Neuron driver",
                    pool.machineset,
                    path,
                )
            elif not modules:
                yield Violation(
                    f"Neuron pool tainted {describe(taint)}, and no KMM Module in this overlay shows the "
                    "driver tolerates it",
                    pool.machineset,
                    path,
                )
            else:
                for module in modules:
                    if not tolerated_by(module.get("spec", "tolerations"), taint):
                        yield Violation(
                            f"Neuron pool tainted {describe(taint)}, which KMM Module {module.name} does not tolerate",
                            pool.machineset,
                            path,
                        )
