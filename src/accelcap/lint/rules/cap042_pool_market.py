"""CAP042: a pool's market, reservation and On-Demand fallback are what pool.yaml says and what
the machine API accepts."""

from __future__ import annotations

import typing as t

from ...catalog.capacity_blocks import CAPACITY_BLOCK_TYPES
from ...catalog.capacity_blocks import SOURCE as CAPACITY_BLOCK_SOURCE
from ...markets import CAPACITY_BLOCK, WEBHOOK, is_fallback, reservation_of, webhook_errors
from ...model import ScaledMachineSet as Pool
from ...pool_file import PoolFile
from ..context import LintContext
from ..examples import PoolYaml, Set, example
from ..provider import PROVIDER
from ..rule import Violation, rule

FALLBACK = "{infraID}-gpu-us-west-2a-ondemand"
RESERVATION = "cr-0123456789abcdef0"


@rule(
    "CAP042",
    "pool-market",
    "A pool's market, reservation and fallback are what pool.yaml says and the machine API accepts",
    what=f"""Every MachineSet's `marketType`, `spotMarketOptions` and `capacityReservationId` pass the
    machine API's own checks ({WEBHOOK}): `marketType` is OnDemand, Spot, CapacityBlock or absent;
    CapacityBlock or OnDemand never beside `spotMarketOptions`; CapacityBlock has a
    `capacityReservationId`; Spot never has one; the ID is `cr-` and 17 hexadecimal digits. A
    pool's MachineSet has pool.yaml's `capacityReservationId` (none when pool.yaml has none); a
    Capacity Block pool's instance type is one EC2 sells as Capacity Blocks
    (`accelcap/catalog/capacity_blocks.py`). A pool.yaml with `fallback: OnDemand` renders exactly
    one fallback MachineSet (annotation `accel-capacity.io/fallback`, from `base/pools/gpu-fallback`:
    the pool's labels and taints) beside the pool's own, without the reservation (CAP030 compares
    it with pool.yaml: type, zone, On-Demand, 0..`fallbackMaxReplicas`); a fallback MachineSet
    without `fallback` in pool.yaml is a finding.""",
    why="""The webhook refuses such a Machine at creation time, on the cluster: the autoscaler keeps
    trying, the pool stays at zero nodes and nothing in CI said so. A reservation ID that differs from
    pool.yaml launches outside the reservation that was paid for. A fallback that is not the same pool
    (another taint, another zone) schedules other pods than the Spot half would, and a stray one
    costs On-Demand money nobody reviewed.""",
    fix="""Set `market`, `capacityReservationId`, `fallback` and `fallbackMaxReplicas` in pool.yaml and
    remove patches that set the provider's market fields. A reservation-backed pool lists
    `components/pool/reservation`; a pool with `fallback: OnDemand` lists
    `components/gpu-pool-fallback` last (components/README.md).""",
    failing=(
        example("pool.yaml has no fallback but one is rendered", PoolYaml(fallback=None, fallback_max_replicas=None)),
        example("the fallback launches into a reservation", Set("MachineSet", f"{PROVIDER}/capacityReservationId", RESERVATION, name=FALLBACK)),
        example("a reservation beside spotMarketOptions", Set("MachineSet", f"{PROVIDER}/capacityReservationId", RESERVATION, name="{infraID}-gpu-us-west-2a")),
        example("a malformed reservation ID on the fallback", Set("MachineSet", f"{PROVIDER}/capacityReservationId", "cr-1", name=FALLBACK)),
    ),
    passing=(
        example(
            "fallbackMaxReplicas raised in pool.yaml, rendered",
            PoolYaml(fallback_max_replicas=3),
            Set("MachineAutoscaler", "/spec/maxReplicas", 3, name=FALLBACK),
            Set("ClusterAutoscaler", "/spec/resourceLimits/gpus/0/max", 5),
        ),
    ),
)  # fmt: skip
def check(context: LintContext) -> t.Iterator[Violation]:
    for machineset in context.machinesets:
        provider = machineset.get("spec", "template", "spec", "providerSpec", "value", default={})
        if isinstance(provider, dict):
            for field, why in webhook_errors(provider):
                yield Violation(f"the machine API refuses this: {field} {why}", machineset, f"{PROVIDER}/{field}")
    by_pool: dict[str, tuple[list[Pool], list[Pool]]] = {}
    for pool in context.pools:
        settings = context.settings_of(pool)
        if settings is not None:
            primaries, fallbacks = by_pool.setdefault(settings.name, ([], []))
            (fallbacks if is_fallback(pool.machineset) else primaries).append(pool)
    for name, (primaries, fallbacks) in by_pool.items():
        settings = context.pool_settings[name]
        for pool in primaries:
            yield from _reservation(pool, settings)
        yield from _fallback(settings, primaries, fallbacks)


def _reservation(pool: Pool, settings: PoolFile) -> t.Iterator[Violation]:
    have = reservation_of(pool.provider)
    if have != settings.capacity_reservation_id:
        yield Violation(
            f"capacityReservationId is {have or 'not set'} but {settings.file} says "
            f"{settings.capacity_reservation_id or 'none'} (a reservation-backed pool lists components/pool/reservation)",
            pool.machineset,
            f"{PROVIDER}/capacityReservationId",
        )
    if settings.market == CAPACITY_BLOCK and pool.instance_type not in CAPACITY_BLOCK_TYPES:
        yield Violation(
            f"market CapacityBlock but EC2 sells no Capacity Blocks of {pool.instance_type} "
            f"({CAPACITY_BLOCK_SOURCE}; accelcap/catalog/capacity_blocks.py)",
            pool.machineset,
            f"{PROVIDER}/instanceType",
        )


def _fallback(settings: PoolFile, primaries: list[Pool], fallbacks: list[Pool]) -> t.Iterator[Violation]:
    if settings.fallback is None:
        for pool in fallbacks:
            yield Violation(
                f"an On-Demand fallback MachineSet but {settings.file} says no fallback "
                "(remove components/gpu-pool-fallback from the pool directory, or add fallback to pool.yaml)",
                pool.machineset,
            )
        return
    if len(fallbacks) != 1 or len(primaries) != 1:
        where = primaries[0].machineset if primaries else None
        yield Violation(
            f"{settings.file} says fallback {settings.fallback}: wants one pool MachineSet and one fallback "
            f"MachineSet, the build has {len(primaries)} and {len(fallbacks)} "
            "(list components/gpu-pool-fallback last in the pool directory)",
            where,
        )
        return
    fallback = fallbacks[0]
    if reservation_of(fallback.provider) is not None:
        yield Violation(
            "the On-Demand fallback launches into a capacity reservation; components/pool/reservation leaves it out",
            fallback.machineset,
            f"{PROVIDER}/capacityReservationId",
        )
