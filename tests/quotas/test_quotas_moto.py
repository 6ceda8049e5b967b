"""verify-quotas end to end: a real moto server (EC2, STS) and the Service Quotas stand-in."""

from __future__ import annotations

import json
import typing as t

import pytest
from quota_support import ACCOUNT, INFRA_ID, OTHER_ACCOUNT, POOL, MotoServer, RepoCopy, Result, launch, point_aws_at
from sq_standin import ServiceQuotasStandIn

pytestmark = pytest.mark.slow

G_OD, G_SPOT = "L-DB2E81BA", "L-3819A6DF"
INF_OD = "L-1945791B"
Run = t.Callable[..., Result]


def rows_of(result: Result) -> dict[str, dict[str, t.Any]]:
    document = json.loads(result.out)
    return {f"{r['class']}/{r['market']}": r for r in document["summary"]["rows"]}


def codes_of(result: Result) -> list[str]:
    return [f["code"] for f in json.loads(result.out)["findings"]]


def test_enough_quota(aws: MotoServer, standin: ServiceQuotasStandIn, run_quotas: Run) -> None:
    standin.applied.update({G_SPOT: 64, G_OD: 64, "L-1216C47A": 100})
    result = run_quotas("prod", "--format", "json")
    assert result.code == 0, result.err
    row = rows_of(result)["G/spot"]
    # prod: g5.2xlarge (8 vCPU, from EC2) x maxReplicas 2, Spot
    assert row == {
        **row,
        "quota": 64,
        "quotaSource": "applied",
        "inUse": 0,
        "planned": 16,
        "headroom": 48,
        "verdict": "ok",
    }
    assert list(rows_of(result)) == ["G/spot"]
    assert codes_of(result) == []


def test_text_output_names_the_row(aws: MotoServer, standin: ServiceQuotasStandIn, run_quotas: Run) -> None:
    standin.applied[G_SPOT] = 64
    result = run_quotas("prod")
    assert result.code == 0, result.err
    assert "L-3819A6DF" in result.out and "verify-quotas: ok" in result.out


def test_not_enough_on_demand_g(
    aws: MotoServer, standin: ServiceQuotasStandIn, repo_copy: RepoCopy, run_quotas: Run
) -> None:
    repo_copy.set_pool(on_demand=True)
    standin.applied.update({G_OD: 16, G_SPOT: 1000})
    launch(aws, "g5.xlarge")  # 4 vCPU On-Demand G of something else: 4 + 16 > 16
    result = run_quotas("prod", "--format", "json")
    assert result.code == 1, result.err
    row = rows_of(result)["G/on-demand"]
    assert (row["inUse"], row["planned"], row["headroom"], row["verdict"]) == (4, 16, -4, "fail")
    assert codes_of(result) == ["quota-exceeded"]


def test_not_enough_spot_g_while_on_demand_is_fine(
    aws: MotoServer, standin: ServiceQuotasStandIn, run_quotas: Run
) -> None:
    standin.applied.update({G_OD: 1000, G_SPOT: 16})
    launch(aws, "g5.xlarge", count=10)  # On-Demand: must not count toward Spot
    ok = run_quotas("prod", "--format", "json")
    assert ok.code == 0, ok.out
    assert rows_of(ok)["G/spot"]["inUse"] == 0

    launch(aws, "g5.xlarge", spot=True)  # 4 vCPU Spot G: 4 + 16 > 16
    result = run_quotas("prod", "--format", "json")
    assert result.code == 1
    assert rows_of(result)["G/spot"]["inUse"] == 4
    assert [(f["code"], f["object"]) for f in json.loads(result.out)["findings"]] == [("quota-exceeded", "G/spot")]


def test_inf_pool_against_the_inf_quota(
    aws: MotoServer, standin: ServiceQuotasStandIn, repo_copy: RepoCopy, run_quotas: Run
) -> None:
    repo_copy.set_pool(instance_type="inf2.xlarge", on_demand=True, max_replicas=3)
    standin.applied.update({INF_OD: 12, G_OD: 0, "L-1216C47A": 0})
    result = run_quotas("prod", "--format", "json")
    assert result.code == 0, result.err
    assert rows_of(result)["Inf/on-demand"]["planned"] == 12  # 3 x 4 vCPU
    assert list(rows_of(result)) == ["Inf/on-demand"]  # never Standard ("i") nor G

    standin.applied[INF_OD] = 8
    failed = run_quotas("prod", "--format", "json")
    assert failed.code == 1
    assert rows_of(failed)["Inf/on-demand"]["code"] == INF_OD


def test_code_without_applied_value_uses_the_default(
    aws: MotoServer, standin: ServiceQuotasStandIn, run_quotas: Run
) -> None:
    standin.applied.update({G_OD: 5, "L-1216C47A": 5, "L-417A185B": 5})  # several pages, no G Spot
    standin.defaults[G_SPOT] = 32
    result = run_quotas("prod", "--format", "json")
    assert result.code == 0, result.err
    assert rows_of(result)["G/spot"]["quota"] == 32
    assert rows_of(result)["G/spot"]["quotaSource"] == "default"
    assert standin.calls.count("ListServiceQuotas") == 2  # paginated, 3 quotas at 2 a page
    assert standin.calls[-1] == "GetAWSDefaultServiceQuota"


def test_code_with_no_value_at_all_fails_closed(
    aws: MotoServer, standin: ServiceQuotasStandIn, run_quotas: Run
) -> None:
    result = run_quotas("prod", "--format", "json")
    assert result.code == 1
    assert codes_of(result) == ["quota-unknown"]
    assert rows_of(result)["G/spot"]["verdict"] == "unknown"


def test_pool_instances_are_not_counted_twice(aws: MotoServer, standin: ServiceQuotasStandIn, run_quotas: Run) -> None:
    standin.applied[G_SPOT] = 24
    cluster_tag = {f"kubernetes.io/cluster/{INFRA_ID}": "owned"}
    launch(aws, "g5.2xlarge", spot=True, tags={**cluster_tag, "Name": f"{POOL}-abcde"})
    launch(aws, "g5.2xlarge", spot=True, tags={**cluster_tag, "Name": f"{POOL}-x2k9q"})
    # Counted: another MachineSet's machine, and a leftover of the pool with an older type.
    launch(aws, "g5.xlarge", spot=True, tags={**cluster_tag, "Name": f"{INFRA_ID}-other-us-west-2a-zzzzz"})
    launch(aws, "g5.xlarge", spot=True, tags={**cluster_tag, "Name": f"{POOL}-old01"})
    # Same name, other cluster: counted.
    launch(aws, "g5.2xlarge", spot=True, tags={"kubernetes.io/cluster/someone-else": "owned", "Name": f"{POOL}-fffff"})
    result = run_quotas("prod", "--format", "json")
    row = rows_of(result)["G/spot"]
    assert (row["poolsRunning"], row["inUse"], row["planned"]) == (16, 16, 16)
    assert result.code == 1  # 16 + 16 > 24; with the pool's own machines counted it would be 48

    standin.applied[G_SPOT] = 32
    assert run_quotas("prod").code == 0


def test_stopped_instances_do_not_count(aws: MotoServer, standin: ServiceQuotasStandIn, run_quotas: Run) -> None:
    standin.applied[G_SPOT] = 16
    ids = launch(aws, "g5.2xlarge", spot=True, count=2)
    aws.client("ec2").stop_instances(InstanceIds=ids)
    result = run_quotas("prod", "--format", "json")
    assert rows_of(result)["G/spot"]["inUse"] == 0
    assert result.code == 0


def test_warning_above_threshold_passes(aws: MotoServer, standin: ServiceQuotasStandIn, run_quotas: Run) -> None:
    standin.applied[G_SPOT] = 18
    result = run_quotas("prod", "--format", "json")
    assert result.code == 0
    assert codes_of(result) == ["quota-near-limit"]
    assert codes_of(run_quotas("prod", "--format", "json", "--warn-at", "95")) == []


def test_wrong_account_stops_before_any_other_call(
    moto_other_account: MotoServer,
    standin: ServiceQuotasStandIn,
    monkeypatch: pytest.MonkeyPatch,
    aws_operations: list[str],
    run_quotas: Run,
) -> None:
    point_aws_at(monkeypatch, moto_other_account.url, standin.url)
    result = run_quotas("prod")
    assert result.code == 3
    assert result.out == ""
    assert result.err.count("\n") == 1
    assert OTHER_ACCOUNT in result.err and ACCOUNT in result.err
    assert aws_operations == ["sts:GetCallerIdentity"]
    assert standin.calls == []


def test_no_credentials(
    aws: MotoServer, monkeypatch: pytest.MonkeyPatch, aws_operations: list[str], run_quotas: Run
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = run_quotas("prod")
    assert result.code == 3
    assert (
        result.err
        == "verify-quotas: credentials: no AWS credentials found (environment, profile, SSO or instance role)\n"
    )


def test_unknown_profile_is_bad_configuration(aws: MotoServer, run_quotas: Run) -> None:
    result = run_quotas("prod", "--profile", "nope")
    assert result.code == 2
    assert "nope" in result.err


def test_access_denied_names_the_action(aws: MotoServer, standin: ServiceQuotasStandIn, run_quotas: Run) -> None:
    standin.fail_with = "AccessDeniedException"
    result = run_quotas("prod")
    assert result.code == 3
    assert result.err.startswith("verify-quotas: servicequotas:ListServiceQuotas: access denied")
    assert result.err.count("\n") == 1


def test_throttling_after_retries(aws: MotoServer, standin: ServiceQuotasStandIn, run_quotas: Run) -> None:
    standin.fail_with = "TooManyRequestsException"
    result = run_quotas("prod")
    assert result.code == 3
    assert "throttled" in result.err and "after 2 attempt(s)" in result.err
    assert standin.calls == ["ListServiceQuotas", "ListServiceQuotas"]  # AWS_MAX_ATTEMPTS=2


def test_unreachable_endpoint(aws: MotoServer, monkeypatch: pytest.MonkeyPatch, run_quotas: Run) -> None:
    from quota_support import free_port

    monkeypatch.setenv("AWS_ENDPOINT_URL_SERVICE_QUOTAS", f"http://127.0.0.1:{free_port()}")
    result = run_quotas("prod")
    assert result.code == 3
    assert "servicequotas:ListServiceQuotas: cannot reach" in result.err


def test_pool_type_unknown_to_ec2_is_named(
    aws: MotoServer, standin: ServiceQuotasStandIn, repo_copy: RepoCopy, run_quotas: Run
) -> None:
    repo_copy.set_pool(instance_type="g4ad.xlarge")  # a real type, but not in moto's catalogue
    result = run_quotas("prod")
    assert result.code == 2
    assert (
        f"MachineSet/openshift-machine-api/{POOL}" in result.err
        and "g4ad.xlarge is not offered in us-west-2" in result.err
    )


def test_every_format(aws: MotoServer, standin: ServiceQuotasStandIn, run_quotas: Run) -> None:
    standin.applied[G_SPOT] = 8
    markdown = run_quotas("prod", "--format", "markdown")
    assert markdown.code == 1
    assert "| G | spot | L-3819A6DF | 8 |" in markdown.out and "quota-exceeded" in markdown.out
    github = run_quotas("prod", "--format", "github")
    assert github.code == 1
    assert github.out.startswith("::error title=verify-quotas quota-exceeded::")


def test_an_ami_the_region_does_not_have_fails(
    aws: MotoServer, standin: ServiceQuotasStandIn, repo_copy: RepoCopy, run_quotas: Run
) -> None:
    """An RHCOS AMI (lint's CAP033 admits it) that EC2 does not have in the Region: the pool's
    machines cannot launch (issue 19); DescribeImages tells, moto serves it."""
    from accelcap import generate
    from accelcap.config import load_settings

    facts = repo_copy.root / "overlays/prod/facts/cluster.yaml"
    facts.write_text(facts.read_text().replace("id: ami-0870c7a3d5ef4d2b3", "id: ami-0870e36ac57a691a4"))
    load_settings.cache_clear()
    generate.write_derived(repo_copy.root)
    standin.applied.update({G_SPOT: 64, G_OD: 64})
    result = run_quotas("prod", "--format", "json")
    assert result.code == 1, result.err
    (finding,) = json.loads(result.out)["findings"]
    assert finding["code"] == "ami-missing" and "ami-0870e36ac57a691a4" in finding["message"]
