"""Issue 22, part 3: capacity-diff of the working tree, and a warning when two commits leave
uncommitted edits out."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from accelcap import capacity_diff
from support import run_in_process

POOL = "prod-x7k2p-gpu-us-west-2a"
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
GIT_ENV |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=True, env={**os.environ, **GIT_ENV})


def commit_all(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)


def pool_dir(root: Path) -> Path:
    return root / "overlays" / "prod" / "capacity" / "gpu-us-west-2a"


@pytest.fixture
def repo(repo_copy: Path) -> Path:
    git(repo_copy, "init", "-q")
    commit_all(repo_copy, "base")
    return repo_copy


def _raise_maximum(root: Path) -> None:
    pool = pool_dir(root) / "pool.yaml"
    pool.write_text(pool.read_text().replace("maxReplicas: 2 ", "maxReplicas: 4 "))


def _pools(out: str) -> list[tuple[str, str, str]]:
    """The Spot MachineSet of prod's pool (its On-Demand fallback keeps its own maximum)."""
    return [(p["pool"], p["change"], p["detail"]) for p in json.loads(out)["summary"]["pools"] if p["pool"] == POOL]


@pytest.mark.parametrize("head", [(), (".",)], ids=["one revision", "dot"])
def test_one_revision_is_compared_with_the_working_tree(repo: Path, head: tuple[str, ...]) -> None:
    _raise_maximum(repo)  # unstaged
    result = run_in_process(capacity_diff, "HEAD", *head, "--format", "json")
    assert (result.code, result.err) == (0, "")
    assert _pools(result.out) == [(POOL, "changed", "maxReplicas 2 -> 4")]


def test_staged_edits_and_new_files_count_untracked_ones_are_named(repo: Path) -> None:
    _raise_maximum(repo)
    git(repo, "add", "-A")
    (repo / "overlays/prod/capacity/notes.yaml").write_text("a: 1\n")
    result = run_in_process(capacity_diff, "HEAD", "--format", "json")
    assert result.code == 0
    assert _pools(result.out) == [(POOL, "changed", "maxReplicas 2 -> 4")]
    assert result.err == (
        "capacity-diff: warning: untracked, so not in the diff (git add them): overlays/prod/capacity/notes.yaml\n"
    )


def test_two_commits_with_a_dirty_tree_warn(repo: Path) -> None:
    _raise_maximum(repo)
    result = run_in_process(capacity_diff, "HEAD", "HEAD", "--format", "json")
    assert result.code == 0
    assert _pools(result.out) == [(POOL, "unchanged", "")]
    assert result.err.startswith("capacity-diff: warning: the working tree has uncommitted changes")
    assert "`tools/capacity-diff HEAD` compares HEAD with the working tree" in result.err
    commit_all(repo, "four")
    clean = run_in_process(capacity_diff, "HEAD~1", "HEAD", "--format", "json")
    assert (clean.code, clean.err) == (0, "")
    assert _pools(clean.out) == [(POOL, "changed", "maxReplicas 2 -> 4")]


def test_the_working_tree_is_no_base(repo: Path) -> None:
    result = run_in_process(capacity_diff, ".", "HEAD")
    assert result.code == 2 and "BASE must be a revision" in result.err
