"""The tests render with the pinned standalone kustomize (tests/conftest.py); the tools also
run ``kubectl kustomize`` (and ``oc kustomize``, the same code). The two must render every
overlay alike, objects and the source file of each, so what the tests see is what a machine
with only kubectl renders."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from accelcap.config import load_settings
from accelcap.model import render_model
from accelcap.render import KUSTOMIZE_ENV, kustomize_command
from support import REPO, enable_inferentia


def _render(root: Path, command: str, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str | None, object]]:
    monkeypatch.setenv(KUSTOMIZE_ENV, command)
    kustomize_command.cache_clear()
    try:
        settings = load_settings(root)
        model = render_model(settings.overlays / "prod", settings)
    finally:
        kustomize_command.cache_clear()
    return sorted(((d.ref, d.file, d.obj) for d in model.documents), key=repr)


@pytest.mark.parametrize("inferentia", [False, True], ids=["prod", "prod-inferentia"])
def test_kubectl_kustomize_renders_what_the_tests_render(
    inferentia: bool, repo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is not on PATH: the tools' kubectl kustomize cannot be compared"
    root = repo_copy if inferentia else REPO
    if inferentia:
        enable_inferentia(root)
    pinned_command = os.environ.get(KUSTOMIZE_ENV, "")
    assert "kubectl" not in pinned_command, f"the tests do not render with the pinned kustomize: {pinned_command}"
    pinned = _render(root, pinned_command, monkeypatch)
    assert pinned, "nothing rendered"
    assert _render(root, f"{kubectl} kustomize", monkeypatch) == pinned
