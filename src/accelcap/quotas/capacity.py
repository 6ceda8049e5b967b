"""The capacity checks of ``tools/verify-quotas`` without AWS: which there are
(``CAPACITY_CHECKS``), their settings, what each pool gives them (``Target``) and what
``--plan`` and ``tools/check`` say they left unchecked. The checks themselves, which call AWS,
are ``accelcap.quotas.offerings``; the offline plan imports only this module, so a run without
AWS never loads the AWS SDK.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from ..errors import InputError
from ..markets import SPOT, purchase_option, reservation_of
from ..model import ScaledMachineSet as Pool
from ..render import UNKNOWN_SOURCE, HasSource, Source
from ..report import Check

DEFAULT_SPOT_SCORE_THRESHOLD = 5
DEFAULT_CAPACITY_BLOCK_WARN_DAYS = 7

CAPACITY_CHECKS: dict[str, Check] = {
    c.code: c
    for c in (
        Check(
            "type-not-offered",
            "The pool's instance type is not offered in its zone (DescribeInstanceTypeOfferings).",
            "Move the pool to a zone where the type is offered (the finding lists them) or pick another type.",
        ),
        Check(
            "reservation-missing",
            "The pool's capacityReservationId names no reservation the account can see.",
            "Fix capacityReservationId in pool.yaml, or share the reservation with this account.",
        ),
        Check(
            "reservation-not-active",
            "The reservation is neither active nor scheduled (expired, cancelled, failed, pending).",
            "Buy or extend a reservation and put its ID in pool.yaml, or move the pool to OnDemand or Spot.",
        ),
        Check(
            "reservation-scheduled",
            "The reservation is scheduled: machines cannot launch into it before its start.",
            "Keep the pool at 0 until the start reported, or expect launches to fail until then.",
            severity="warning",
        ),
        Check(
            "reservation-mismatch",
            "The reservation is for another instance type, zone or platform than the pool.",
            "Make pool.yaml's instanceType and zone the reservation's (the finding says which differ).",
        ),
        Check(
            "reservation-too-small",
            "The reservation holds fewer instances (TotalInstanceCount) than the pool's maximum.",
            "Lower the pool's maxReplicas to the reservation's size, or enlarge the reservation.",
        ),
        Check(
            "capacity-block-ending",
            "The Capacity Block ends within the configured number of days.",
            "Extend the Capacity Block or plan the move; its instances are terminated from 30 minutes before the end.",
            severity="warning",
        ),
        Check(
            "capacity-block-ended",
            "The Capacity Block's end date has passed: the pool cannot launch.",
            "Buy a new Capacity Block and put its reservation ID in pool.yaml, or change the pool's market.",
        ),
        Check(
            "spot-score-low",
            "The Spot placement score of the pool's type in its zone at its maximum is below the threshold (advisory).",
            "Add an On-Demand fallback (pool.yaml fallback), another zone or type; spot-score-threshold sets it.",
            severity="warning",
        ),
        Check(
            "spot-score-too-low",
            "As spot-score-low, with spot-score-blocking set: the score below the threshold fails the check.",
            "Add an On-Demand fallback (pool.yaml fallback), another zone or type.",
        ),
    )
}


@dataclass(frozen=True)
class CapacitySettings:
    spot_score_threshold: int = DEFAULT_SPOT_SCORE_THRESHOLD
    spot_score_blocking: bool = False
    capacity_block_warn_days: int = DEFAULT_CAPACITY_BLOCK_WARN_DAYS


def capacity_settings(table: t.Any, where: str) -> CapacitySettings:
    """The settings from ``[tool.accelcap.verify-quotas]`` (``table``); bad values are bad input."""
    table = table if isinstance(table, dict) else {}
    threshold = table.get("spot-score-threshold", DEFAULT_SPOT_SCORE_THRESHOLD)
    blocking = table.get("spot-score-blocking", False)
    days = table.get("capacity-block-warn-days", DEFAULT_CAPACITY_BLOCK_WARN_DAYS)
    if isinstance(threshold, bool) or not isinstance(threshold, int) or not 1 <= threshold <= 10:
        raise InputError(where, f"spot-score-threshold {threshold!r} is not a whole number from 1 to 10")
    if not isinstance(blocking, bool):
        raise InputError(where, f"spot-score-blocking {blocking!r} is not true or false")
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise InputError(where, f"capacity-block-warn-days {days!r} is not a whole number of days")
    return CapacitySettings(threshold, blocking, days)


@dataclass(frozen=True)
class Target(HasSource):
    """One MachineSet reduced to what the capacity checks need."""

    name: str
    ref: str
    instance_type: str
    zone: str
    market: str
    reservation: str | None
    max_replicas: int
    #: Where the MachineSet came from, for findings (read only when a finding needs it).
    source: Source = UNKNOWN_SOURCE


def targets(pools: t.Iterable[Pool], overlay: str) -> list[Target]:
    """The pools' MachineSets; a zone missing is bad input (checked before any AWS call)."""
    found = []
    for pool in pools:
        placement = pool.provider.get("placement")
        zone = placement.get("availabilityZone") if isinstance(placement, dict) else None
        if not isinstance(zone, str) or not zone:
            raise InputError(f"{overlay}: {pool.machineset.ref}", "placement.availabilityZone is not set")
        found.append(
            Target(
                pool.name,
                pool.machineset.ref,
                pool.instance_type or "",
                zone,
                purchase_option(pool.provider),
                reservation_of(pool.provider),
                max(pool.max_replicas or 0, 0),
                pool.machineset.source,
            )
        )
    return found


def not_checked_offline(found: t.Sequence[Target]) -> str:
    """What ``--plan`` could not check, in one sentence."""
    parts = [f"instance type offered in the zone ({len(found)} pool(s))"]
    reserved = [t.name for t in found if t.reservation]
    spot = [t.name for t in found if t.market == SPOT]
    if reserved:
        parts.append(f"reservations and Capacity Block end dates ({', '.join(reserved)})")
    if spot:
        parts.append(f"Spot placement scores ({', '.join(spot)})")
    return "CAPACITY NOT CHECKED (no AWS calls): " + "; ".join(parts)
