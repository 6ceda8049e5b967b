"""verify-quotas' capacity checks (accelcap.quotas.offerings): offered in the zone, reservations
and Capacity Blocks, Spot placement scores; each one's pass, finding and fail-closed paths.

moto serves DescribeAvailabilityZones and DescribeInstanceTypeOfferings (its bundled offerings:
g5.2xlarge in us-west-2a..c, trn1.32xlarge in us-west-2b and d only); the loopback EC2 stand-in
(ec2_standin.py) serves DescribeCapacityReservations and GetSpotPlacementScores and forwards
the rest to moto."""

from __future__ import annotations

import datetime as dt
import json
import re
import typing as t

import pytest
from ec2_standin import Ec2StandIn, reservation
from quota_support import REPO, MotoServer, Operations, RepoCopy, Result
from sq_standin import ServiceQuotasStandIn
from test_quotas_calls import NEEDS_NO_PERMISSION, policy_allows

from accelcap.config import load_settings

pytestmark = pytest.mark.slow

Run = t.Callable[..., Result]
G_OD, G_SPOT, P_OD, TRN_OD = "L-DB2E81BA", "L-3819A6DF", "L-417A185B", "L-2C3B7624"
RESERVATION = "cr-0123456789abcdef0"
ZONE_ID = "usw2-az2"  # moto's ID of us-west-2a
NOW = dt.datetime.now(dt.UTC)


def enough_quota(standin: ServiceQuotasStandIn) -> None:
    for code in (G_OD, G_SPOT, P_OD, TRN_OD):
        standin.applied[code] = 4096


def capacity_of(result: Result) -> list[dict[str, t.Any]]:
    return t.cast(list[dict[str, t.Any]], json.loads(result.out)["summary"]["capacity"])


def codes_of(result: Result) -> list[str]:
    return [f["code"] for f in json.loads(result.out)["findings"]]


def reserved_pool(
    copy: RepoCopy, market: str = "OnDemand", instance_type: str = "g5.2xlarge", max_replicas: int = 2
) -> None:
    """prod's pool launched into RESERVATION (pool.yaml and components/pool/reservation)."""
    pool_dir = copy.capacity / "gpu-us-west-2a"
    pool = pool_dir / "pool.yaml"
    text = re.sub(
        r"^  market: .*$",
        f"  market: {market}\n  capacityReservationId: {RESERVATION}",
        pool.read_text(),
        count=1,
        flags=re.MULTILINE,
    )
    text = text.replace("instanceType: g5.2xlarge", f"instanceType: {instance_type}")
    text = re.sub(r"^  maxReplicas: \d+", f"  maxReplicas: {max_replicas}", text, count=1, flags=re.MULTILINE)
    pool.write_text(text)
    listing = pool_dir / "kustomization.yaml"
    listing.write_text(
        listing.read_text().replace(
            "  - ../../../../components/autoscaling/pool\n",
            "  - ../../../../components/autoscaling/pool\n  - ../../../../components/pool/reservation\n",
        )
    )


# --- pass ------------------------------------------------------------------------------------


def test_prod_with_its_fallback_is_offered_scored_and_both_halves_draw_quota(
    aws: MotoServer, standin: ServiceQuotasStandIn, monkeypatch: pytest.MonkeyPatch, run_quotas: Run
) -> None:
    monkeypatch.setenv("ACCELCAP_REPO", str(REPO))  # the real prod: Spot pool and On-Demand fallback
    enough_quota(standin)
    result = run_quotas("prod", "--format", "json")
    assert result.code == 0, result.out
    spot, fallback = capacity_of(result)
    assert spot == {
        "pool": "prod-x7k2p-gpu-us-west-2a", "zone": "us-west-2a", "zoneId": ZONE_ID, "market": "Spot",
        "offered": True, "spotScore": 9, "spotScoreThreshold": 5,
    }  # fmt: skip
    assert fallback["market"] == "OnDemand" and fallback["offered"] and "spotScore" not in fallback
    rows = {(r["class"], r["market"]): r["planned"] for r in json.loads(result.out)["summary"]["rows"]}
    assert rows == {("G", "spot"): 16, ("G", "on-demand"): 16}  # 2 x 8 vCPU each half
    text = run_quotas("prod")
    assert "capacity: prod-x7k2p-gpu-us-west-2a in us-west-2a (usw2-az2), Spot; offered; Spot score 9/10" in text.out


def test_an_active_reservation_that_fits_passes_and_reports_its_use(
    aws: MotoServer, standin: ServiceQuotasStandIn, ec2_standin: Ec2StandIn, repo_copy: RepoCopy, run_quotas: Run,
    aws_operations: Operations,
) -> None:  # fmt: skip
    reserved_pool(repo_copy)
    enough_quota(standin)
    ec2_standin.reservations[RESERVATION] = reservation(RESERVATION, "g5.2xlarge", "us-west-2a", 4, available=3)
    result = run_quotas("prod", "--format", "json")
    assert result.code == 0, result.out
    [entry] = capacity_of(result)
    assert (entry["reservation"], entry["reservationState"], entry["reservationTotal"], entry["reservationInUse"]) == (
        RESERVATION, "active", 4, 1,
    )  # fmt: skip
    assert "ec2:DescribeCapacityReservations" in aws_operations
    assert "ec2:GetSpotPlacementScores" not in aws_operations  # not a Spot pool
    calls = list(zip(aws_operations, aws_operations.regions, strict=True))
    assert [c for c in calls if c[0] not in NEEDS_NO_PERMISSION and not policy_allows(*c)] == []
    # the reservation's instances draw on the family's On-Demand quota
    assert [(r["class"], r["market"]) for r in json.loads(result.out)["summary"]["rows"]] == [("G", "on-demand")]


# --- findings --------------------------------------------------------------------------------


def test_a_type_not_offered_in_the_zone_names_the_zones_where_it_is(
    aws: MotoServer, standin: ServiceQuotasStandIn, repo_copy: RepoCopy, run_quotas: Run
) -> None:
    repo_copy.set_pool(instance_type="trn1.32xlarge", on_demand=True)
    enough_quota(standin)
    result = run_quotas("prod", "--format", "json")
    assert result.code == 1
    [finding] = [f for f in json.loads(result.out)["findings"] if f["code"] == "type-not-offered"]
    assert finding["message"] == (
        "trn1.32xlarge is not offered in us-west-2a (usw2-az2); offered in: us-west-2b (usw2-az1), us-west-2d (usw2-az4)"
    )


@pytest.mark.parametrize(
    ("changes", "code", "says"),
    [
        ({"state": "expired"}, "reservation-not-active", "is expired, not active"),
        (
            {"state": "scheduled", "start": NOW + dt.timedelta(days=3)},
            "reservation-scheduled",
            "is scheduled: it starts",
        ),
        ({"instance_type": "g5.4xlarge"}, "reservation-mismatch", "instance type g5.4xlarge (the pool's g5.2xlarge)"),
        ({"zone": "us-west-2b"}, "reservation-mismatch", "zone us-west-2b (the pool's us-west-2a)"),
        ({"platform": "Windows"}, "reservation-mismatch", "platform Windows (the pool's Linux/UNIX)"),
        (
            {"total": 1, "available": 0},
            "reservation-too-small",
            "holds 1 instance(s) (1 in use) but the pool may run 2",
        ),
    ],
    ids=["expired", "scheduled", "other-type", "other-zone", "other-platform", "too-small"],
)
def test_a_reservation_that_does_not_serve_the_pool_is_a_finding(
    aws: MotoServer, standin: ServiceQuotasStandIn, ec2_standin: Ec2StandIn, repo_copy: RepoCopy, run_quotas: Run,
    changes: dict[str, t.Any], code: str, says: str,
) -> None:  # fmt: skip
    reserved_pool(repo_copy)
    enough_quota(standin)
    fields = {"instance_type": "g5.2xlarge", "zone": "us-west-2a", "total": 4} | changes
    ec2_standin.reservations[RESERVATION] = reservation(
        RESERVATION, fields.pop("instance_type"), fields.pop("zone"), fields.pop("total"), **fields
    )
    result = run_quotas("prod", "--format", "json")
    findings = [f for f in json.loads(result.out)["findings"] if f["code"] == code]
    assert findings and says in findings[0]["message"], result.out
    assert result.code == (0 if code == "reservation-scheduled" else 1)


def test_a_reservation_that_does_not_exist_is_a_finding_and_the_others_are_judged(
    aws: MotoServer, standin: ServiceQuotasStandIn, ec2_standin: Ec2StandIn, repo_copy: RepoCopy, run_quotas: Run
) -> None:
    reserved_pool(repo_copy)
    enough_quota(standin)
    result = run_quotas("prod", "--format", "json")
    assert result.code == 1
    assert codes_of(result) == ["reservation-missing"]


@pytest.mark.parametrize(
    ("ends_in", "code", "exit_code"),
    [(dt.timedelta(days=2), "capacity-block-ending", 0), (-dt.timedelta(hours=1), "capacity-block-ended", 1)],
)
def test_a_capacity_block_end_is_warned_then_a_finding(
    aws: MotoServer, standin: ServiceQuotasStandIn, ec2_standin: Ec2StandIn, repo_copy: RepoCopy, run_quotas: Run,
    ends_in: dt.timedelta, code: str, exit_code: int,
) -> None:  # fmt: skip
    reserved_pool(repo_copy, market="CapacityBlock", instance_type="p5.48xlarge", max_replicas=1)
    enough_quota(standin)
    ec2_standin.reservations[RESERVATION] = reservation(
        RESERVATION, "p5.48xlarge", "us-west-2a", 1, end=NOW + ends_in, block=True,
        state="active" if ends_in > dt.timedelta(0) else "expired",
    )  # fmt: skip
    result = run_quotas("prod", "--format", "json")
    assert codes_of(result) == [code], result.out
    assert result.code == exit_code
    [entry] = capacity_of(result)
    assert entry["reservationEnd"].startswith(str((NOW + ends_in).date()))


def test_the_capacity_block_warning_days_are_a_setting(
    aws: MotoServer, standin: ServiceQuotasStandIn, ec2_standin: Ec2StandIn, repo_copy: RepoCopy, run_quotas: Run
) -> None:
    reserved_pool(repo_copy, market="CapacityBlock", instance_type="p5.48xlarge", max_replicas=1)
    enough_quota(standin)
    ec2_standin.reservations[RESERVATION] = reservation(
        RESERVATION, "p5.48xlarge", "us-west-2a", 1, end=NOW + dt.timedelta(days=10), block=True
    )
    assert codes_of(run_quotas("prod", "--format", "json")) == []
    assert codes_of(run_quotas("prod", "--format", "json", "--capacity-block-warn-days", "14")) == [
        "capacity-block-ending"
    ]


def test_a_low_spot_score_is_advisory_unless_blocking(
    aws: MotoServer, standin: ServiceQuotasStandIn, ec2_standin: Ec2StandIn, repo_copy: RepoCopy, run_quotas: Run
) -> None:
    enough_quota(standin)
    ec2_standin.page_size = 1  # the pool's zone on the last page
    ec2_standin.scores |= {("g5.2xlarge", "usw2-az1"): 9, ("g5.2xlarge", "usw2-az3"): 8, ("g5.2xlarge", ZONE_ID): 3}
    result = run_quotas("prod", "--format", "json")
    assert result.code == 0 and codes_of(result) == ["spot-score-low"]
    assert capacity_of(result)[0]["spotScore"] == 3
    assert codes_of(run_quotas("prod", "--format", "json", "--spot-score-threshold", "3")) == []
    pyproject = repo_copy.root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n[tool.accelcap.verify-quotas]\nspot-score-blocking = true\n")
    load_settings.cache_clear()
    blocking = run_quotas("prod", "--format", "json")
    assert blocking.code == 1 and codes_of(blocking) == ["spot-score-too-low"]


def test_a_zone_missing_from_the_scores_scored_too_low_to_be_listed(
    aws: MotoServer, standin: ServiceQuotasStandIn, ec2_standin: Ec2StandIn, run_quotas: Run
) -> None:
    enough_quota(standin)
    ec2_standin.scores[("g5.2xlarge", "usw2-az1")] = 9
    result = run_quotas("prod", "--format", "json")
    assert codes_of(result) == ["spot-score-low"]
    assert "is not listed (below every listed zone)" in json.loads(result.out)["findings"][0]["message"]


# --- fail closed -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "error", "says"),
    [
        ("GetSpotPlacementScores", "UnauthorizedOperation", "ec2:GetSpotPlacementScores: access denied"),
        ("GetSpotPlacementScores", "RequestLimitExceeded", "ec2:GetSpotPlacementScores: throttled by AWS"),
        ("DescribeCapacityReservations", "UnauthorizedOperation", "ec2:DescribeCapacityReservations: access denied"),
    ],
)
def test_a_refused_capacity_call_is_exit_3_naming_it(
    aws: MotoServer, standin: ServiceQuotasStandIn, ec2_standin: Ec2StandIn, repo_copy: RepoCopy, run_quotas: Run,
    monkeypatch: pytest.MonkeyPatch, action: str, error: str, says: str,
) -> None:  # fmt: skip
    # One attempt: no backoff to wait out (retries: test_quotas_moto's test_throttling_after_retries).
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    if action == "DescribeCapacityReservations":
        reserved_pool(repo_copy)
    enough_quota(standin)
    ec2_standin.fail_with[action] = error
    result = run_quotas("prod")
    assert result.code == 3
    assert says in result.err and "Traceback" not in result.err


def test_a_silent_capacity_endpoint_times_out_naming_the_call(
    aws: MotoServer, standin: ServiceQuotasStandIn, ec2_standin: Ec2StandIn, run_quotas: Run,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    enough_quota(standin)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    # The calls before it (moto, the quota stand-in) must answer within the read limit too: 1.5 s,
    # as 0.5 s was once too short for one of them on a loaded machine.
    monkeypatch.setenv("ACCELCAP_TIMEOUTS", "aws.read=1.5,aws.total=3")
    ec2_standin.silent["GetSpotPlacementScores"] = 10  # until the stand-in's next reset
    result = run_quotas("prod")
    assert result.code == 3
    assert "ec2:GetSpotPlacementScores: timed out" in result.err


def test_an_unreadable_score_is_exit_3(
    aws: MotoServer, standin: ServiceQuotasStandIn, ec2_standin: Ec2StandIn, run_quotas: Run
) -> None:
    enough_quota(standin)
    ec2_standin.scores[("g5.2xlarge", ZONE_ID)] = 11
    result = run_quotas("prod")
    assert result.code == 3 and "Score 11 is not 1 to 10" in result.err


def test_plan_says_what_it_could_not_check(run_quotas: Run, aws_operations: Operations) -> None:
    result = run_quotas("prod", "--plan")
    assert result.code == 0 and aws_operations == []
    assert "CAPACITY NOT CHECKED (no AWS calls): instance type offered in the zone (1 pool(s)); Spot placement " in (
        result.out
    )


def test_bad_capacity_settings_are_bad_input(repo_copy: RepoCopy, run_quotas: Run) -> None:
    pyproject = repo_copy.root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n[tool.accelcap.verify-quotas]\nspot-score-threshold = 11\n")
    result = run_quotas("prod", "--plan")
    assert result.code == 2 and "spot-score-threshold 11 is not a whole number from 1 to 10" in result.err
