"""The scenarios of issue 12, end to end with moto and the Service Quotas stand-in: the P5
Spot quota, families the quota table does not hold, pools running above their maximum,
SKIP_QUOTAS, and cluster names that are not cluster names."""

from __future__ import annotations

import importlib
import io
import json
import os
import shutil
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest
from quota_support import INFRA_ID, POOL, REPO, MotoServer, RepoCopy, Result, launch
from sq_standin import ServiceQuotasStandIn

from accelcap.toolbox import TOOLS_BY_NAME
from support import run_in_process

pytestmark = pytest.mark.slow

G_SPOT, P_SPOT, P5_SPOT, P_OD = "L-3819A6DF", "L-7212CCBC", "L-C4BD4855", "L-417A185B"
Run = t.Callable[..., Result]


def rows_of(result: Result) -> dict[str, dict[str, t.Any]]:
    return {f"{r['class']}/{r['market']}": r for r in json.loads(result.out)["summary"]["rows"]}


def findings_of(result: Result) -> list[tuple[str, str]]:
    return [(f["code"], f["message"]) for f in json.loads(result.out)["findings"]]


# --- P5 Spot is its own quota ----------------------------------------------------------------


def test_p5_spot_pool_is_checked_against_the_p5_spot_quota(
    aws: MotoServer, standin: ServiceQuotasStandIn, repo_copy: RepoCopy, run_quotas: Run
) -> None:
    repo_copy.set_pool(instance_type="p5.48xlarge")  # Spot, maxReplicas 2: 2 x 192 = 384 vCPU
    standin.applied.update({P5_SPOT: 383, P_SPOT: 10_000, P_OD: 10_000})
    result = run_quotas("prod", "--format", "json")
    assert result.code == 1, result.out
    assert list(rows_of(result)) == ["P5/spot"]
    row = rows_of(result)["P5/spot"]
    assert (row["code"], row["quota"], row["planned"], row["headroom"]) == (P5_SPOT, 383, 384, -1)
    assert [code for code, _ in findings_of(result)] == ["quota-exceeded"]

    standin.applied[P5_SPOT] = 384
    assert run_quotas("prod").code == 0


# --- families the table does not hold fail closed ---------------------------------------------


def test_p6_spot_pool_is_bad_input_before_any_aws_call(
    aws: MotoServer, standin: ServiceQuotasStandIn, repo_copy: RepoCopy, aws_operations: list[str], run_quotas: Run
) -> None:
    repo_copy.set_pool(instance_type="p6-b200.48xlarge")
    standin.applied.update({P_SPOT: 10_000, P5_SPOT: 10_000})
    for argv in (("prod",), ("prod", "--plan")):
        result = run_quotas(*argv)
        assert result.code == 2, result.out
        assert result.err.count("\n") == 1
        assert f"MachineSet/openshift-machine-api/{POOL}" in result.err
        assert "AWS documents no Spot vCPU quota" in result.err
    assert aws_operations == []


def test_p6_on_demand_pool_draws_on_the_p_quota(
    aws: MotoServer, standin: ServiceQuotasStandIn, repo_copy: RepoCopy, run_quotas: Run
) -> None:
    repo_copy.set_pool(instance_type="p6-b200.48xlarge", on_demand=True, max_replicas=1)
    standin.applied[P_OD] = 192
    result = run_quotas("prod", "--format", "json")
    assert result.code == 0, result.out
    assert rows_of(result)["P/on-demand"]["code"] == P_OD


@pytest.mark.parametrize("instance_type", ["p7.48xlarge", "g9.xlarge", "inf3.xlarge"])
def test_a_pool_of_a_family_not_in_the_table_is_bad_input_before_any_aws_call(
    instance_type: str, aws: MotoServer, repo_copy: RepoCopy, aws_operations: list[str], run_quotas: Run
) -> None:
    repo_copy.set_pool(instance_type=instance_type)
    result = run_quotas("prod")
    assert result.code == 2
    assert result.err.count("\n") == 1
    assert f"MachineSet/openshift-machine-api/{POOL}" in result.err and "not in the EC2 quota table" in result.err
    assert aws_operations == []


def test_running_p6_spot_instances_are_unclassified_use(
    aws: MotoServer, standin: ServiceQuotasStandIn, run_quotas: Run
) -> None:
    standin.applied.update({G_SPOT: 1000, P_SPOT: 10_000, P5_SPOT: 10_000})
    (instance,) = launch(aws, "p6-b200.48xlarge", spot=True)
    result = run_quotas("prod", "--format", "json")
    assert result.code == 1, result.out
    findings = json.loads(result.out)["findings"]
    assert [(f["code"], f["object"]) for f in findings] == [("usage-unclassified", instance)]
    assert "AWS documents no Spot vCPU quota" in findings[0]["message"]
    assert "P/spot" not in rows_of(result)


# --- a pool running above its maximum ---------------------------------------------------------


def test_a_pool_running_above_its_maximum_counts_what_it_runs(
    aws: MotoServer, standin: ServiceQuotasStandIn, run_quotas: Run
) -> None:
    standin.applied[G_SPOT] = 24  # prod's pool: maxReplicas 2 x g5.2xlarge (8) = 16
    cluster_tag = {f"kubernetes.io/cluster/{INFRA_ID}": "owned"}
    for suffix in ("aaaaa", "bbbbb", "ccccc", "ddddd"):  # 4 running: 32 vCPU
        launch(aws, "g5.2xlarge", spot=True, tags={**cluster_tag, "Name": f"{POOL}-{suffix}"})
    result = run_quotas("prod", "--format", "json")
    row = rows_of(result)["G/spot"]
    assert (row["poolsRunning"], row["inUse"], row["planned"], row["aboveMaximum"]) == (32, 0, 32, 16)
    assert result.code == 1
    assert "of which 16 run above their pools' maximum" in findings_of(result)[0][1]

    standin.applied[G_SPOT] = 32
    assert run_quotas("prod").code == 0


def test_a_pool_below_its_maximum_is_planned_at_its_maximum(
    aws: MotoServer, standin: ServiceQuotasStandIn, run_quotas: Run
) -> None:
    standin.applied[G_SPOT] = 16
    launch(aws, "g5.2xlarge", spot=True, tags={f"kubernetes.io/cluster/{INFRA_ID}": "owned", "Name": f"{POOL}-aaaaa"})
    result = run_quotas("prod", "--format", "json")
    row = rows_of(result)["G/spot"]
    assert (row["poolsRunning"], row["planned"], row["aboveMaximum"]) == (8, 16, 0)
    assert result.code == 0


# --- SKIP_QUOTAS=1: the check runs and says so, then exits 0 ------------------------------------


def test_skip_quotas_prints_the_verdict_then_exits_0_with_one_loud_line(
    aws: MotoServer, standin: ServiceQuotasStandIn, monkeypatch: pytest.MonkeyPatch, run_quotas: Run
) -> None:
    standin.applied[G_SPOT] = 8  # 16 planned > 8
    assert run_quotas("prod").code == 1
    monkeypatch.setenv("SKIP_QUOTAS", "1")
    result = run_quotas("prod", "--format", "json")
    assert result.code == 0
    assert [code for code, _ in findings_of(result)] == ["quota-exceeded"]  # the verdict, as usual
    assert result.err.count("\n") == 1
    assert result.err.startswith("verify-quotas: SKIP_QUOTAS=1: the quota was NOT enforced")
    markdown = run_quotas("prod", "--format", "markdown")
    assert markdown.code == 0 and "NOT enforced" in markdown.out and "quota-exceeded" in markdown.out


def test_skip_quotas_also_covers_aws_refusing(
    aws: MotoServer, standin: ServiceQuotasStandIn, monkeypatch: pytest.MonkeyPatch, run_quotas: Run
) -> None:
    standin.fail_with = "AccessDeniedException"
    monkeypatch.setenv("SKIP_QUOTAS", "1")
    result = run_quotas("prod")
    assert result.code == 0
    lines = result.err.splitlines()
    assert lines[0].startswith("verify-quotas: servicequotas:ListServiceQuotas: access denied")
    assert "NOT enforced" in lines[1] and len(lines) == 2


def test_skip_quotas_when_nothing_is_short_and_when_mistyped(
    aws: MotoServer, standin: ServiceQuotasStandIn, repo_copy: RepoCopy, monkeypatch: pytest.MonkeyPatch,
    run_quotas: Run,
) -> None:  # fmt: skip
    standin.applied[G_SPOT] = 64
    monkeypatch.setenv("SKIP_QUOTAS", "1")
    passed = run_quotas("prod")
    assert passed.code == 0 and "nothing was skipped" in passed.err
    for value in ("yes", "true", "2"):
        monkeypatch.setenv("SKIP_QUOTAS", value)
        refused = run_quotas("prod")
        assert refused.code == 2 and refused.err.startswith("verify-quotas: SKIP_QUOTAS: ")
    monkeypatch.setenv("SKIP_QUOTAS", "1")
    repo_copy.set_pool(instance_type="p7.48xlarge")  # bad input is never skipped
    assert run_quotas("prod").code == 2


# --- cluster names ----------------------------------------------------------------------------


def cluster_outside_overlays(copy: RepoCopy) -> Path:
    """A full cluster directory at <repo>/elsewhere/x: it renders (../../base resolves), and
    its facts name it x, so only the name check keeps a tool from reading it."""
    target = copy.root / "elsewhere" / "x"
    shutil.copytree(copy.root / "overlays" / "prod", target)
    facts = target / "facts" / "cluster.yaml"
    facts.write_text(facts.read_text().replace("  name: prod\n", "  name: x\n"))
    return target


def test_verify_quotas_takes_only_cluster_names(repo_copy: RepoCopy, run_quotas: Run) -> None:
    outside = cluster_outside_overlays(repo_copy)
    for name in ("../elsewhere/x", str(outside), "/etc", "../x", "Prod", "prod/", "prod-", "a_b", ".", ".."):
        result = run_quotas(name, "--plan")
        assert result.code == 2, (name, result.out)
        assert result.err.count("\n") == 1 and "not a cluster name" in result.err, (name, result.err)
    for name in ("-prod", ""):  # an option, no name: usage errors
        assert run_quotas(name, "--plan").code == 2
    assert run_quotas("prod", "--plan").code == 0


@pytest.mark.parametrize(
    "argv",
    [("set-infra-id", "{name}", "--infra-id", "x-abcde"), ("set-infra-id", "{name}", "--check"),
     ("lint", "--cluster", "{name}", "-"), ("validate", "--cluster", "{name}", "-"),
     ("verify-quotas", "{name}", "--plan")],
)  # fmt: skip
@pytest.mark.parametrize("name", ["../elsewhere/x", "/etc"])
def test_every_tool_that_takes_a_cluster_name_refuses_a_path(
    argv: tuple[str, ...], name: str, repo_copy: RepoCopy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each tool in this process, as its console script runs it (``toolbox.TOOLS_BY_NAME``);
    the writing one, set-infra-id, also as ``tools/set-infra-id`` in a subprocess."""
    cluster_outside_overlays(repo_copy)
    args = [part.replace("{name}", name) for part in argv]
    module = importlib.import_module(TOOLS_BY_NAME[args[0]].entry_point.partition(":")[0])
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    result = run_in_process(module, *args[1:])
    assert result.code == 2, result.out + result.err
    assert result.err.count("\n") == 1 and "not a cluster name" in result.err, result.err
    if args[0] == "set-infra-id" and "--check" not in args:
        command = subprocess.run(
            [str(REPO / "tools" / args[0]), *args[1:]],
            capture_output=True, text=True, input="", env={**os.environ, "ACCELCAP_REPO": str(repo_copy.root)},
            check=False,
        )  # fmt: skip
        assert (command.returncode, command.stderr) == (2, result.err), command.stdout + command.stderr
    facts = repo_copy.root / "elsewhere" / "x" / "facts" / "cluster.yaml"
    assert "x-abcde" not in facts.read_text()


def test_a_cluster_directory_that_is_a_symbolic_link_is_refused(repo_copy: RepoCopy, run_quotas: Run) -> None:
    outside = cluster_outside_overlays(repo_copy)
    (repo_copy.root / "overlays" / "x").symlink_to(outside, target_is_directory=True)
    result = run_quotas("x", "--plan")
    assert result.code == 2 and "symbolic link" in result.err


def test_overlays_dir_outside_the_repository_is_refused(repo_copy: RepoCopy, run_quotas: Run) -> None:
    pyproject = repo_copy.root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('overlays-dir = "overlays"', 'overlays-dir = "../outside"'))
    (repo_copy.root.parent / "outside").mkdir()
    result = run_quotas("prod", "--plan")
    assert result.code == 2 and "overlays-dir" in result.err
