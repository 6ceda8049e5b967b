"""Which AWS operations verify-quotas performs: allowed by docs/iam-policy.json, and as
many for a 50-pool fleet as for one pool (beyond the 100-types batching)."""

from __future__ import annotations

import collections
import fnmatch
import json
import typing as t

import pytest
from moto.ec2.models.instance_types import INSTANCE_TYPES
from quota_support import REGION, REPO, MotoServer, Operations, RepoCopy, Result
from sq_standin import ServiceQuotasStandIn

from accelcap.facts import list_clusters, load_facts
from accelcap.quotas.aws import AwsAccount

pytestmark = pytest.mark.slow

POLICY = REPO / "docs" / "iam-policy.json"
#: sts:GetCallerIdentity needs no permission, and an explicit Deny cannot block it.
NEEDS_NO_PERMISSION = {"sts:GetCallerIdentity"}
EXPECTED = {
    "sts:GetCallerIdentity",
    "ec2:DescribeImages",
    "ec2:DescribeInstances",
    "ec2:DescribeSpotInstanceRequests",
    "ec2:DescribeInstanceTypes",
    "servicequotas:ListServiceQuotas",
    "servicequotas:GetAWSDefaultServiceQuota",
    # the capacity checks of the same session (accelcap.quotas.offerings); prod has no
    # reservation-backed pool, so DescribeCapacityReservations is not called (test_capacity_checks)
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeInstanceTypeOfferings",
    "ec2:GetSpotPlacementScores",
}
Run = t.Callable[..., Result]

# 50 pools of 50 types in eight quota classes, half of them On-Demand (all in moto's catalogue).
FLEET = [
    "g5.xlarge", "g5.2xlarge", "g5.4xlarge", "g5.8xlarge", "g5.12xlarge", "g5.16xlarge", "g5.24xlarge",
    "g5.48xlarge", "g6.xlarge", "g6.2xlarge", "g6.4xlarge", "g6.8xlarge", "g6.12xlarge", "g6e.xlarge",
    "g6e.2xlarge", "g6e.4xlarge", "g4dn.xlarge", "g4dn.2xlarge", "g4dn.4xlarge", "vt1.3xlarge",
    "p4d.24xlarge", "p5.48xlarge", "p5.4xlarge", "inf2.xlarge", "inf2.8xlarge", "inf2.24xlarge",
    "inf2.48xlarge", "inf1.xlarge", "inf1.2xlarge", "trn1.2xlarge", "trn1.32xlarge", "trn1n.32xlarge",
    "dl2q.24xlarge", "f2.12xlarge", "x2idn.16xlarge", "m6i.large", "m6i.xlarge", "m6i.2xlarge",
    "c5.xlarge", "c5.2xlarge", "r5a.large", "r5a.xlarge", "t3.large", "i4i.large", "im4gn.large",
    "is4gen.large", "d3.xlarge", "z1d.large", "h1.2xlarge", "a1.large",
]  # fmt: skip


def policy() -> dict[str, t.Any]:
    return t.cast(dict[str, t.Any], json.loads(POLICY.read_text()))


def allowed_actions() -> list[str]:
    actions: list[str] = []
    for statement in policy()["Statement"]:
        assert statement["Effect"] == "Allow"
        listed = statement["Action"]
        actions += [listed] if isinstance(listed, str) else listed
    return actions


def policy_allows(operation: str, region: str) -> bool:
    """The policy's answer for ``operation`` sent to ``region``: an Allow statement lists the
    action and all its conditions hold (the policy only uses StringEquals on
    aws:RequestedRegion; anything else it cannot evaluate fails the test)."""
    if operation in NEEDS_NO_PERMISSION:
        return True
    for statement in policy()["Statement"]:
        listed = statement["Action"]
        if not any(fnmatch.fnmatchcase(operation, a) for a in ([listed] if isinstance(listed, str) else listed)):
            continue
        conditions = statement.get("Condition", {})
        assert set(conditions) <= {"StringEquals"}, conditions
        keys = conditions.get("StringEquals", {})
        assert set(keys) <= {"aws:RequestedRegion"}, keys
        regions = keys.get("aws:RequestedRegion")
        if regions is None or region in ([regions] if isinstance(regions, str) else regions):
            return True
    return False


def test_policy_is_read_only_and_limited_to_the_clusters_regions() -> None:
    for action in allowed_actions():
        name = action.partition(":")[2]
        assert "*" not in action, f"{action}: least privilege lists actions, no wildcards"
        assert name.startswith(("Describe", "List", "Get")), f"{action} is not read-only"
    cluster_regions = {load_facts(name).region for name in list_clusters()}
    for statement in policy()["Statement"]:
        regions = statement.get("Condition", {}).get("StringEquals", {}).get("aws:RequestedRegion")
        assert regions is not None, f"{statement['Sid']}: no aws:RequestedRegion condition"
        assert set([regions] if isinstance(regions, str) else regions) == cluster_regions, statement["Sid"]


def test_every_operation_is_allowed_by_the_policy_in_the_clusters_region_only(
    aws: MotoServer, standin: ServiceQuotasStandIn, aws_operations: Operations, run_quotas: Run
) -> None:
    standin.applied["L-1216C47A"] = 10  # G Spot has no applied value: the default fallback runs too
    standin.defaults["L-3819A6DF"] = 64
    standin.defaults["L-DB2E81BA"] = 64  # prod's On-Demand fallback
    assert run_quotas("prod").code == 0
    assert set(aws_operations) == EXPECTED
    assert aws_operations[0] == "sts:GetCallerIdentity"
    assert set(aws_operations.regions) == {REGION}  # the cluster's Region, from its facts
    calls = list(zip(aws_operations, aws_operations.regions, strict=True))
    assert [call for call in calls if not policy_allows(*call)] == []
    # The same calls in any other Region are denied.
    assert [op for op in aws_operations if op not in NEEDS_NO_PERMISSION and policy_allows(op, "us-east-1")] == []
    # nothing in the policy that the tool does not use (a reservation-backed pool's call:
    # test_capacity_checks.py runs it and checks the policy allows it)
    unused = {a for a in allowed_actions() if not any(fnmatch.fnmatchcase(op, a) for op in aws_operations)}
    assert unused == {"ec2:DescribeCapacityReservations"}


def test_calls_do_not_grow_with_the_pools(
    aws: MotoServer, standin: ServiceQuotasStandIn, repo_copy: RepoCopy, aws_operations: list[str], run_quotas: Run
) -> None:
    assert run_quotas("prod", "--format", "json").code == 1  # no quota values: fails closed
    one_pool = collections.Counter(aws_operations)
    aws_operations.clear()

    repo_copy.add_pools([*FLEET[1:], "g5.2xlarge"])  # 50 pools besides prod's own
    result = run_quotas("prod", "--format", "json")
    document = json.loads(result.out)
    assert document["summary"]["pools"] == 51
    fleet = collections.Counter(aws_operations)
    rows = document["summary"]["rows"]
    assert len(rows) >= 12  # eight classes, both markets for most
    for operation in ("sts:GetCallerIdentity", "ec2:DescribeInstances", "ec2:DescribeSpotInstanceRequests",
                      "ec2:DescribeInstanceTypes", "servicequotas:ListServiceQuotas"):  # fmt: skip
        assert fleet[operation] == one_pool[operation] == 1, operation
    # one default look-up per quota code the plan needs, never per pool
    assert fleet["servicequotas:GetAWSDefaultServiceQuota"] == len({r["code"] for r in rows if r["code"]})


def test_describe_instance_types_is_batched_by_100(aws: MotoServer, aws_operations: list[str]) -> None:
    # 250 of the types moto serves, from its own table (listing them all through moto's
    # DescribeInstanceTypes costs seconds)
    catalogue = sorted(INSTANCE_TYPES)[:250]
    vcpus = AwsAccount(REGION).instance_vcpus(catalogue)
    assert len(vcpus) == 250
    assert aws_operations == ["ec2:DescribeInstanceTypes"] * 3


def test_unknown_type_is_named(aws: MotoServer) -> None:
    from accelcap.quotas.aws import UnknownInstanceTypes

    with pytest.raises(UnknownInstanceTypes) as raised:
        AwsAccount(REGION).instance_vcpus(["g5.2xlarge", "f1.2xlarge", "g5.xlarge"])
    assert raised.value.instance_types == ["f1.2xlarge"]
