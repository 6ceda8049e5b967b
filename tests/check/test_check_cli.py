"""``tools/check``: the four checks over one render, each finding naming its check, and the
same findings, codes and exit codes as the focused tools that run one check each."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import typing as t
from pathlib import Path

import pytest

from accelcap import generate
from accelcap import set_infra_id as set_infra_id_cli
from accelcap.check import cli as check_cli
from accelcap.check.checks import CHECK_NAMES
from accelcap.config import load_settings
from accelcap.facts import INFRA_ID_UNSET
from accelcap.lint import cli as lint_cli
from accelcap.quotas import cli as quotas_cli
from accelcap.render import KUSTOMIZE_ENV, RenderedOverlay, kustomize_command
from accelcap.validate import cli as validate_cli
from support import REPO, Result, run_in_process

#: What the focused tools and check both say of a finding.
SAME = ("code", "message", "overlay", "object", "file", "line", "path", "severity", "blocking")


@pytest.fixture(autouse=True)
def _text_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACCELCAP_FORMAT", raising=False)  # CI sets github


def check(*argv: str) -> Result:
    return run_in_process(check_cli, *argv)


def as_json(result: Result) -> dict[str, t.Any]:
    return t.cast(dict[str, t.Any], json.loads(result.out))


def edit(root: Path, path: str, old: str, new: str) -> None:
    file = root / path
    text = file.read_text()
    assert old in text, (path, old)
    file.write_text(text.replace(old, new, 1))


def add_cluster(root: Path, name: str, infra_id: str) -> None:
    """A second cluster: prod copied under another name and infraID, its files generated."""
    shutil.copytree(root / "overlays" / "prod", root / "overlays" / name)
    edit(root, f"overlays/{name}/facts/cluster.yaml", "\n  name: prod\n", f"\n  name: {name}\n")
    facts = root / "overlays" / name / "facts" / "cluster.yaml"
    facts.write_text(facts.read_text().replace("prod-x7k2p", infra_id))
    load_settings.cache_clear()
    generate.write_derived(root)


def test_prod_passes_every_check_once_rendered(prod_render: RenderedOverlay) -> None:
    result = check("prod")
    assert (result.code, result.err) == (0, ""), result.out
    for name in CHECK_NAMES:
        assert re.search(rf"^check: {name}: ok \(", result.out, re.MULTILINE), name
    assert "QUOTA NOT CHECKED" in result.out and "tools/verify-quotas prod" in result.out
    summary = as_json(check("prod", "--format", "json"))["summary"]
    assert set(summary["checks"]) == set(CHECK_NAMES)
    builds = {d.rendered_from for d in prod_render.documents}
    assert summary["render"]["builds"] == summary["render"]["asked"] == len(builds)
    assert summary["objects"] == len(prod_render.documents)


@pytest.mark.slow
def test_findings_are_those_of_lint_and_validate_alone(repo_copy: Path) -> None:
    edit(repo_copy, "base/pools/gpu/kustomization.yaml", "Prune=false,Delete=false", "Delete=false")  # CAP001
    edit(repo_copy, "base/operators/nfd/namespace.yaml", "metadata:\n", "metadata:\n  labelz: {a: b}\n")
    result = check("--format", "json")
    assert result.code == 1, result.err
    found = as_json(result)["findings"]
    assert {f["check"] for f in found} == {"lint", "validate"}
    for tool, module in (("lint", lint_cli), ("validate", validate_cli)):
        alone = run_in_process(module, "--format", "json")
        assert alone.code == 1, alone.err
        expected = [{k: f[k] for k in SAME} for f in as_json(alone)["findings"]]
        assert [{k: f[k] for k in SAME} for f in found if f["check"] == tool] == expected, tool
    assert any(f["code"] == "CAP001" for f in found)
    github = check("--format", "github")
    assert github.code == 1
    assert "title=lint CAP001::" in github.out and "title=validate " in github.out
    text = check()
    assert re.search(r"  lint CAP001 +argocd\.argoproj\.io/sync-options lacks Prune=false", text.out)
    # CAP001 on prod's Spot MachineSet and on its On-Demand fallback (both from base/pools/gpu)
    assert "check: lint: 2 error(s)" in text.out and "check: infra-id: ok" in text.out


def test_an_unset_infra_id_is_what_set_infra_id_check_reports(repo_copy: Path) -> None:
    edit(repo_copy, "overlays/prod/facts/cluster.yaml", "infraID: prod-x7k2p", f"infraID: {INFRA_ID_UNSET}")
    alone = run_in_process(set_infra_id_cli, "--check")
    assert alone.code == 1
    result = check("prod", "--format", "json", "--skip", "lint", "--skip", "validate")
    assert result.code == 1, result.err
    (finding,) = [f for f in as_json(result)["findings"] if f["check"] == "infra-id"]
    assert (finding["code"], finding["file"]) == ("infra-id-unset", "overlays/prod/facts/cluster.yaml")
    assert finding["message"] in alone.err  # the same sentence
    lines = (repo_copy / finding["file"]).read_text().splitlines()
    assert lines[finding["line"] - 1].strip().startswith("infraID:")


def test_the_quota_plan_is_verify_quotas_plan() -> None:
    plan = run_in_process(quotas_cli, "prod", "--plan", "--format", "json")
    assert plan.code == 0, plan.err
    result = check("prod", "--format", "json")
    cluster = as_json(result)["summary"]["checks"]["quota-plan"]["clusters"]["prod"]
    assert cluster["rows"] == as_json(plan)["summary"]["rows"]
    assert cluster["context"] == as_json(plan)["summary"]["context"]


def test_an_instance_type_the_plan_cannot_size_is_bad_input_as_in_verify_quotas(repo_copy: Path) -> None:
    pool = "overlays/prod/capacity/gpu-us-west-2a/pool.yaml"
    edit(repo_copy, pool, "instanceType: g5.2xlarge", "instanceType: c7i.large")
    plan = run_in_process(quotas_cli, "prod", "--plan")
    result = check("prod", "--skip", "lint", "--skip", "validate")
    assert (plan.code, result.code, result.out) == (2, 2, "")
    assert result.err == plan.err.replace("verify-quotas: ", "check: ", 1)


def test_remote_content_is_refused_as_validate_refuses_it_unless_only_lint_reads(repo_copy: Path) -> None:
    edit(
        repo_copy,
        "overlays/prod/capacity/kustomization.yaml",
        "  - gpu-us-west-2a\n",
        "  - gpu-us-west-2a\n  - https://github.com/example/pools//gpu?ref=main\n",
    )
    refused = check()
    validate = run_in_process(validate_cli)
    assert (refused.code, refused.out) == (2, "")
    assert refused.err == validate.err.replace("validate: ", "check: ", 1)
    recorded = check("--skip", "validate", "--skip", "quota-plan", "--format", "json")
    assert recorded.code == 1
    assert [(f["check"], f["code"]) for f in as_json(recorded)["findings"]] == [("lint", "CAP021")]


@pytest.mark.slow
def test_each_build_renders_once_however_often_it_is_named(tmp_path: Path, prod_render: RenderedOverlay) -> None:
    """kustomize runs once per build: prod named twice, in two spellings, costs one render."""
    count = tmp_path / "count"
    wrapper = tmp_path / "counting-kustomize"
    # The count's path is written into the wrapper: kustomize runs with an environment of its own.
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {shlex.quote(str(count))}\nexec "$@"\n')
    wrapper.chmod(0o755)
    env = {
        **os.environ,
        KUSTOMIZE_ENV: shlex.join([str(wrapper), *kustomize_command()]),
        "ACCELCAP_FORMAT": "json",
    }
    result = subprocess.run(
        [str(REPO / "tools" / "check"), "prod", "overlays/prod"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    builds = len({d.rendered_from for d in prod_render.documents})
    assert len(count.read_text().splitlines()) == builds
    summary = json.loads(result.stdout)["summary"]
    assert summary["overlays"] == ["overlays/prod", "overlays/prod"]
    assert (summary["render"]["builds"], summary["render"]["asked"]) == (builds, 2 * builds)


@pytest.mark.slow
def test_the_report_does_not_depend_on_how_many_builds_run_at_once(repo_copy: Path) -> None:
    add_cluster(repo_copy, "west", "west-a1b2c")
    edit(repo_copy, "base/pools/gpu/kustomization.yaml", "Prune=false,Delete=false", "Delete=false")
    reports = []
    for jobs in ("1", "2", "5"):
        result = check("--jobs", jobs, "--format", "json")
        assert result.code == 1, result.err
        document = as_json(result)
        assert document["summary"].pop("render")["jobs"] == int(jobs)
        document["summary"].pop("checked")
        reports.append(document)
    assert reports[0] == reports[1] == reports[2]
    # each cluster's Spot MachineSet and its On-Demand fallback
    assert [f["overlay"] for f in reports[0]["findings"]] == ["overlays/prod"] * 2 + ["overlays/west"] * 2
    # The first error named is the first overlay's, whichever build fails first.
    edit(repo_copy, "overlays/west/capacity/kustomization.yaml", "resources:\n", "resources:\n  - missing\n")
    edit(repo_copy, "overlays/prod/operators/kustomization.yaml", "resources:\n", "resources:\n  - missing\n")
    errors = {check("--jobs", jobs).err for jobs in ("1", "2", "5")}
    assert len(errors) == 1
    (error,) = errors
    assert error.startswith("check: overlays/prod/operators/kustomization.yaml: ") and error.count("\n") == 1


@pytest.mark.slow
def test_changed_files_select_the_overlays_they_touch(repo_copy: Path) -> None:
    add_cluster(repo_copy, "west", "west-a1b2c")
    touched = as_json(check("--changed", "overlays/west/capacity/gpu-us-west-2a/pool.yaml", "--format", "json"))
    assert touched["summary"]["overlays"] == ["overlays/west"]
    every = as_json(check("--changed", "base/pools/gpu/kustomization.yaml", "--format", "json"))
    assert every["summary"]["overlays"] == ["overlays/prod", "overlays/west"]
    facts = as_json(check("--changed", "overlays/prod/facts/cluster.yaml", "--format", "json"))
    assert facts["summary"]["checks"]["infra-id"]["clusters"] == ["prod"]
    untouched = check("--changed", "README.md")
    assert untouched.code == 0 and "check: ok (0 overlay(s)" in untouched.out


@pytest.mark.parametrize(
    "argv, where",
    [
        (["--skip", "infra-id", "--skip", "validate", "--skip", "lint", "--skip", "quota-plan"], "--skip"),
        (["--skip", "quotas"], "usage"),
        (["--jobs", "0"], "usage"),
        (["prod", "--changed", "README.md"], "usage"),
        (["--rule", "CAP999"], "--rule"),
        (["--kubernetes-version", "one"], "--kubernetes-version"),
        (["nope"], "nope"),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(argv: list[str], where: str) -> None:
    result = check(*argv)
    assert (result.code, result.out) == (2, ""), result
    assert result.err.startswith(f"check: {where}: ") and result.err.count("\n") == 1


def test_markdown_for_the_step_summary() -> None:
    result = check("prod", "--format", "markdown")
    assert result.code == 0, result.err
    assert result.out.startswith("### check: :white_check_mark: ok\n")
    for name in CHECK_NAMES:
        assert f"| `{name}` |" in result.out
    assert "#### Quota plan `prod`" in result.out and "QUOTA NOT CHECKED" in result.out


def test_the_hooks_render_once() -> None:
    """check is the one hook that renders (the generator aside); the tools it runs have none."""
    import yaml

    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    entries = [hook["entry"] for hook in config["repos"][0]["hooks"]]
    rendering = [e for e in entries if re.match(r"tools/(check|validate|lint|verify-quotas|set-infra-id)( |$)", e)]
    assert rendering == ["tools/check --changed"]
    published = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert [h["entry"] for h in published if not h["entry"].startswith("check-yaml")] == ["check --changed"]
