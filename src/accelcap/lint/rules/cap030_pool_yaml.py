"""CAP030: each pool is what its pool.yaml says."""

from __future__ import annotations

import typing as t

from ...catalog.machine_api import ACCELERATOR_LABEL
from ...markets import is_fallback, purchase_option
from ...model import ScaledMachineSet, autoscaler_bounds
from ...pool_file import POOL_ANNOTATION, PoolFile, fallback_settings
from ...yamlload import value_at
from ..context import LintContext
from ..examples import Example, PoolYaml, Remove, Set, example
from ..provider import PROVIDER
from ..rule import Violation, rule

ROOT_VOLUME = f"{PROVIDER}/blockDevices/0/ebs/volumeSize"


def _raised_to_four() -> Example:
    """The README's "allow 4 GPU nodes": pool.yaml, and what kustomize and the generator make of it."""
    return example(
        "maxReplicas raised in pool.yaml, rendered and generated",
        PoolYaml(max_replicas=4),
        Set("MachineAutoscaler", "/spec/maxReplicas", 4),
        # 4 Spot nodes and the 2 of the On-Demand fallback
        Set("ClusterAutoscaler", "/spec/resourceLimits/gpus/0/max", 6),
    )


@rule(
    "CAP030",
    "pool-yaml",
    "Each pool is what its pool.yaml says",
    what=f"""For every pool.yaml (a Pool object) of the overlay, the MachineSet filled from it (annotation
    `{POOL_ANNOTATION}`) has its instance type, zone (`placement.availabilityZone`), market (Spot:
    `spotMarketOptions` present; OnDemand: absent), root volume size and, for a GPU pool, its
    `{ACCELERATOR_LABEL}` node label; an autoscaled pool (minReplicas, maxReplicas) has a
    MachineAutoscaler with those bounds, a pool scaled by hand (replicas) has none and that
    `spec.replicas`. Every pool.yaml fills a MachineSet. A Spot pool's On-Demand fallback MachineSet
    (pool.yaml `fallback`) is compared the same way, with the fallback's market and bounds
    0..`fallbackMaxReplicas` (rule CAP042 checks that it exists).""",
    why="""pool.yaml is the one place a pool's settings are changed and reviewed (and what
    capacity-diff reports). A patch left in a pool directory, or a component missing from it, would
    launch something else than the file says: more nodes, another market, another size, silently.""",
    fix="""Change the setting in pool.yaml and remove the patch that overrides it. A pool directory
    lists its base (`base/pools/<kind>`), `pool.yaml`, `components/gpu-pool` (GPU pools) or
    `components/pool`, and `components/autoscaling/pool` (minReplicas/maxReplicas) or
    `components/pool/replicas` (replicas).""",
    failing=(
        example("instance type patched", Set("MachineSet", f"{PROVIDER}/instanceType", "g5.4xlarge")),
        example("Spot removed", Remove("MachineSet", f"{PROVIDER}/spotMarketOptions")),
        example("root volume patched", Set("MachineSet", ROOT_VOLUME, 500)),
        example("autoscaler minimum patched", Set("MachineAutoscaler", "/spec/minReplicas", 1)),
        example("pool.yaml says OnDemand, the build is Spot", PoolYaml(market="OnDemand")),
        example(
            "the On-Demand fallback made Spot",
            Set("MachineSet", f"{PROVIDER}/spotMarketOptions", {}, name="{infraID}-gpu-us-west-2a-ondemand"),
        ),
        example(
            "the fallback's autoscaler minimum patched",
            Set("MachineAutoscaler", "/spec/minReplicas", 1, name="{infraID}-gpu-us-west-2a-ondemand"),
        ),
    ),
    passing=(_raised_to_four(),),
)
def check(context: LintContext) -> t.Iterator[Violation]:
    filled: dict[str, list[ScaledMachineSet]] = {name: [] for name in context.pool_settings}
    for pool in context.pools:
        settings = context.settings_of(pool)
        if settings is not None and is_fallback(pool.machineset):
            if settings.fallback is None:
                continue  # a fallback pool.yaml does not ask for: rule CAP042
            settings = fallback_settings(settings)
        if settings is not None:
            filled[settings.name].append(pool)
            yield from _compare(pool, settings)
    for name, pools in filled.items():
        if not pools:
            file = context.pool_settings[name].file
            yield Violation(
                f"{file} fills no MachineSet: its directory lists no components/pool (or components/gpu-pool)"
            )


def _compare(pool: ScaledMachineSet, settings: PoolFile) -> t.Iterator[Violation]:
    says = f"{settings.file} says"
    machineset = pool.machineset
    if pool.instance_type != settings.instance_type:
        yield Violation(
            f"instanceType is {pool.instance_type} but {says} {settings.instance_type}",
            machineset,
            f"{PROVIDER}/instanceType",
        )
    zone = value_at(pool.provider, "placement", "availabilityZone")
    if zone != settings.zone:
        yield Violation(f"zone is {zone} but {says} {settings.zone}", machineset, f"{PROVIDER}/placement")
    if purchase_option(pool.provider) != settings.market:
        yield Violation(
            f"the MachineSet is {purchase_option(pool.provider)} but {says} market {settings.market}",
            machineset,
            f"{PROVIDER}/spotMarketOptions",
        )
    size = value_at(pool.provider, "blockDevices", 0, "ebs", "volumeSize")
    if size != settings.volume_size:
        yield Violation(f"root volumeSize is {size!r} but {says} {settings.volume_size}", machineset, ROOT_VOLUME)
    label = pool.node_labels.get(ACCELERATOR_LABEL)
    if settings.accelerator_label is not None and label != settings.accelerator_label:
        yield Violation(
            f"node label {ACCELERATOR_LABEL} is {label!r} but {says} acceleratorLabel "
            f"{settings.accelerator_label} (a GPU pool lists components/gpu-pool)",
            machineset,
            "/spec/template/spec/metadata/labels",
        )
    yield from _scaling(pool, settings, says)


def _scaling(pool: ScaledMachineSet, settings: PoolFile, says: str) -> t.Iterator[Violation]:
    if settings.autoscaled:
        if pool.autoscaler is None:
            yield Violation(
                f"{says} minReplicas/maxReplicas but no MachineAutoscaler targets the pool "
                "(list components/autoscaling/pool)",
                pool.machineset,
            )
            return
        bounds = autoscaler_bounds(pool.autoscaler)
        if bounds != (settings.min_replicas, settings.max_replicas):
            yield Violation(
                f"bounds are {bounds[0]}..{bounds[1]} but {says} {settings.min_replicas}..{settings.max_replicas}",
                pool.autoscaler,
                "/spec",
            )
    elif pool.autoscaler is not None:
        yield Violation(
            f"{says} replicas (scaled by hand) but MachineAutoscaler {pool.autoscaler.name} sizes the pool",
            pool.autoscaler,
        )
    elif pool.replicas != settings.replicas:
        yield Violation(
            f"spec.replicas is {pool.replicas!r} but {says} replicas {settings.replicas}",
            pool.machineset,
            "/spec/replicas",
        )
