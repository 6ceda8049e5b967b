"""Issue 22, part 6: an unknown instance type is one finding on its pool, with the family's
sizes and a "did you mean"; the other checks still run; the table has one name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accelcap import generate
from accelcap.catalog.instance_types import TABLE, unknown_type_message
from accelcap.check import cli as check_cli
from accelcap.errors import InputError
from accelcap.quotas import cli as quotas_cli
from support import enable_inferentia, run_in_process, without_fallback

POOL = "overlays/prod/capacity/gpu-us-west-2a/pool.yaml"
G5_SIZES = "g5.xlarge, g5.2xlarge, g5.4xlarge, g5.8xlarge, g5.12xlarge, g5.16xlarge, g5.24xlarge, g5.48xlarge"


@pytest.fixture(autouse=True)
def _text_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACCELCAP_FORMAT", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")


def _set_type(root: Path, old: str, new: str, path: str = POOL) -> None:
    file = root / path
    file.write_text(file.read_text().replace(f"instanceType: {old}", f"instanceType: {new}"))


def test_the_message_names_the_family_and_the_nearest_size() -> None:
    assert unknown_type_message("g5.3xlarge") == (
        f"instanceType g5.3xlarge is not in {TABLE}: its family g5 has {G5_SIZES}; did you mean g5.2xlarge?"
    )
    assert unknown_type_message("inf2.2xlarge").endswith("did you mean inf2.xlarge?")
    assert "it has no g9 type" in unknown_type_message("g9.xlarge")


def test_check_reports_one_finding_and_runs_every_other_check(repo_copy: Path) -> None:
    without_fallback(repo_copy)  # one MachineSet, so one finding
    _set_type(repo_copy, "g5.2xlarge", "g5.3xlarge")
    enable_inferentia(repo_copy)  # a second pool, still planned
    result = run_in_process(check_cli, "prod", "--format", "json")
    assert result.code == 1, result.err
    document = json.loads(result.out)
    findings = [f for f in document["findings"] if "g5.3xlarge" in f["message"]]
    assert len(findings) == 1, findings
    (finding,) = findings
    assert (finding["check"], finding["code"]) == ("lint", "CAP048")
    assert finding["message"] == unknown_type_message("g5.3xlarge")
    assert "AWS specification" not in finding["message"] and "--plan" not in finding["message"]
    checks = document["summary"]["checks"]
    assert set(checks) == {"infra-id", "validate", "lint", "quota-plan"}
    plan = checks["quota-plan"]["clusters"]["prod"]
    assert plan["pools"] == 1 and "prod-x7k2p-gpu-us-west-2a" in plan["context"]
    assert [row["class"] for row in plan["rows"]] == ["Inf"]


def test_a_pool_and_its_on_demand_fallback_are_one_finding(repo_copy: Path) -> None:
    # prod's pool has `fallback: OnDemand`: two MachineSets of one pool.yaml, one finding.
    _set_type(repo_copy, "g5.2xlarge", "g5.3xlarge")
    result = run_in_process(check_cli, "prod", "--format", "json", "--skip", "quota-plan")
    assert result.code == 1, result.err
    findings = [f for f in json.loads(result.out)["findings"] if f["code"] == "CAP048"]
    assert [f["message"] for f in findings] == [unknown_type_message("g5.3xlarge")], findings


def test_check_text_has_every_summary(repo_copy: Path) -> None:
    without_fallback(repo_copy)  # one MachineSet, so one finding
    _set_type(repo_copy, "g5.2xlarge", "g5.3xlarge")
    result = run_in_process(check_cli, "prod")
    assert result.code == 1
    for name in ("infra-id: ok", "validate: ok", "lint: 1 error(s)", "quota-plan: ok"):
        assert f"check: {name}" in result.out, result.out
    assert "did you mean g5.2xlarge?" in result.out


def test_the_tools_that_need_the_size_name_the_table_the_same_way(repo_copy: Path) -> None:
    _set_type(repo_copy, "g5.2xlarge", "g5.3xlarge")
    plan = run_in_process(quotas_cli, "prod", "--plan")
    assert plan.code == 2 and unknown_type_message("g5.3xlarge") in plan.err
    with pytest.raises(InputError) as raised:  # the generator's derived files (the first hook)
        generate.write_derived(repo_copy)
    assert unknown_type_message("g5.3xlarge") in raised.value.what
    assert "AWS specification" not in raised.value.what
