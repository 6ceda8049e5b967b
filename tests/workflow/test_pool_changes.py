"""The three everyday pool changes, each made as the README says (pool.yaml, then the generator
the pre-commit hook runs): what lint says before the generated files follow and after, and what
capacity-diff reports, in the words of pool.yaml.

- a changed maximum: "allow 4 GPU nodes", one line of one file;
- a changed instance type (and its accelerator label);
- a new zone: a copied pool directory, and the zone (with its subnet) in the facts.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from test_capacity_diff import capacity_diff, commit_all, git

from accelcap import generate
from accelcap.config import load_settings
from accelcap.lint.engine import lint_overlay
from accelcap.model import render_model

POOL = Path("overlays/prod/capacity/gpu-us-west-2a")
NEW_ZONE = "us-west-2b"


def readme_example() -> tuple[str, str, str]:
    """(file, change, the changed line) of the README's "allow 4 GPU nodes" example."""
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    match = re.search(r"^\$EDITOR (\S+) +# (.+)$", text, re.MULTILINE)
    assert match, "the README's workflow starts with $EDITOR <file>  # <the change>"
    shown = re.search(r"^```yaml\n(  maxReplicas: .*)\n```$", text, re.MULTILINE)
    assert shown, "the README shows the changed line in a yaml block"
    return match[1], match[2], shown[1]


def set_line(file: Path, key: str, value: str) -> None:
    text, count = re.subn(rf"^(  {key}:) *[^ #\n]+", rf"\g<1> {value}", file.read_text(), count=1, flags=re.MULTILINE)
    assert count == 1, f"{file} has no {key} line"
    file.write_text(text)


def raise_maximum(root: Path) -> None:
    """The README's example, exactly: one line of one file."""
    file, change, line = readme_example()
    assert file == f"{POOL}/pool.yaml" and change == "maxReplicas: 2 -> 4", (file, change)
    before = (root / file).read_text()
    set_line(root / file, "maxReplicas", "4")
    diff = [(a, b) for a, b in zip(before.splitlines(), (root / file).read_text().splitlines(), strict=True) if a != b]
    assert [after for _, after in diff] == [line]


def change_instance_type(root: Path) -> None:
    set_line(root / POOL / "pool.yaml", "instanceType", "g6.2xlarge")
    set_line(root / POOL / "pool.yaml", "acceleratorLabel", "nvidia-l4")


def add_zone(root: Path) -> None:
    """A second zone: the zone and its subnet in the facts (set-infra-id --from-cluster would
    capture the subnet), a copied pool directory with the zone changed, listed in the build."""
    facts = root / "overlays" / "prod" / "facts" / "cluster.yaml"
    text = facts.read_text().replace("    - us-west-2a\n", f"    - us-west-2a\n    - {NEW_ZONE}\n")
    text = text.replace(
        "  worker:\n",
        f"    {NEW_ZONE}:\n      filters:\n        - name: tag:Name\n          values:\n"
        f"            - prod-x7k2p-subnet-private-{NEW_ZONE}\n  worker:\n",
    )
    facts.write_text(text)
    target = root / POOL.with_name(f"gpu-{NEW_ZONE}")
    shutil.copytree(root / POOL, target)
    (target / "pool.yaml").write_text((target / "pool.yaml").read_text().replace("us-west-2a", NEW_ZONE))
    listing = root / POOL.parent / "kustomization.yaml"
    listing.write_text(listing.read_text().replace("  - gpu-us-west-2a\n", f"  - gpu-us-west-2a\n  - gpu-{NEW_ZONE}\n"))


def lint_codes(root: Path) -> dict[str, set[str]]:
    load_settings.cache_clear()
    findings = lint_overlay(render_model(root / "overlays" / "prod", load_settings(root)))
    found: dict[str, set[str]] = {}
    for finding in findings:
        found.setdefault(finding.code, set()).add(finding.message)
    return found


CHANGES = {
    "changed maximum": (raise_maximum, {"CAP011"}),
    "changed instance type": (change_instance_type, {"CAP011"}),
    # CAP043: the priority expander's generated ConfigMap lacks the new zone's MachineSets
    "new zone": (add_zone, {"CAP009", "CAP011", "CAP043"}),
}


@pytest.mark.parametrize("name", list(CHANGES))
def test_lint_before_and_after_the_generated_files_follow(name: str, repo_copy: Path) -> None:
    change, before_generating = CHANGES[name]
    change(repo_copy)
    found = lint_codes(repo_copy)
    assert set(found) == before_generating, found
    assert any("run .venv/bin/python -m accelcap.generate" in message for message in found["CAP011"])
    if "CAP009" in found:  # the new zone's subnet is in the facts, not yet wired into the pool
        assert any("worker/kustomization.yaml is stale" in message for message in found["CAP009"])
    load_settings.cache_clear()
    written = generate.write_derived(repo_copy)
    assert "overlays/prod/capacity/gpu-limits.yaml" in written
    assert lint_codes(repo_copy) == {}


def test_the_instance_type_without_its_label_is_a_finding(repo_copy: Path) -> None:
    set_line(repo_copy / POOL / "pool.yaml", "instanceType", "g6.2xlarge")
    load_settings.cache_clear()
    generate.write_derived(repo_copy)
    found = lint_codes(repo_copy)
    assert set(found) == {"CAP005"}
    assert found["CAP005"] == {"node label cluster-api/accelerator=nvidia-a10g but g6.2xlarge carries nvidia-l4"}


@pytest.mark.slow
def test_capacity_diff_reports_each_change_in_pool_yaml_terms(repo_copy: Path) -> None:
    git(repo_copy, "init", "-q")
    base = commit_all(repo_copy, "base")
    revisions = {}
    for name, (change, _) in CHANGES.items():
        git(repo_copy, "checkout", "-q", base)
        git(repo_copy, "checkout", "-q", "-B", name.replace(" ", "-"))
        change(repo_copy)
        load_settings.cache_clear()
        generate.write_derived(repo_copy)
        revisions[name] = commit_all(repo_copy, name)

    def report(name: str) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[int | None, int | None]]]:
        result = capacity_diff(repo_copy, base, revisions[name])
        assert result.returncode == 0, result.stderr
        document = json.loads(result.stdout)
        pools = {p["pool"]: (p["change"], p["detail"]) for p in document["summary"]["pools"]}
        limits = {g["type"]: (g["base"], g["head"]) for g in document["summary"]["gpu_limits"]}
        return pools, limits

    fallback = "prod-x7k2p-gpu-us-west-2a-ondemand"  # the Spot pool's On-Demand half (2 more nodes)
    assert report("changed maximum") == (
        {"prod-x7k2p-gpu-us-west-2a": ("changed", "maxReplicas 2 -> 4"), fallback: ("unchanged", "")},
        {"nvidia-a10g": (4, 6)},
    )
    assert report("changed instance type") == (
        {
            "prod-x7k2p-gpu-us-west-2a": ("changed", "instanceType g5.2xlarge -> g6.2xlarge"),
            fallback: ("changed", "instanceType g5.2xlarge -> g6.2xlarge"),
        },
        {"nvidia-a10g": (4, None), "nvidia-l4": (None, 4)},
    )
    assert report("new zone") == (
        {
            "prod-x7k2p-gpu-us-west-2a": ("unchanged", ""),
            fallback: ("unchanged", ""),
            f"prod-x7k2p-gpu-{NEW_ZONE}": ("added", f"zone {NEW_ZONE}, maxReplicas 2"),
            f"prod-x7k2p-gpu-{NEW_ZONE}-ondemand": ("added", f"zone {NEW_ZONE}, maxReplicas 2"),
        },
        {"nvidia-a10g": (4, 8)},
    )
    document = json.loads(capacity_diff(repo_copy, base, revisions["new zone"]).stdout)
    added, _ = [p for p in document["summary"]["pools"] if p["change"] == "added"]
    assert added["head"]["pool_yaml"] == f"overlays/prod/capacity/gpu-{NEW_ZONE}/pool.yaml"
    text = capacity_diff(repo_copy, base, revisions["changed maximum"], "text").stdout
    assert "maxReplicas 2 -> 4" in text and "ClusterAutoscaler GPU limits" in text
