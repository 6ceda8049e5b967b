"""Issue 22, done when: a newcomer's first day, end to end, on a clone with the hooks installed.

main job -> allow 4 GPU nodes (commit with the hooks) -> capacity-diff of the working tree ->
a second zone -> new-cluster staging (g6.xlarge in us-east-1a, without cluster access) ->
Inferentia on -> check clean; and a copied overlay that keeps prod's infraID is refused.
Every step runs the commands as the README gives them, from the clone's root.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import INFERENTIA_LINE, REPO

pytestmark = pytest.mark.slow

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
}  # fmt: skip
POOL = Path("overlays/prod/capacity/gpu-us-west-2a/pool.yaml")


class Day:
    """The clone and the environment a newcomer's shell has (offline, no AWS credentials)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = {
            **os.environ,
            **GIT_ENV,
            "PRE_COMMIT_HOME": str(root.parent / "pre-commit-home"),
            "AWS_SHARED_CREDENTIALS_FILE": str(root / "no-credentials"),
            "AWS_CONFIG_FILE": str(root / "no-config"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "NO_COLOR": "1",
        }
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "ACCELCAP_REPO"):
            self.env.pop(key, None)
        self.env.pop("ACCELCAP_FORMAT", None)
        self.env.pop("SKIP", None)

    def run(self, *command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(command, cwd=self.root, capture_output=True, text=True, env=self.env, check=False)

    def ok(self, *command: str) -> str:
        result = self.run(*command)
        assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
        return result.stdout + result.stderr

    def edit(self, path: str | Path, old: str, new: str) -> None:
        file = self.root / path
        text = file.read_text()
        assert old in text, (path, old)
        file.write_text(text.replace(old, new, 1))


@pytest.fixture
def day(tmp_path: Path) -> Day:
    """A clone of the working tree with the README's set-up (the venv is this test's own)."""
    root = tmp_path / "clone"
    shutil.copytree(
        REPO,
        root,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "__pycache__", "*.egg-info", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".cache"
        ),
    )
    clone = Day(root)
    for command in (("git", "init", "-q"), ("git", "add", "-A"), ("git", "commit", "-qm", "clone")):
        clone.ok(*command)
    # The set-up's venv, a link here (.gitignore's ".venv/" names a directory, not a link).
    (root / ".venv").symlink_to(Path(sys.prefix))
    (root / ".git" / "info" / "exclude").write_text(".venv\n")
    return clone


def commit_with_hooks(day: Day, message: str) -> str:
    """`git commit -am` as the README says, again when the first hook refreshed a generated file."""
    first = day.run("git", "commit", "-am", message)
    if first.returncode == 0:
        return first.stdout + first.stderr
    assert "files were modified by this hook" in first.stdout + first.stderr, first.stdout + first.stderr
    return day.ok("git", "commit", "-am", message)


def pools(report: str) -> list[tuple[str, str, str]]:
    """The MachineSets a change moved (prod's On-Demand fallback keeps its own maximum)."""
    return [
        (p["pool"], p["change"], p["detail"])
        for p in json.loads(report)["summary"]["pools"]
        if p["change"] != "unchanged"
    ]


def test_a_newcomers_first_day(day: Day) -> None:
    # The main job, as the README's set-up leaves it.
    out = day.ok(".venv/bin/check")
    assert "check: ok" in out

    # prod: allow 4 GPU nodes, committed with the hooks (one set-up line installed them).
    day.ok(".venv/bin/pre-commit", "install")
    day.edit(POOL, "maxReplicas: 2 ", "maxReplicas: 4 ")
    commit_with_hooks(day, "prod: allow 4 GPU nodes")
    # 4 Spot nodes and the 2 of the On-Demand fallback, one GPU each
    assert "max: 6" in (day.root / "overlays/prod/capacity/gpu-limits.yaml").read_text()
    assert day.ok("git", "status", "--porcelain") == ""

    # The change against its parent, and the working tree against the commit: nothing yet.
    report = day.ok("tools/capacity-diff", "HEAD~1", "HEAD", "--format", "json")
    assert pools(report) == [("prod-x7k2p-gpu-us-west-2a", "changed", "maxReplicas 2 -> 4")]

    # A second zone, in the working tree (no cluster access: the subnet written by its name).
    day.edit(
        "overlays/prod/facts/cluster.yaml",
        "    - us-west-2a\n  # How",
        "    - us-west-2a\n    - us-west-2b\n  # How",
    )
    day.edit(
        "overlays/prod/facts/cluster.yaml",
        "            - prod-x7k2p-subnet-private-us-west-2a\n",
        "            - prod-x7k2p-subnet-private-us-west-2a\n"
        "    us-west-2b:\n      filters:\n        - name: tag:Name\n          values:\n"
        "            - prod-x7k2p-subnet-private-us-west-2b\n",
    )
    stale = day.run("tools/check", "prod")
    assert stale.returncode == 2
    assert "generated files are stale: run `.venv/bin/python -m accelcap.generate`" in stale.stderr
    shutil.copytree(day.root / POOL.parent, day.root / "overlays/prod/capacity/gpu-us-west-2b")
    second = day.root / "overlays/prod/capacity/gpu-us-west-2b/pool.yaml"
    second.write_text(second.read_text().replace("us-west-2a", "us-west-2b"))
    day.edit(
        "overlays/prod/capacity/kustomization.yaml", "  - gpu-us-west-2a\n", "  - gpu-us-west-2a\n  - gpu-us-west-2b\n"
    )
    day.ok(".venv/bin/python", "-m", "accelcap.generate")
    day.ok("git", "add", "overlays/prod/capacity/gpu-us-west-2b")
    worktree = day.run("tools/capacity-diff", "HEAD", "--format", "json")
    assert (worktree.returncode, worktree.stderr) == (0, "")
    assert pools(worktree.stdout) == [
        ("prod-x7k2p-gpu-us-west-2b", "added", "zone us-west-2b, maxReplicas 4"),
        ("prod-x7k2p-gpu-us-west-2b-ondemand", "added", "zone us-west-2b, maxReplicas 2"),
    ]
    assert "check: ok" in day.ok("tools/check", "prod")
    commit_with_hooks(day, "prod: a GPU pool in us-west-2b")

    # A new cluster from its own template, without cluster access.
    out = day.ok(
        "tools/new-cluster", "staging", "--region", "us-east-1", "--account", "210987654321",
        "--zone", "us-east-1a", "--instance-type", "g6.xlarge",
        "--infra-id", "staging-4kq7z", "--ami", "ami-0b32f2ab78dc2189b",
    )  # fmt: skip
    assert "new-cluster: git add overlays/staging" in out and "next steps:" in out
    assert "prod" not in (day.root / "overlays/staging/validation/kustomization.yaml").read_text()

    # Inferentia on: one line of the bootstrap.
    day.edit("overlays/staging/kustomization.yaml", INFERENTIA_LINE, INFERENTIA_LINE.replace("# ", ""))
    checked = day.run(".venv/bin/check", "--format", "json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    findings = json.loads(checked.stdout)["findings"]
    assert [(f["code"], f["severity"]) for f in findings] == [("facts-unconfirmed", "warning")]
    commit_with_hooks(day, "staging: a new cluster with a g6.xlarge pool and Inferentia")
    assert day.ok("git", "status", "--porcelain") == ""

    # A cluster copied from prod keeps prod's infraID: refused, naming both.
    shutil.copytree(day.root / "overlays/prod", day.root / "overlays/copy")
    day.edit("overlays/copy/facts/cluster.yaml", "\n  name: prod\n", "\n  name: copy\n")
    day.ok(".venv/bin/python", "-m", "accelcap.generate")
    refused = day.run("tools/check", "copy")
    assert refused.returncode == 1
    assert "infraID prod-x7k2p is also cluster prod's (overlays/prod/facts/cluster.yaml)" in refused.stdout
