"""CAP040 on the health checks of base/bootstrap: the guard against the gate that gated nothing.

Before issue 20 the bootstrap's ArgoCD had only the Application check, so every operator kind
of <cluster>-operators was skipped while Missing (argoproj/argo-cd#6708) and the root moved to
the pools at once. These tests put the bootstrap back to that state and expect CAP040 to name
each kind; the Argo CD tests (tests/argocd) show the same on the real controller.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from accelcap.config import load_settings
from accelcap.lint.engine import lint_overlay
from accelcap.model import ClusterModel, render_model
from support import enable_inferentia, one


def only_the_application_check(overlay: ClusterModel) -> None:
    """The bootstrap's ArgoCD as it was before the fix: the Application check alone."""
    checks = one(overlay, "ArgoCD").obj["spec"]["resourceHealthChecks"]
    checks[:] = [c for c in checks if c["kind"] == "Application"]


def cap040_kinds(overlay: ClusterModel) -> set[str]:
    findings = lint_overlay(overlay)
    return {f.message.split(" syncs ", 1)[1].split(",", 1)[0] for f in findings if f.code == "CAP040"}


@pytest.mark.parametrize("inferentia", [False, True], ids=["prod", "prod-inferentia"])
def test_the_bootstrap_counts_every_kind_a_later_wave_waits_for(repo_copy: Path, inferentia: bool) -> None:
    if inferentia:
        enable_inferentia(repo_copy)
    overlay = render_model(repo_copy / "overlays" / "prod", load_settings(repo_copy))
    assert cap040_kinds(overlay) == set()


def test_the_bootstrap_before_the_fix_fails_cap040(repo_copy: Path) -> None:
    enable_inferentia(repo_copy)
    overlay = render_model(repo_copy / "overlays" / "prod", load_settings(repo_copy))
    only_the_application_check(overlay)
    assert cap040_kinds(overlay) == {
        "operators.coreos.com/Subscription",
        "nvidia.com/ClusterPolicy",
        "nfd.openshift.io/NodeFeatureDiscovery",
        "nfd.k8s-sigs.io/NodeFeatureRule",
        "k8s.aws/DeviceConfig",
    }
