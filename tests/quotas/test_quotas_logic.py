"""The pure parts of verify-quotas: counting use, judging rows, translating AWS errors, --plan."""

from __future__ import annotations

import json
import typing as t

import botocore.exceptions
import pytest
from quota_support import INFRA_ID, POOL, REPO, RepoCopy, Result

from accelcap.catalog.ec2_quotas import Market, family_quotas, quota_for
from accelcap.check import cli as check_cli
from accelcap.quotas.aws import translate
from accelcap.quotas.demand import PoolDemand, PoolPlan
from accelcap.quotas.usage import count_usage, instance_types_in_use
from accelcap.quotas.verdict import CHECKS, judge, plan_rows
from support import run_in_process

VCPUS = {"g5.2xlarge": 8, "g5.xlarge": 4, "m6i.large": 2, "inf2.xlarge": 4, "mac2.metal": 12}


def plan(name: str = POOL, instance_type: str = "g5.2xlarge", market: Market = Market.SPOT, most: int = 2) -> PoolPlan:
    quota_for(instance_type, market)  # refuses what plan_pools refuses
    return PoolPlan(
        name, f"MachineSet/openshift-machine-api/{name}", instance_type, market, most, family_quotas(instance_type)
    )


def instance(
    instance_type: str,
    state: str = "running",
    spot: bool = False,
    tenancy: str = "default",
    name: str | None = None,
    cluster: str | None = None,
) -> dict[str, t.Any]:
    tags = []
    if name:
        tags.append({"Key": "Name", "Value": name})
    if cluster:
        tags.append({"Key": f"kubernetes.io/cluster/{cluster}", "Value": "owned"})
    found: dict[str, t.Any] = {
        "InstanceId": f"i-{instance_type}-{state}",
        "InstanceType": instance_type,
        "State": {"Name": state},
        "Placement": {"Tenancy": tenancy},
        "Tags": tags,
    }
    if spot:
        found["InstanceLifecycle"] = "spot"
    return found


def spot_request(instance_type: str, state: str = "open") -> dict[str, t.Any]:
    return {"SpotInstanceRequestId": "sir-1", "State": state, "LaunchSpecification": {"InstanceType": instance_type}}


def test_counting_rules() -> None:
    instances = [
        instance("g5.2xlarge"),  # On-Demand G 8
        instance("g5.xlarge", spot=True),  # Spot G 4
        instance("g5.2xlarge", state="stopped"),  # not running: no quota
        instance("g5.2xlarge", state="pending"),
        instance("m6i.large", tenancy="host"),  # Dedicated Host: no vCPU quota
        instance("mac2.metal", tenancy="host"),  # host-only family, skipped before classifying
        instance("m6i.large", tenancy="dedicated"),  # Dedicated Instance: Standard On-Demand 2
        instance("g5.2xlarge", spot=True, name=f"{POOL}-ab3de", cluster=INFRA_ID),  # the pool's own
    ]
    requests = [spot_request("g5.xlarge"), spot_request("g5.2xlarge", state="active"), spot_request("inf2.xlarge")]
    usage = count_usage(instances, requests, VCPUS, [plan()], INFRA_ID)
    assert dict(usage.in_use) == {
        ("G", Market.ON_DEMAND): 8,
        ("G", Market.SPOT): 4 + 4,  # running + open request
        ("Standard", Market.ON_DEMAND): 2,
        ("Inf", Market.SPOT): 4,
    }
    assert dict(usage.own) == {("G", Market.SPOT): 8}
    assert dict(usage.open_spot_requests) == {("G", Market.SPOT): 4, ("Inf", Market.SPOT): 4}
    assert (usage.instances_counted, usage.instances_own, usage.instances_on_hosts) == (3, 1, 2)
    assert usage.unclassified == []
    assert instance_types_in_use(instances, requests) == {"g5.2xlarge", "g5.xlarge", "m6i.large", "inf2.xlarge"}


@pytest.mark.parametrize(
    "name, cluster, instance_type, spot, own",
    [
        (f"{POOL}-ab3de", INFRA_ID, "g5.2xlarge", True, True),
        (f"{POOL}-ab3de", "other-infra", "g5.2xlarge", True, False),  # other cluster
        (f"{POOL}-ab3de", INFRA_ID, "g5.xlarge", True, False),  # older type of the pool
        (f"{POOL}-ab3de", INFRA_ID, "g5.2xlarge", False, False),  # other market
        (f"{POOL}-ab3d", INFRA_ID, "g5.2xlarge", True, False),  # not a generated name
        (f"{POOL}-extra-ab3de", INFRA_ID, "g5.2xlarge", True, False),  # another MachineSet's prefix
        (None, INFRA_ID, "g5.2xlarge", True, False),
    ],
)
def test_which_machines_are_the_pools_own(
    name: str | None, cluster: str, instance_type: str, spot: bool, own: bool
) -> None:
    usage = count_usage([instance(instance_type, spot=spot, name=name, cluster=cluster)], [], VCPUS, [plan()], INFRA_ID)
    assert (usage.instances_own == 1) is own


def test_unclassified_usage_fails_closed() -> None:
    usage = count_usage([instance("q9.large"), instance("g5.4xlarge")], [spot_request("e1.large")], VCPUS, [], INFRA_ID)
    assert [u.instance_type for u in usage.unclassified] == ["q9.large", "g5.4xlarge", "e1.large"]
    rows, _ = plan_rows([PoolDemand(plan(), 8)], "overlays/prod")
    _, findings = judge(rows, {"L-3819A6DF": {"Value": 100.0}}, usage, "overlays/prod")
    assert {f.code for f in findings} == {"usage-unclassified"}
    assert all(f.severity == "error" for f in findings)


@pytest.mark.parametrize(
    "quota, in_use, verdict",
    [(100.0, 0, "ok"), (16.0, 0, "warn"), (16.0, 1, "fail"), (0.0, 0, "fail"), (None, 0, "unknown")],
)
def test_verdicts(quota: float | None, in_use: int, verdict: str) -> None:
    from accelcap.quotas.usage import Usage

    usage = Usage()
    usage.in_use[("G", Market.SPOT)] = in_use
    rows, _ = plan_rows([PoolDemand(plan(), 8)], "overlays/prod")  # 2 x 8 = 16 planned
    quotas = {} if quota is None else {"L-3819A6DF": {"Value": quota}}
    judged, findings = judge(rows, quotas, usage, "overlays/prod", warn_percent=80)
    assert judged[0].verdict == verdict
    expected = {"ok": [], "warn": ["quota-near-limit"], "fail": ["quota-exceeded"], "unknown": ["quota-unknown"]}
    assert [f.code for f in findings] == expected[verdict]


def test_spot_pool_of_an_on_demand_only_class() -> None:
    rows, findings = plan_rows([PoolDemand(plan(instance_type="hpc7g.16xlarge"), 64)], "overlays/prod")
    assert rows[0].verdict == "no-spot-market" and rows[0].code is None
    assert [f.code for f in findings] == ["no-spot-market"]


@pytest.mark.parametrize("first", ["trn1", "trn2u"])
def test_a_spot_pool_without_a_quota_never_shares_the_row_of_its_class(first: str) -> None:
    # trn2u is Trn, like trn1, but EC2 sells it On-Demand only: it must not count against
    # the Trn Spot quota, whichever pool comes first.
    pools = {
        "trn1": PoolDemand(plan("trn1", "trn1.32xlarge"), 128),
        "trn2u": PoolDemand(plan("trn2u", "trn2u.48xlarge"), 192),
    }
    order = [pools[first], *(d for name, d in pools.items() if name != first)]
    rows, findings = plan_rows(order, "overlays/prod")
    by_pool = {row.pools: row for row in rows}
    assert by_pool[("trn1",)].code == "L-6B0D517C" and by_pool[("trn1",)].verdict == "planned"
    assert by_pool[("trn1",)].planned == 2 * 128
    assert by_pool[("trn2u",)].code is None and by_pool[("trn2u",)].verdict == "no-spot-market"
    assert [(f.code, f.object) for f in findings] == [("no-spot-market", "MachineSet/openshift-machine-api/trn2u")]


def _client_error(code: str, operation: str = "ListServiceQuotas", retries: int = 0) -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError(
        {
            "Error": {"Code": code, "Message": "m"},
            "ResponseMetadata": {"HTTPStatusCode": 400, "RetryAttempts": retries},
        },
        operation,
    )


def test_translate() -> None:
    action = "servicequotas:ListServiceQuotas"
    assert "access denied" in translate(_client_error("AccessDeniedException"), action).what
    assert "UnauthorizedOperation" in translate(_client_error("UnauthorizedOperation"), "ec2:DescribeInstances").what
    assert "after 3 attempt(s)" in translate(_client_error("RequestLimitExceeded", retries=2), action).what
    assert "rejected the credentials" in translate(_client_error("ExpiredToken"), action).what
    assert translate(botocore.exceptions.NoCredentialsError(), action).where == "credentials"
    timeout = botocore.exceptions.ConnectTimeoutError(endpoint_url="https://ec2.example")
    assert "cannot reach https://ec2.example" in translate(timeout, action).what
    assert all(e.exit_code == 3 for e in [translate(_client_error("X"), action)])


def test_docs_list_every_check_code() -> None:
    # The tables themselves are generated (.venv/bin/python -m accelcap.generate; its --check test).
    text = (REPO / "docs" / "verify-quotas.md").read_text()
    for check in CHECKS.values():
        assert f"`{check.code}`" in text, check.code


# --- --plan: no AWS at all ---------------------------------------------------------------


def test_plan_makes_no_aws_call(
    monkeypatch: pytest.MonkeyPatch, aws_operations: list[str], run_quotas: t.Callable[..., Result]
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # would fail if anything were called
    result = run_quotas("prod", "--plan", "--format", "json")
    assert result.code == 0, result.err
    assert aws_operations == []
    rows = json.loads(result.out)["summary"]["rows"]
    assert [(r["class"], r["market"], r["planned"], r["quota"]) for r in rows] == [("G", "spot", 16, None)]


def test_plan_names_a_type_missing_from_the_table(repo_copy: RepoCopy, run_quotas: t.Callable[..., Result]) -> None:
    repo_copy.set_pool(instance_type="g6f.large")
    result = run_quotas("prod", "--plan")
    assert result.code == 2
    assert "g6f.large is not in the instance-type table" in result.err


def test_unknown_family_in_a_pool_is_bad_input(repo_copy: RepoCopy, run_quotas: t.Callable[..., Result]) -> None:
    repo_copy.set_pool(instance_type="q9.large")
    for argv in (("prod", "--plan"), ("prod",)):  # before any AWS call either way
        result = run_quotas(*argv)
        assert result.code == 2
        assert f"MachineSet/openshift-machine-api/{POOL}" in result.err and "q9" in result.err


def test_unknown_cluster_and_bad_flag(run_quotas: t.Callable[..., Result]) -> None:
    assert run_quotas("nope", "--plan").code == 2
    assert run_quotas("prod", "--warn-at", "120").code == 2


def test_help_says_what_it_reads_writes_and_exits(run_quotas: t.Callable[..., Result]) -> None:
    result = run_quotas("--help")
    assert result.code == 0
    assert "reads:" in result.out and "writes:" in result.out and "exit codes:" in result.out


# --- pre-commit: --changed, and no AWS call by default ----------------------------------


def _credentials_that_would_reach_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials in the environment, and an endpoint that fails any call that is made."""
    import os

    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.mark.parametrize("hooks_file, prefix", [(".pre-commit-config.yaml", "tools/check"),
                                                (".pre-commit-hooks.yaml", "check")])  # fmt: skip
def test_the_precommit_hook_plans_only_even_with_credentials(
    hooks_file: str, prefix: str, monkeypatch: pytest.MonkeyPatch, aws_operations: list[str]
) -> None:
    """The quota plan runs in the check hook (``tools/check``), which never calls AWS."""
    import yaml

    document = yaml.safe_load((REPO / hooks_file).read_text())
    hooks = document if isinstance(document, list) else [h for r in document["repos"] for h in r["hooks"]]
    assert not [h for h in hooks if "verify-quotas" in h["entry"]]  # no hook renders a second time
    (entry,) = [h["entry"] for h in hooks if h["entry"].startswith(f"{prefix} ")]
    _credentials_that_would_reach_aws(monkeypatch)
    monkeypatch.delenv("ACCELCAP_FORMAT", raising=False)
    result = run_in_process(check_cli, *entry.split()[1:], "base/pools/gpu/kustomization.yaml")
    assert result.code == 0, result.err
    assert aws_operations == []
    assert "QUOTA NOT CHECKED" in result.out and "cluster prod" in result.out


def test_plan_says_the_quota_was_not_checked_and_how_to_check_it(run_quotas: t.Callable[..., Result]) -> None:
    result = run_quotas("prod", "--plan")
    assert result.code == 0, result.err
    assert "QUOTA NOT CHECKED" in result.out and "tools/verify-quotas prod" in result.out


def test_changed_files_select_the_clusters_they_touch(
    monkeypatch: pytest.MonkeyPatch, run_quotas: t.Callable[..., Result]
) -> None:
    _credentials_that_would_reach_aws(monkeypatch)
    touched = run_quotas("--plan", "--changed", "base/pools/gpu/kustomization.yaml")
    assert touched.code == 0, touched.err
    assert "cluster prod" in touched.out
    untouched = run_quotas("--plan", "--changed", "README.md")
    assert (untouched.code, "nothing to check" in untouched.out) == (0, True)
    assert run_quotas("prod", "--changed", "README.md").code == 2
    assert run_quotas("--plan").code == 2


def test_list_clusters_for_the_ci_matrix(run_quotas: t.Callable[..., Result]) -> None:
    result = run_quotas("--list-clusters")
    assert result.code == 0, result.err
    assert json.loads(result.out) == [{"cluster": "prod", "account": "153526447089", "region": "us-west-2"}]
    assert run_quotas("--list-clusters", "prod").code == 2
