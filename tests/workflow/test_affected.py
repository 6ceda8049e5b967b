"""Hooks that render select the overlays a change touches from the kustomization graph."""

from __future__ import annotations

import shutil
from pathlib import Path

from accelcap.affected import affected_overlays
from accelcap.config import load_settings


def add_manual_cluster(root: Path) -> None:
    """A second cluster whose GPU pool is not autoscaled."""
    staging = root / "overlays" / "staging"
    shutil.copytree(root / "overlays" / "prod", staging)
    facts = staging / "facts" / "cluster.yaml"
    facts.write_text(facts.read_text().replace("name: prod", "name: staging"))
    pool = staging / "capacity" / "gpu-us-west-2a"
    kustomization = pool / "kustomization.yaml"
    kustomization.write_text(
        kustomization.read_text().replace(
            "  - ../../../../components/autoscaling/pool\n", "  - ../../../../components/pool/replicas\n"
        )
    )
    settings = pool / "pool.yaml"
    text = settings.read_text()
    settings.write_text(text[: text.index("  minReplicas:")] + "  replicas: 0\n  volumeSize: 120\n")


def names(root: Path, *changed: str) -> list[str]:
    return [p.name for p in affected_overlays(changed, load_settings(root))]


def test_a_component_selects_exactly_the_overlays_using_it(repo_copy: Path) -> None:
    add_manual_cluster(repo_copy)
    assert names(repo_copy, "components/autoscaling/pool/machineautoscaler.yaml") == ["prod"]
    assert names(repo_copy, "components/pool/settings/kustomization.yaml") == ["prod", "staging"]
    assert names(repo_copy, "components/gpu-pool/kustomization.yaml") == ["prod", "staging"]
    assert names(repo_copy, "components/pool/replicas/kustomization.yaml") == ["prod", "staging"]  # inf2 pools
    assert names(repo_copy, "base/pools/gpu/kustomization.yaml") == ["prod", "staging"]
    # Inferentia's pool base is used by both clusters' inferentia/ builds.
    assert names(repo_copy, "base/pools/inferentia/kustomization.yaml") == ["prod", "staging"]
    # ...but its entry component by nobody while both leave it off.
    assert names(repo_copy, "components/inferentia/application-neuron-operators.yaml") == []


def test_files_of_a_cluster_select_that_cluster(repo_copy: Path) -> None:
    add_manual_cluster(repo_copy)
    assert names(repo_copy, "overlays/staging/facts/cluster.yaml") == ["staging"]
    assert names(repo_copy, "overlays/prod/capacity/gpu-us-west-2a/pool.yaml", "README.md") == ["prod"]
    assert names(repo_copy, "overlays/staging/facts/worker/kustomization.yaml") == ["staging"]
    assert names(repo_copy, "docs/runbook.md", "src/accelcap/render/kustomize.py") == []


def test_a_remote_entry_is_remote_for_changed_files_as_for_the_render(repo_copy: Path) -> None:
    # A hosting shorthand without "://": the render reports it (CAP021); the pre-commit
    # path must not call it a missing local path.
    kustomization = repo_copy / "overlays" / "prod" / "capacity" / "kustomization.yaml"
    kustomization.write_text(
        kustomization.read_text().replace("resources:\n", "resources:\n  - gitlab.com/org/repo//deploy?ref=v1\n", 1)
    )
    assert names(repo_copy, "base/pools/gpu/kustomization.yaml") == ["prod"]
