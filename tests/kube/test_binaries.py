"""The pins of the real binaries, and a build that cannot happen failing loudly."""

from __future__ import annotations

import re
from pathlib import Path

import binaries
import pytest

from accelcap.config import load_settings
from accelcap.facts import KUBERNETES_FOR_OPENSHIFT, list_clusters, load_facts
from support import REPO


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def test_the_api_server_is_the_kubernetes_of_the_newest_openshift_the_facts_use() -> None:
    settings = load_settings(REPO)
    newest = max((load_facts(c, settings).openshift_version for c in list_clusters(settings)), key=_minor)
    pinned = re.search(
        r"^\tk8s\.io/kubernetes v(1\.\d+)\.\d+", (binaries.GO_MODULE / "go.mod").read_text(), re.MULTILINE
    )
    assert pinned is not None and pinned.group(1) == KUBERNETES_FOR_OPENSHIFT[newest]
    staging = re.findall(
        r"^\tk8s\.io/[\w-]+ => k8s\.io/[\w-]+ v0\.(\d+)\.\d+$",
        (binaries.GO_MODULE / "go.mod").read_text(),
        re.MULTILINE,
    )
    assert staging and set(staging) == {pinned.group(1).split(".")[1]}


def test_without_go_the_build_fails_with_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(binaries.BIN_DIR_ENV, str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(binaries.BuildError, match="go is not on PATH"):
        binaries.kubeconform()


def test_a_module_the_proxy_refuses_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(binaries.BIN_DIR_ENV, str(tmp_path))
    monkeypatch.setenv("GOPROXY", "off")  # as a proxy that refuses the module (v0.6.5 was never published)
    monkeypatch.setenv("GOFLAGS", "")
    monkeypatch.setattr(binaries, "KUBECONFORM_VERSION", "v0.6.5")
    with pytest.raises(
        binaries.BuildError, match=r"go install github.com/yannh/kubeconform/cmd/kubeconform@v0.6.5 failed"
    ):
        binaries.kubeconform()
