"""tools/capacity-diff between two real git revisions of a temporary repository."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import typing as t
from pathlib import Path

import pytest

from accelcap import capacity_diff as capacity_diff_tool
from accelcap.config import REPO_ENV, load_settings
from support import REPO, run_in_process


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=True,
        env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
             "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"},
    ).stdout.strip()  # fmt: skip


def commit_all(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)
    return git(root, "rev-parse", "HEAD")


def capacity_diff(root: Path, base: str, head: str, fmt: str = "json") -> subprocess.CompletedProcess[str]:
    """capacity-diff on the repository at ``root``, in this process as its console script would
    run it (``support.run_in_process``; ``test_unknown_revision_is_bad_input`` and the first-day
    test run ``tools/capacity-diff`` itself)."""
    with in_repository(root):
        result = run_in_process(capacity_diff_tool, base, head, "--format", fmt)
    return subprocess.CompletedProcess(["capacity-diff", base, head], result.code, result.out, result.err)


@contextlib.contextmanager
def in_repository(root: Path) -> t.Iterator[None]:
    """``ACCELCAP_REPO`` at ``root`` for a tool run in this process, with fresh settings."""
    saved = os.environ.get(REPO_ENV)
    os.environ[REPO_ENV] = str(root)
    load_settings.cache_clear()
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(REPO_ENV, None)
        else:
            os.environ[REPO_ENV] = saved
        load_settings.cache_clear()


def pool_dir(root: Path) -> Path:
    return root / "overlays" / "prod" / "capacity" / "gpu-us-west-2a"


@pytest.mark.slow
def test_market_switch_and_a_removed_pool(repo_copy: Path) -> None:
    """The everyday changes (maximum, instance type, new zone) are in test_pool_changes."""
    git(repo_copy, "init", "-q")
    base = commit_all(repo_copy, "base")
    pool = pool_dir(repo_copy) / "pool.yaml"
    text = pool.read_text().replace("  market: Spot ", "  market: OnDemand ")
    pool.write_text("".join(line for line in text.splitlines(True) if not line.startswith("  fallback")))
    listing = pool_dir(repo_copy) / "kustomization.yaml"  # an On-Demand pool has no On-Demand fallback
    listing.write_text(listing.read_text().replace("  - ../../../../components/gpu-pool-fallback", "  # none"))
    head = commit_all(repo_copy, "on-demand")

    report = json.loads(capacity_diff(repo_copy, base, head).stdout)
    assert [(p["pool"], p["change"], p["detail"]) for p in report["summary"]["pools"]] == [
        ("prod-x7k2p-gpu-us-west-2a", "changed", "market Spot -> OnDemand"),
        ("prod-x7k2p-gpu-us-west-2a-ondemand", "removed", "zone us-west-2a, maxReplicas 2"),
    ]
    classes = {
        (c["quota_class"], c["market"]): (c["base_vcpus"], c["head_vcpus"]) for c in report["summary"]["classes"]
    }
    assert classes == {("G and VT", "spot"): (16, 0), ("G and VT", "on-demand"): (16, 16)}
    assert report["summary"]["gpu_limits"] == [{"cluster": "prod", "type": "nvidia-a10g", "base": 4, "head": 4}]

    listing = repo_copy / "overlays" / "prod" / "capacity" / "kustomization.yaml"
    listing.write_text(listing.read_text().replace("  - gpu-us-west-2a\n", ""))  # the priority expander stays
    removed = commit_all(repo_copy, "no pool")
    result = capacity_diff(repo_copy, head, removed)
    assert result.returncode == 0, result.stderr
    gone = json.loads(result.stdout)
    assert [(p["pool"], p["change"]) for p in gone["summary"]["pools"]] == [("prod-x7k2p-gpu-us-west-2a", "removed")]
    assert json.loads(result.stdout)["summary"]["costs"]["clusters"][0]["summary"].startswith(
        "prod: -$2.42/h at maximum"
    )

    markdown = capacity_diff(repo_copy, base, head, "markdown").stdout
    assert markdown.startswith("### Capacity diff") and "| prod | G and VT | spot | 16 | 0 | -16 |" in markdown


def test_unknown_revision_is_bad_input(repo_copy: Path) -> None:
    """``tools/capacity-diff`` itself, from the repository's root: the wiring of the others."""
    git(repo_copy, "init", "-q")
    commit_all(repo_copy, "base")
    result = subprocess.run(
        [str(REPO / "tools" / "capacity-diff"), "no-such-rev", "HEAD", "--format", "text"],
        capture_output=True, text=True, cwd=repo_copy, env={**os.environ, "ACCELCAP_REPO": str(repo_copy)}, check=False,
    )  # fmt: skip
    assert result.returncode == 2 and result.stderr.startswith("capacity-diff: no-such-rev: not a revision")
    assert result.stderr.count("\n") == 1
