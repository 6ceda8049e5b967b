"""The README's two commands are what .ci/run and the GitHub workflow run."""

from __future__ import annotations

import re

import yaml

from support import REPO


def readme_command(label: str) -> str:
    """The indented command that follows the README line starting with ``label``."""
    lines = (REPO / "README.md").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(label))
    return next(line.strip() for line in lines[start + 1 :] if line.startswith("    "))


def workflow() -> dict:
    return yaml.safe_load((REPO / ".github" / "workflows" / "ci.yml").read_text())


def run_lines(job: str) -> list[str]:
    return [
        line.strip()
        for step in workflow()["jobs"][job]["steps"]
        for line in str(step.get("run", "")).splitlines()
        if line.strip()
    ]


def test_workflow_parses_and_runs_on_pull_requests() -> None:
    document = workflow()
    triggers = document[True] if True in document else document["on"]  # YAML 1.1 reads "on" as True
    assert "pull_request" in triggers
    assert set(document["jobs"]) == {"checks", "quotas"}


def test_ci_run_is_the_readme_test_command() -> None:
    test_command = readme_command("Tests")
    script = (REPO / ".ci" / "run").read_text().splitlines()
    assert test_command in [line.strip() for line in script]
    assert "bash .ci/run" in run_lines("checks")


def test_workflow_runs_the_readme_main_job() -> None:
    assert readme_command("Main job") in run_lines("checks")


def test_workflow_checks_quotas_of_prod_with_oidc() -> None:
    job = workflow()["jobs"]["quotas"]
    assert job["permissions"]["id-token"] == "write"
    uses = [step.get("uses", "") for step in job["steps"]]
    assert any(u.startswith("aws-actions/configure-aws-credentials@") for u in uses)
    assert any(
        re.search(r"verify-quotas prod --format markdown \| tee -a \"\$GITHUB_STEP_SUMMARY\"", line)
        for line in run_lines("quotas")
    )
    assert any("capacity-diff" in line and "GITHUB_STEP_SUMMARY" in line for line in run_lines("checks"))
    assert "pre-commit run --all-files" in " ".join(run_lines("checks"))
