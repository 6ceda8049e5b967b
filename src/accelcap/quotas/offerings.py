"""Capacity you can actually get: the checks ``tools/verify-quotas`` runs beside the quota, in
the same AWS session (the account guardrail first, then these; the same timeouts, retries,
paging and fail-closed rules, ``accelcap.quotas.aws``).

- **Offered in the zone** (``ec2:DescribeInstanceTypeOfferings``, location type
  availability-zone, and ``ec2:DescribeAvailabilityZones`` for the zone IDs: a zone *name* maps
  to a different physical zone in each account, its ID does not): a pool whose type is not
  offered in its zone is a finding naming the zones where it is.
- **Reservations** (``ec2:DescribeCapacityReservations``) of a pool launched into an On-Demand
  Capacity Reservation or a Capacity Block: it exists; it is ``active`` (``scheduled`` is a
  warning with its start); its instance type, zone and platform are the pool's (EC2 User Guide,
  "Launch instances using Capacity Blocks": same zone, same platform; RHCOS machines are
  ``Linux/UNIX``); ``TotalInstanceCount`` is at least the pool's maximum (what others use is
  reported); a Capacity Block's end date is reported, a warning within the configured days and
  a finding once it has passed (EC2 terminates its instances from 30 minutes before the end).
- **Spot placement score** (``ec2:GetSpotPlacementScores``, single zone, target capacity the
  pool's maximum): reported for each Spot pool, a warning below the threshold (advisory by
  default; ``spot-score-blocking`` makes it an error). Scores are 1 to 10; a zone missing from
  the answer scored too low to be listed.

Which quota reservation-backed instances draw on: instances launched into a Capacity
Reservation, Capacity Blocks included (delivered as targeted Capacity Reservations, EC2 User
Guide "Work with Capacity Blocks"), run On-Demand, and the On-Demand quotas count reserved
capacity even unused (EC2 User Guide, "On-Demand Instance quotas"): the family's On-Demand quota
(``accelcap.catalog.ec2_quotas``), as ``accelcap.model.machinesets.market_of`` reads such a MachineSet.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from dataclasses import dataclass, field

import botocore.exceptions

from ..markets import CAPACITY_BLOCK, SPOT
from ..report import Finding
from .aws import AwsAccount, nonsense, records, translate
from .capacity import CAPACITY_CHECKS, CapacitySettings, Target

#: The platform of an OpenShift machine's instance (RHCOS AMIs are Linux/UNIX).
PLATFORM = "Linux/UNIX"
ACTIVE, SCHEDULED = "active", "scheduled"


@dataclass
class CapacityReport:
    findings: list[Finding] = field(default_factory=list)
    #: One entry per pool for the report: zone, zone ID, offered, reservation, score.
    pools: list[dict[str, t.Any]] = field(default_factory=list)


def _finding(code: str, message: str, overlay: str, target: Target) -> Finding:
    return Finding(
        code=code,
        message=message,
        overlay=overlay,
        object=target.ref,
        file=target.file,
        line=target.line,
        severity=CAPACITY_CHECKS[code].severity,
    )


def zone_ids(account: AwsAccount) -> dict[str, str]:
    """Zone name -> zone ID of the account's Region (names map per account, IDs do not)."""
    action = "ec2:DescribeAvailabilityZones"
    answer = account.call("ec2", "describe_availability_zones")
    zones = records(answer.get("AvailabilityZones"), action, "AvailabilityZones")
    found = {}
    for zone in zones:
        name, zone_id = zone.get("ZoneName"), zone.get("ZoneId")
        if not isinstance(name, str) or not isinstance(zone_id, str):
            raise nonsense(action, "a zone without ZoneName or ZoneId")
        found[name] = zone_id
    return found


def offered_zones(account: AwsAccount, instance_types: t.Iterable[str]) -> dict[str, set[str]]:
    """Instance type -> the zone names of the Region where it is offered."""
    action = "ec2:DescribeInstanceTypeOfferings"
    wanted = sorted(set(instance_types))
    offered: dict[str, set[str]] = {name: set() for name in wanted}
    if not wanted:
        return offered
    for offering in account.paginate(
        "ec2",
        "describe_instance_type_offerings",
        "InstanceTypeOfferings",
        LocationType="availability-zone",
        Filters=[{"Name": "instance-type", "Values": wanted}],
    ):
        name, location = offering.get("InstanceType"), offering.get("Location")
        if not isinstance(name, str) or not isinstance(location, str):
            raise nonsense(action, "an offering without InstanceType or Location")
        offered.setdefault(name, set()).add(location)
    return offered


def reservations(account: AwsAccount, ids: t.Iterable[str]) -> dict[str, dict[str, t.Any]]:
    """The reservations of ``ids`` the account can see, by ID; one that does not exist is left
    out (EC2 answers InvalidCapacityReservationId.NotFound for the whole call: then each ID is
    asked alone, so the others are still judged)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    try:
        return _describe_reservations(account, wanted)
    except botocore.exceptions.ClientError as error:
        if not _not_found(error):
            raise translate(error, "ec2:DescribeCapacityReservations") from error
        if len(wanted) == 1:
            return {}
    found: dict[str, dict[str, t.Any]] = {}
    for one in wanted:
        found |= reservations(account, [one])
    return found


def _not_found(error: botocore.exceptions.ClientError) -> bool:
    code = str(error.response.get("Error", {}).get("Code", ""))
    return code.startswith("InvalidCapacityReservationId")


def _describe_reservations(account: AwsAccount, ids: list[str]) -> dict[str, dict[str, t.Any]]:
    action = "ec2:DescribeCapacityReservations"
    found = {}
    for reservation in account.paginate(
        "ec2",
        "describe_capacity_reservations",
        "CapacityReservations",
        expected=(botocore.exceptions.ClientError,),
        CapacityReservationIds=ids,
    ):
        rid = reservation.get("CapacityReservationId")
        if not isinstance(rid, str):
            raise nonsense(action, "a reservation without CapacityReservationId")
        for key in ("InstanceType", "AvailabilityZone", "State"):
            if not isinstance(reservation.get(key), str):
                raise nonsense(action, f"reservation {rid} has no {key}")
        for key in ("TotalInstanceCount", "AvailableInstanceCount"):
            value = reservation.get(key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise nonsense(action, f"reservation {rid} has {key} {value!r}")
        found[rid] = reservation
    return found


def spot_score(account: AwsAccount, target: Target, region: str, zone_id: str | None) -> int | None:
    """The single-zone Spot placement score of the target's type at its maximum in its zone;
    None when the zone is not among the scored ones (it scored too low to be listed)."""
    action = "ec2:GetSpotPlacementScores"
    scores = account.paginate(
        "ec2",
        "get_spot_placement_scores",
        "SpotPlacementScores",
        InstanceTypes=[target.instance_type],
        TargetCapacity=max(target.max_replicas, 1),
        TargetCapacityUnitType="units",
        SingleAvailabilityZone=True,
        RegionNames=[region],
    )
    for score in scores:
        value = score.get("Score")
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10:
            raise nonsense(action, f"Score {value!r} is not 1 to 10")
        if zone_id is not None and score.get("AvailabilityZoneId") == zone_id:
            return value
    return None


def _date(value: t.Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return None


def check_capacity(
    account: AwsAccount,
    found: t.Sequence[Target],
    overlay: str,
    settings: CapacitySettings,
    now: dt.datetime | None = None,
) -> CapacityReport:
    """Every capacity check of ``found``, in the session of ``account`` (guardrail passed)."""
    now = now or dt.datetime.now(dt.UTC)
    report = CapacityReport()
    ids = zone_ids(account)
    offered = offered_zones(account, (t.instance_type for t in found))
    reserved = reservations(account, (t.reservation for t in found if t.reservation))
    for target in found:
        zone_id = ids.get(target.zone)
        entry: dict[str, t.Any] = {"pool": target.name, "zone": target.zone, "zoneId": zone_id, "market": target.market}
        zones = offered.get(target.instance_type, set())
        entry["offered"] = target.zone in zones
        if target.zone not in zones:
            elsewhere = ", ".join(f"{z} ({ids.get(z, '?')})" for z in sorted(zones)) or "no zone of the Region"
            report.findings.append(
                _finding(
                    "type-not-offered",
                    f"{target.instance_type} is not offered in {target.zone} ({zone_id or 'zone ID unknown'}); "
                    f"offered in: {elsewhere}",
                    overlay,
                    target,
                )
            )
        if target.reservation:
            report.findings += _judge_reservation(
                target, reserved.get(target.reservation), entry, overlay, settings, now
            )
        if target.market == SPOT:
            score = spot_score(account, target, account.region, zone_id)
            entry["spotScore"] = score
            entry["spotScoreThreshold"] = settings.spot_score_threshold
            if score is None or score < settings.spot_score_threshold:
                code = "spot-score-too-low" if settings.spot_score_blocking else "spot-score-low"
                shown = "not listed (below every listed zone)" if score is None else f"{score}/10"
                report.findings.append(
                    _finding(
                        code,
                        f"Spot placement score of {target.instance_type} x{max(target.max_replicas, 1)} in "
                        f"{target.zone} ({zone_id or '?'}) is {shown}, below the threshold {settings.spot_score_threshold}",
                        overlay,
                        target,
                    )
                )
        report.pools.append(entry)
    return report


def _judge_reservation(
    target: Target,
    reservation: dict[str, t.Any] | None,
    entry: dict[str, t.Any],
    overlay: str,
    settings: CapacitySettings,
    now: dt.datetime,
) -> list[Finding]:
    rid = target.reservation
    entry["reservation"] = rid
    if reservation is None:
        return [
            _finding("reservation-missing", f"{rid} does not exist or is not visible to the account", overlay, target)
        ]
    findings = []
    state = reservation["State"]
    total, available = reservation["TotalInstanceCount"], reservation["AvailableInstanceCount"]
    end = _date(reservation.get("EndDate"))
    start = _date(reservation.get("StartDate"))
    entry |= {
        "reservationState": state,
        "reservationTotal": total,
        "reservationInUse": total - available,
        "reservationEnd": end.isoformat() if end else None,
    }
    block = target.market == CAPACITY_BLOCK or reservation.get("ReservationType") == "capacity-block"
    if state == SCHEDULED:
        when = start.isoformat() if start else "a start AWS did not report"
        findings.append(_finding("reservation-scheduled", f"{rid} is scheduled: it starts {when}", overlay, target))
    elif state != ACTIVE and not (block and end is not None and end <= now):
        findings.append(_finding("reservation-not-active", f"{rid} is {state}, not active", overlay, target))
    differs = [
        f"{what} {have} (the pool's {want})"
        for what, have, want in (
            ("instance type", reservation["InstanceType"], target.instance_type),
            ("zone", reservation["AvailabilityZone"], target.zone),
            ("platform", reservation.get("InstancePlatform"), PLATFORM),
        )
        if have != want
    ]
    if differs:
        findings.append(_finding("reservation-mismatch", f"{rid} is for " + ", ".join(differs), overlay, target))
    if total < target.max_replicas:
        findings.append(
            _finding(
                "reservation-too-small",
                f"{rid} holds {total} instance(s) ({total - available} in use) but the pool may run "
                f"{target.max_replicas}",
                overlay,
                target,
            )
        )
    if block and end is not None:
        if end <= now:
            findings.append(_finding("capacity-block-ended", f"{rid} ended {end.isoformat()}", overlay, target))
        elif end - now <= dt.timedelta(days=settings.capacity_block_warn_days):
            left = end - now
            findings.append(
                _finding(
                    "capacity-block-ending",
                    f"{rid} ends {end.isoformat()}, in {left.days} day(s) {left.seconds // 3600} hour(s) "
                    f"(warning from {settings.capacity_block_warn_days} days)",
                    overlay,
                    target,
                )
            )
    return findings
