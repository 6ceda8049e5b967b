"""The render layer follows Applications recursively (app of apps), attributes each object to
the Application that syncs it, refuses cycles, nesting past MAX_DEPTH and a path synced twice,
and never fetches remote kustomize content."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from accelcap.config import load_settings
from accelcap.errors import InputError
from accelcap.render import MAX_DEPTH, RenderedOverlay, is_remote, render_overlay
from accelcap.render.kustomize import KUSTOMIZE_ENV, kustomize_command

REPO_URL = "https://github.com/example-org/accelerator-capacity.git"


def application(name: str, path: str) -> str:
    return textwrap.dedent(
        f"""\
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata:
          name: {name}
          namespace: openshift-gitops
        spec:
          project: accelerator-capacity
          source:
            repoURL: {REPO_URL}
            targetRevision: main
            path: {path}
          destination:
            server: https://kubernetes.default.svc
            namespace: openshift-machine-api
        """
    )


def add_application(root: Path, build: str, name: str, path: str) -> None:
    (root / build / f"{name}.yaml").write_text(application(name, path))
    kustomization = root / build / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace("resources:\n", f"resources:\n  - {name}.yaml\n", 1))


def render(root: Path) -> RenderedOverlay:
    return render_overlay(root / "overlays" / "prod", load_settings(root))


def test_prod_is_followed_from_the_root(prod_render: RenderedOverlay) -> None:
    followed = [(f.application.name, f.path, f.depth, f.parent) for f in prod_render.applications]
    assert followed == [
        ("prod-root", "overlays/prod/apps", 0, None),
        ("prod-capacity", "overlays/prod/capacity", 1, "prod-root"),
        ("prod-operators", "overlays/prod/operators", 1, "prod-root"),
    ]
    by_ref = {d.ref: d for d in prod_render.documents}
    assert by_ref["Application/openshift-gitops/prod-capacity"].application == "prod-root"
    assert by_ref["MachineSet/openshift-machine-api/prod-x7k2p-gpu-us-west-2a"].application == "prod-capacity"
    assert by_ref["ClusterPolicy/gpu-cluster-policy"].application == "prod-operators"
    assert by_ref["Application/openshift-gitops/prod-root"].application is None


def test_a_cycle_is_bad_input(repo_copy: Path) -> None:
    add_application(repo_copy, "overlays/prod/apps", "prod-loop", "overlays/prod/apps")
    with pytest.raises(InputError, match=r"Application cycle: prod-root \(overlays/prod/apps\) -> prod-loop"):
        render(repo_copy)


def test_an_application_that_syncs_the_bootstrap_is_a_cycle(repo_copy: Path) -> None:
    add_application(repo_copy, "overlays/prod/apps", "prod-self", "overlays/prod")
    with pytest.raises(InputError, match="Application cycle"):
        render(repo_copy)


def test_one_path_synced_by_two_applications_is_bad_input(repo_copy: Path) -> None:
    add_application(repo_copy, "overlays/prod/apps", "prod-pools", "overlays/prod/capacity")
    with pytest.raises(InputError, match="syncs overlays/prod/capacity, which Application prod-capacity syncs too"):
        render(repo_copy)


def test_nesting_is_bounded(repo_copy: Path) -> None:
    previous = "overlays/prod/apps"
    for level in range(MAX_DEPTH + 1):
        build = f"overlays/prod/nested{level}"
        (repo_copy / build).mkdir()
        (repo_copy / build / "kustomization.yaml").write_text("resources:\n")
        add_application(repo_copy, previous, f"prod-nested{level}", build)
        previous = build
    with pytest.raises(InputError, match=f"nest deeper than {MAX_DEPTH} levels"):
        render(repo_copy)


def test_nesting_within_the_bound_is_followed(repo_copy: Path) -> None:
    build = "overlays/prod/nested"
    (repo_copy / build).mkdir()
    (repo_copy / build / "kustomization.yaml").write_text("resources:\n")
    add_application(repo_copy, "overlays/prod/apps", "prod-nested", build)
    add_application(repo_copy, build, "prod-deeper", "overlays/prod/validation")
    rendered = render(repo_copy)
    depths = {f.application.name: f.depth for f in rendered.applications}
    assert depths["prod-nested"] == 1 and depths["prod-deeper"] == 2
    pod = next(d for d in rendered.documents if d.kind == "Pod" and d.application == "prod-deeper")
    assert pod.rendered_from == "overlays/prod/validation"


@pytest.mark.parametrize(
    "entry",
    [
        "https://github.com/example/repo//base?ref=v1",
        "github.com/example/repo/base",
        "git::https://example.com/repo.git//base",
        "git@github.com:example/repo.git",
        "ssh://git@example.com/repo.git",
        "gh:example/repo",
        "../base?ref=main",
        "example.com/repo//dir",
    ],
)
def test_remote_entries_are_recognised(entry: str) -> None:
    assert is_remote(entry)


@pytest.mark.parametrize("entry", ["../../base/pools/gpu", "pool-zone.yaml", "./a/b", "gpu-us-west-2a"])
def test_local_entries_are_not_remote(entry: str) -> None:
    assert not is_remote(entry)


def test_remote_content_is_refused_before_kustomize_runs(repo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kustomization = repo_copy / "overlays" / "prod" / "operators" / "kustomization.yaml"
    kustomization.write_text(
        kustomization.read_text().replace("resources:\n", "resources:\n  - github.com/example/gpu/operator?ref=main\n")
    )
    # kustomize would try the network: make sure it is never run for that build (the command
    # is read once per process, so the cached one is dropped now and again afterwards).
    monkeypatch.setenv(KUSTOMIZE_ENV, "false")
    kustomize_command.cache_clear()
    try:
        with pytest.raises(InputError, match="only reviewed content may sync") as raised:
            render_overlay(repo_copy / "overlays" / "prod" / "operators", load_settings(repo_copy))
    finally:
        kustomize_command.cache_clear()
    assert raised.value.where == "overlays/prod/operators/kustomization.yaml"


def test_remote_content_is_recorded_when_asked(repo_copy: Path) -> None:
    kustomization = repo_copy / "base" / "operators" / "nfd" / "kustomization.yaml"
    kustomization.write_text(
        kustomization.read_text().replace("resources:\n", "resources:\n  - https://example.com/nfd.yaml\n")
    )
    rendered = render_overlay(repo_copy / "overlays" / "prod", load_settings(repo_copy), allow_remote=True)
    (reference,) = rendered.remote_references
    assert (reference.file, reference.field, reference.build) == (
        "base/operators/nfd/kustomization.yaml",
        "resources",
        "overlays/prod/operators",
    )
    operators = next(f for f in rendered.applications if f.application.name == "prod-operators")
    assert operators.documents == []
    # The other builds are rendered as usual.
    assert any(d.kind == "MachineSet" for d in rendered.documents)


def test_a_validation_build_named_kustomization_yml_is_rendered(repo_copy: Path) -> None:
    # kustomize reads kustomization.yml too; a manual build spelt so must not escape the checks.
    validation = repo_copy / "overlays" / "prod" / "validation"
    (validation / "kustomization.yaml").rename(validation / "kustomization.yml")
    assert "overlays/prod/validation" in {d.rendered_from for d in render(repo_copy).documents}
