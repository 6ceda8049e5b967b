"""tools/capacity-diff between two real git revisions of a temporary repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from support import REPO


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
    return subprocess.run(
        [str(REPO / "tools" / "capacity-diff"), base, head, "--format", fmt],
        capture_output=True, text=True, cwd=root, env={**os.environ, "ACCELCAP_REPO": str(root)}, check=False,
    )  # fmt: skip


def pool_dir(root: Path) -> Path:
    return root / "overlays" / "prod" / "capacity" / "gpu-us-west-2a"


def test_max_raised_pool_added_and_market_switch(repo_copy: Path) -> None:
    git(repo_copy, "init", "-q")
    base = commit_all(repo_copy, "base")

    # 1. Raise the GPU pool's autoscaling max from 2 to 4.
    kustomization = pool_dir(repo_copy) / "kustomization.yaml"
    kustomization.write_text(
        kustomization.read_text() + "patches:\n  - target: {kind: MachineAutoscaler}\n    patch: |-\n"
        "      - {op: replace, path: /spec/maxReplicas, value: 4}\n"
    )
    raised = commit_all(repo_copy, "raise max")
    # 2. Add a second zone's pool (On-Demand from the start) and switch the first to On-Demand.
    capacity = repo_copy / "overlays" / "prod" / "capacity"
    shutil.copytree(pool_dir(repo_copy), capacity / "gpu-us-west-2b")
    zone_file = capacity / "gpu-us-west-2b" / "pool-zone.yaml"
    zone_file.write_text(zone_file.read_text().replace("us-west-2a", "us-west-2b"))
    (capacity / "kustomization.yaml").write_text(
        (capacity / "kustomization.yaml")
        .read_text()
        .replace("  - gpu-us-west-2a\n", "  - gpu-us-west-2a\n  - gpu-us-west-2b\n")
    )
    for directory in ("gpu-us-west-2a", "gpu-us-west-2b"):
        file = capacity / directory / "kustomization.yaml"
        file.write_text(file.read_text().replace(
            "  - ../../../../components/autoscaling/pool\n",
            "  - ../../../../components/autoscaling/pool\n  - ../../../../components/on-demand\n",
        ))  # fmt: skip
    head = commit_all(repo_copy, "second zone, on-demand")

    first = capacity_diff(repo_copy, base, raised)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    (pool,) = report["pools"]
    assert (pool["change"], pool["detail"]) == ("changed", "max replicas 2 -> 4")
    assert (pool["base"]["vcpus"], pool["head"]["vcpus"]) == (16, 32)
    (total,) = report["classes"]
    assert (total["quota_class"], total["market"], total["delta_vcpus"], total["delta_accelerators"]) == (
        "G and VT", "spot", 16, 2,
    )  # fmt: skip

    second = json.loads(capacity_diff(repo_copy, raised, head).stdout)
    changes = {p["pool"]: (p["change"], p["detail"]) for p in second["pools"]}
    assert changes == {
        "prod-x7k2p-gpu-us-west-2a": ("changed", "market spot -> on-demand"),
        "prod-x7k2p-gpu-us-west-2b": ("added", ""),
    }
    classes = {(c["quota_class"], c["market"]): (c["base_vcpus"], c["head_vcpus"]) for c in second["classes"]}
    assert classes == {("G and VT", "spot"): (32, 0), ("G and VT", "on-demand"): (0, 64)}

    removed = json.loads(capacity_diff(repo_copy, head, base).stdout)
    assert {p["pool"]: p["change"] for p in removed["pools"]}["prod-x7k2p-gpu-us-west-2b"] == "removed"

    markdown = capacity_diff(repo_copy, base, head, "markdown").stdout
    assert markdown.startswith("### Capacity diff") and "| prod | G and VT | on-demand | 0 | 64 | +64 |" in markdown


def test_unknown_revision_is_bad_input(repo_copy: Path) -> None:
    git(repo_copy, "init", "-q")
    commit_all(repo_copy, "base")
    result = capacity_diff(repo_copy, "no-such-rev", "HEAD", "text")
    assert result.returncode == 2 and result.stderr.startswith("capacity-diff: no-such-rev: not a revision")
    assert result.stderr.count("\n") == 1
