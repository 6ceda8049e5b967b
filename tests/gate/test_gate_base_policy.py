"""Policy from the base branch (issue 19, part 7): the trusted jobs read the pull request's tree
as data, but take their settings and the list of clusters from the base branch.

The pull requests here change ``[tool.accelcap]`` of their own ``pyproject.toml`` (an empty
overlays directory, another repository URL), drop a cluster, or move a cluster to another
account; the base branch is this checkout.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from gate_support import edit

from accelcap.config import SETTINGS_ENV, load_settings
from accelcap.quotas import cli as quotas_cli
from support import REPO, Result, run_in_process

BASE_SETTINGS = REPO / "pyproject.toml"


def quotas(*argv: str) -> Result:
    load_settings.cache_clear()
    return run_in_process(quotas_cli, *argv)


def test_an_empty_overlays_directory_of_the_pull_request_lists_nothing_and_fails(repo_copy: Path) -> None:
    edit(repo_copy, "pyproject.toml", 'overlays-dir = "overlays"', 'overlays-dir = "docs"')
    (repo_copy / "docs").mkdir(exist_ok=True)
    result = quotas("--list-clusters")
    assert (result.code, json.loads(result.out)) == (1, [])
    assert "no cluster listed" in result.err


def test_the_base_branchs_settings_win_over_the_pull_requests(repo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    edit(repo_copy, "pyproject.toml", 'overlays-dir = "overlays"', 'overlays-dir = "docs"')
    edit(repo_copy, "pyproject.toml", "example-org/accelerator-capacity.git", "someone/else.git")
    monkeypatch.setenv(SETTINGS_ENV, str(BASE_SETTINGS))
    listed = quotas("--list-clusters", "--base-repo", str(REPO))
    assert listed.code == 0, listed.err
    assert [c["cluster"] for c in json.loads(listed.out)] == ["prod"]
    # The Applications are followed with the base's repository URL: prod's pool is there.
    plan = quotas("prod", "--plan", "--format", "json")
    assert plan.code == 0, plan.err
    assert json.loads(plan.out)["summary"]["pools"] == 2  # the Spot MachineSet and its On-Demand fallback
    settings = load_settings()
    assert (settings.root, settings.overlays_dir) == (repo_copy.resolve(), "overlays")


def test_the_pull_requests_settings_are_what_moves_the_list_without_it(repo_copy: Path) -> None:
    """The control: without ACCELCAP_SETTINGS the pull request's repo-url loses prod's pools."""
    edit(repo_copy, "pyproject.toml", "example-org/accelerator-capacity.git", "someone/else.git")
    plan = quotas("prod", "--plan", "--format", "json")
    assert plan.code == 0 and json.loads(plan.out)["summary"]["pools"] == 0


def test_a_missing_settings_file_is_bad_input(repo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SETTINGS_ENV, str(repo_copy / "nowhere.toml"))
    result = quotas("--list-clusters")
    assert result.code == 2 and result.err.startswith(f"verify-quotas: {SETTINGS_ENV}: ")


def test_a_cluster_of_the_base_branch_missing_from_the_pull_request_fails(
    repo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(repo_copy / "overlays" / "prod", repo_copy / "overlays" / "west")
    edit(repo_copy, "overlays/west/facts/cluster.yaml", "\n  name: prod\n", "\n  name: west\n")
    shutil.rmtree(repo_copy / "overlays" / "prod")
    monkeypatch.setenv(SETTINGS_ENV, str(BASE_SETTINGS))
    result = quotas("--list-clusters", "--base-repo", str(REPO))
    assert result.code == 1
    assert "cluster prod of the base branch is missing from the pull request's list" in result.err
    assert [c["cluster"] for c in json.loads(result.out)] == ["west"]


def test_a_cluster_moved_to_another_account_is_named(repo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    edit(repo_copy, "overlays/prod/facts/cluster.yaml", 'accountID: "153526447089"', 'accountID: "210987654321"')
    monkeypatch.setenv(SETTINGS_ENV, str(BASE_SETTINGS))
    result = quotas("--list-clusters", "--base-repo", str(REPO))
    assert result.code == 0, result.err
    assert result.err == "verify-quotas: cluster prod: AWS account changes from 153526447089 to 210987654321\n"


def test_base_repo_goes_with_list_clusters() -> None:
    assert quotas("prod", "--plan", "--base-repo", str(REPO)).code == 2
