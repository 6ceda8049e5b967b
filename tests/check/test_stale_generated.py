"""Issue 22, part 5: stale generated files are named before anything renders, and the tools
that change an input of a generated file regenerate it."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelcap import set_infra_id
from accelcap.check import cli as check_cli
from accelcap.config import load_settings
from accelcap.generate import derived_files
from accelcap.lint import cli as lint_cli
from accelcap.validate import cli as validate_cli
from support import run_in_process

STALE = "overlays/prod/facts/worker/kustomization.yaml: generated files are stale: run `.venv/bin/python -m accelcap.generate`"


def _add_zone_to_facts(root: Path) -> None:
    facts = root / "overlays/prod/facts/cluster.yaml"
    text = facts.read_text()
    text = text.replace("    - us-west-2a\n  # How", "    - us-west-2a\n    - us-west-2b\n  # How")
    text = text.replace(
        "            - prod-x7k2p-subnet-private-us-west-2a\n",
        "            - prod-x7k2p-subnet-private-us-west-2a\n    us-west-2b:\n      id: subnet-0a1b2c3d4e5f60789\n",
    )
    facts.write_text(text)


@pytest.mark.parametrize("tool", [check_cli, lint_cli, validate_cli], ids=["check", "lint", "validate"])
def test_a_stale_wiring_is_named_before_rendering(repo_copy: Path, tool: object) -> None:
    _add_zone_to_facts(repo_copy)
    result = run_in_process(tool, "prod")  # type: ignore[arg-type]
    assert result.code == 2
    assert result.err == f"{tool.TOOL}: {STALE}\n"  # type: ignore[attr-defined]
    assert "kustomize" not in result.err


def test_the_changed_files_of_the_hook_are_checked_too(repo_copy: Path) -> None:
    _add_zone_to_facts(repo_copy)
    result = run_in_process(check_cli, "--changed", "overlays/prod/facts/cluster.yaml")
    assert (result.code, result.err) == (2, f"check: {STALE}\n")


def _stale_derived(root: Path) -> list[str]:
    load_settings.cache_clear()
    settings = load_settings(root)
    return [
        settings.relative(f.path) for f in derived_files(root) if not f.path.is_file() or f.path.read_text() != f.text()
    ]


def test_set_infra_id_regenerates_the_gpu_limits(repo_copy: Path) -> None:
    result = run_in_process(set_infra_id, "prod", "--infra-id", "prod-a1b2c")
    assert result.code == 0, result.err
    assert "overlays/prod/capacity/gpu-limits.yaml: regenerated" in result.out
    assert "prod-a1b2c-gpu-us-west-2a" in (repo_copy / "overlays/prod/capacity/gpu-limits.yaml").read_text()
    assert _stale_derived(repo_copy) == []


def test_a_bad_facts_file_is_named_though_a_build_that_started_first_fails(repo_copy: Path) -> None:
    """The builds start before the facts are read (``model.rendering_models``); the facts' error
    is still the one named, not the kustomize error of a build rendered meanwhile."""
    facts = repo_copy / "overlays/prod/facts/cluster.yaml"
    facts.write_text(facts.read_text().replace("infraID: prod-x7k2p", "infraID: [not, a, name]", 1))
    (repo_copy / "overlays/prod/kustomization.yaml").write_text("resources:\n  - missing.yaml\n")
    result = run_in_process(check_cli, "prod")
    assert result.code == 2
    assert result.err.startswith("check: overlays/prod/facts/cluster.yaml") and "kustomize" not in result.err, (
        result.err
    )
