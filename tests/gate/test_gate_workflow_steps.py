"""The workflow's trusted steps, run as GitHub runs them (bash -eo pipefail, the job's env),
against pull requests of our own making: the cluster list from the base branch, and the gate
job's check with the base branch's settings."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest
import yaml
from gate_support import edit

from support import REPO

WORKFLOW = REPO / ".github" / "workflows" / "ci.yml"


def _step(job: str, predicate: t.Callable[[dict[str, t.Any]], bool]) -> tuple[dict[str, str], dict[str, t.Any]]:
    spec = yaml.safe_load(WORKFLOW.read_text())["jobs"][job]
    (step,) = [s for s in spec["steps"] if predicate(s)]
    return spec.get("env", {}), step


def _fill(text: str, context: dict[str, str]) -> str:
    return re.sub(r"\$\{\{\s*([\w.]+)\s*\}\}", lambda m: context[m.group(1)], text)


@pytest.fixture
def workspace(tmp_path: Path, repo_copy: Path) -> dict[str, Path]:
    """GitHub's workspace: the base branch at tool/ (this checkout), the pull request at
    pull-request/, and the base tool's venv as the install step leaves it."""
    root = tmp_path / "workspace"
    root.mkdir()
    (root / "tool").symlink_to(REPO, target_is_directory=True)
    shutil.move(str(repo_copy), root / "pull-request")
    bin_dir = tmp_path / "runner-temp" / "verify-quotas" / "bin"
    bin_dir.mkdir(parents=True)
    for tool in ("verify-quotas", "check"):
        (bin_dir / tool).symlink_to(Path(sys.prefix) / "bin" / tool)
    return {"root": root, "pr": root / "pull-request", "temp": tmp_path / "runner-temp", "summary": tmp_path / "s.md"}


def _run(workspace: dict[str, Path], job: str, predicate: t.Callable[[dict[str, t.Any]], bool]) -> t.Any:
    job_env, step = _step(job, predicate)
    context = {"github.workspace": str(workspace["root"]), "runner.temp": str(workspace["temp"])}
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ACCELCAP_") or k in ("ACCELCAP_CRD_MIRROR", "ACCELCAP_CACHE_DIR")
    }
    env.update({k: _fill(str(v), context) for k, v in {**job_env, **step.get("env", {})}.items()})
    output = workspace["temp"] / "output"
    env.update({"GITHUB_STEP_SUMMARY": str(workspace["summary"]), "GITHUB_OUTPUT": str(output)})
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=_fill(step.get("working-directory", str(workspace["root"])), context),
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    return (
        result,
        (output.read_text() if output.exists() else ""),
        (workspace["summary"].read_text() if workspace["summary"].exists() else ""),
    )


def _listing(step: dict[str, t.Any]) -> bool:
    return step.get("id") == "list"


def test_the_list_of_the_base_branchs_clusters(workspace: dict[str, Path]) -> None:
    result, output, _ = _run(workspace, "quota-clusters", _listing)
    assert result.returncode == 0, result.stderr
    assert output == 'clusters=[{"cluster": "prod", "account": "153526447089", "region": "us-west-2"}]\n'


def test_an_empty_overlays_directory_in_the_pull_request_changes_nothing(workspace: dict[str, Path]) -> None:
    edit(workspace["pr"], "pyproject.toml", 'overlays-dir = "overlays"', 'overlays-dir = "docs"')
    result, output, _ = _run(workspace, "quota-clusters", _listing)
    assert result.returncode == 0 and '"cluster": "prod"' in output  # the base's settings


def test_a_dropped_cluster_fails_the_job_and_says_so(workspace: dict[str, Path]) -> None:
    shutil.rmtree(workspace["pr"] / "overlays" / "prod")
    result, output, summary = _run(workspace, "quota-clusters", _listing)
    assert result.returncode == 1 and output == ""
    assert "cluster prod of the base branch is missing" in summary and "no cluster listed" in summary


def test_a_changed_account_is_named_in_the_summary(workspace: dict[str, Path]) -> None:
    edit(workspace["pr"], "overlays/prod/facts/cluster.yaml", 'accountID: "153526447089"', 'accountID: "999988887777"')
    result, output, summary = _run(workspace, "quota-clusters", _listing)
    assert result.returncode == 0, result.stderr
    assert "- verify-quotas: cluster prod: AWS account changes from 153526447089 to 999988887777" in summary
    assert '"account": "999988887777"' in output


def test_the_gate_job_judges_the_pull_request_with_the_base_rules(workspace: dict[str, Path]) -> None:
    """The issue's first pull request, in the gate job: exit 1 with CAP032 and CAP101."""
    app = "base/argocd/application-capacity.yaml"
    edit(workspace["pr"], app, "  project: accelerator-capacity\n", "  project: default\n")
    edit(workspace["pr"], app, "  annotations:\n", '  annotations:\n    lint.accel-capacity.io/ignore-CAP032: "ok"\n')
    result, _, _ = _run(workspace, "policy", lambda s: "bin/check" in str(s.get("run", "")))
    assert result.returncode == 1, result.stderr
    assert "CAP032" in result.stdout and "CAP101" in result.stdout
