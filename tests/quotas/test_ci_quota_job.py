"""A pull request that changes ``src/`` (or plants code beside it) cannot change what the
role-holding CI job runs.

The job's last step - the only one that runs while the AWS role is held - is taken from
.github/workflows/ci.yml as it is, its ``${{ }}`` values filled in as GitHub would, and run
with bash against moto and the Service Quotas stand-in. The base branch's tool is this
checkout's installed ``verify-quotas``; the pull request's tree is a copy whose code writes a
marker file when anything imports or runs it. The check must read the pull request's pools
and never its code.
"""

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
from quota_support import REPO, MotoServer, RepoCopy
from sq_standin import ServiceQuotasStandIn

pytestmark = pytest.mark.slow

WORKFLOW = REPO / ".github" / "workflows" / "ci.yml"
PLANTED = "import pathlib, os\npathlib.Path(os.environ['PWNED_MARKER']).write_text({where!r})\n"


def plant(pr: Path) -> None:
    """Code in the pull request's tree that leaves a marker wherever it is run or imported."""
    shutil.copytree(REPO / "src", pr / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copytree(REPO / "tools", pr / "tools")
    for module in ("src/accelcap/__init__.py", "src/accelcap/quotas/cli.py", "src/accelcap/facts.py"):
        path = pr / module
        path.write_text(path.read_text() + PLANTED.format(where=module))  # after any __future__ import
    (pr / "accelcap").mkdir()  # a package where `python -m` from the tree would find it first
    (pr / "accelcap" / "__init__.py").write_text(PLANTED.format(where="accelcap/"))
    (pr / "sitecustomize.py").write_text(PLANTED.format(where="sitecustomize.py"))
    script = pr / "tools" / "verify-quotas"
    script.unlink()
    script.write_text('#!/bin/sh\necho tools >"$PWNED_MARKER"\n')
    script.chmod(0o755)


def fill(value: str, context: dict[str, str]) -> str:
    """``${{ name }}`` -> its value in ``context``; any other expression fails the test."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        assert name in context, f"the test does not know the expression {name!r}"
        return context[name]

    return re.sub(r"\$\{\{(.*?)\}\}", one, value)


def role_holding_step() -> tuple[dict[str, str], dict[str, t.Any]]:
    job = yaml.safe_load(WORKFLOW.read_text())["jobs"]["quotas"]
    step = job["steps"][-1]
    assert "bin/verify-quotas" in step["run"]
    return job.get("env", {}), step


@pytest.fixture
def workspace(tmp_path: Path, repo_copy: RepoCopy) -> dict[str, t.Any]:
    """GitHub's workspace: the base tool at tool/, the pull request at pull-request/."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "tool").symlink_to(REPO, target_is_directory=True)
    pr = workspace / "pull-request"
    repo_copy.root.rename(pr)
    plant(pr)
    repo_copy.root = pr
    repo_copy.set_pool(max_replicas=3)  # the pull request's change: 3 x 8 vCPU
    # The base tool as the install step leaves it: a venv whose bin/ holds verify-quotas.
    venv_bin = tmp_path / "runner-temp" / "verify-quotas" / "bin"
    venv_bin.mkdir(parents=True)
    (venv_bin / "verify-quotas").symlink_to(Path(sys.prefix) / "bin" / "verify-quotas")
    return {"root": workspace, "pr": pr, "temp": tmp_path / "runner-temp", "summary": tmp_path / "summary.md"}


def run_step(workspace: dict[str, t.Any], marker: Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    job_env, step = role_holding_step()
    context = {
        "github.workspace": str(workspace["root"]),
        "runner.temp": str(workspace["temp"]),
        "matrix.cluster": "prod",
        "vars.SKIP_QUOTAS": "",
    }
    env = {k: v for k, v in os.environ.items() if k not in ("ACCELCAP_REPO", "PYTHONPATH")}
    env.update({k: fill(str(v), context) for k, v in {**job_env, **step.get("env", {})}.items()})
    env.update({"GITHUB_STEP_SUMMARY": str(workspace["summary"]), "PWNED_MARKER": str(marker)})
    directory = cwd or Path(fill(step["working-directory"], context))
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],  # GitHub's bash
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_changed_src_in_the_pull_request_cannot_change_what_the_role_holding_job_runs(
    aws: MotoServer, standin: ServiceQuotasStandIn, workspace: dict[str, t.Any], tmp_path: Path
) -> None:
    standin.applied["L-3819A6DF"] = 64
    standin.applied["L-DB2E81BA"] = 64  # prod's On-Demand fallback
    marker = tmp_path / "pwned"

    # Control: the planted code does act wherever the pull request's code is run or imported.
    controls = [
        ([str(workspace["pr"] / "tools" / "verify-quotas"), "prod", "--plan"], tmp_path, {}),
        ([sys.executable, "-m", "accelcap.toolbox", "verify-quotas", "prod"], workspace["pr"], {}),
        ([sys.executable, "-m", "accelcap.toolbox", "verify-quotas", "prod"], tmp_path,
         {"PYTHONPATH": str(workspace["pr"] / "src")}),
    ]  # fmt: skip
    for argv, cwd, extra in controls:
        env = {**os.environ, "PWNED_MARKER": str(marker), "ACCELCAP_REPO": str(workspace["pr"]), **extra}
        subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
        assert marker.exists(), argv
        marker.unlink()

    # The job's step, as the workflow writes it.
    result = run_step(workspace, marker)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not marker.exists(), f"the pull request's code ran: {marker.read_text()}"
    summary = workspace["summary"].read_text()
    assert "verify-quotas `prod`" in summary and "| G | spot | L-3819A6DF | 64 |" in summary
    assert "| 24 |" in summary  # the pull request's pools were read: maxReplicas 3 x 8 vCPU

    # Even run from inside the pull request's tree, the installed tool imports nothing from it.
    again = run_step(workspace, marker, cwd=workspace["pr"])
    assert again.returncode == 0, again.stderr
    assert not marker.exists()
