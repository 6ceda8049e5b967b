"""Fixtures every test area shares: the pinned upstream files served from the shared test
data, the real repository, its prod render, and a disposable copy of the repository.
Helpers to import live in ``support``."""

from __future__ import annotations

import contextlib
import copy
import os
import shlex
import sys
import typing as t
from pathlib import Path

import pytest

from accelcap.config import MIRROR_ENV, load_settings
from accelcap.render import KUSTOMIZE_ENV, RenderedOverlay, kustomize_command
from accelcap.validate.fetch import CACHE_ENV
from mirror import build_mirror
from support import compile_tools, copy_repository, render_prod, shared_dir


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker per core this process may use, and one more. Many tests wait
    rather than compute (Argo CD reconciling, a stand-in that stays silent until a deadline, an
    API server starting), and a third worker keeps both cores of CI busy meanwhile (the full run
    on 2 cores, 2026-12-07: 242 s with 3 workers; 317 s with 2, before the hostile corpus's
    render memo)."""
    return len(os.sched_getaffinity(0)) + 1


def pytest_configure(config: pytest.Config) -> None:
    """Every render of the tests (in this process and in the tools it starts) runs the pinned
    standalone kustomize (``binaries.kustomize``), built from the Go module proxy once: a third
    cheaper per build than ``kubectl kustomize``, which spends the difference starting kubectl.
    The same kustomize v5.5.0; tests/foundation/test_render_kubectl.py renders with ``kubectl
    kustomize`` as well and compares. A kustomize named in ACCELCAP_KUSTOMIZE by whoever runs the
    tests is theirs: kept. Without Go the build fails and so does the run, as the kube tests do.

    The tools' modules are compiled to bytecode first (``support.compile_tools``), for every
    tool the tests start as a process."""
    compile_tools()
    if os.environ.get(KUSTOMIZE_ENV):
        return
    sys.path.insert(0, str(Path(__file__).parent / "kube"))
    import binaries

    try:
        built = binaries.kustomize()
    except binaries.BuildError as error:
        raise pytest.UsageError(f"cannot build the tests' kustomize: {error}") from None
    os.environ[KUSTOMIZE_ENV] = shlex.join([str(built.path), "build"])
    kustomize_command.cache_clear()


@pytest.fixture(scope="session", autouse=True)
def _pinned_files_from_the_shared_data(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Path]:
    """Every tool the tests run (in this process or as a subprocess) fetches the pinned upstream
    files from the shared test data, laid out as a mirror, into a cache of this session: never
    from the network, never from the user's cache.

    Without the shared data the mirror stays empty, so every pinned fetch fails naming the
    mirror setting (never a silent fetch from GitHub), and the tests that read the shared data
    themselves fail, each saying where it looked (``support.shared_dir``).
    """
    saved = {name: os.environ.get(name) for name in (MIRROR_ENV, CACHE_ENV)}
    mirror = tmp_path_factory.mktemp("mirror")
    with contextlib.suppress(AssertionError):  # no shared data: the mirror stays empty
        build_mirror(shared_dir(), mirror)
    os.environ[MIRROR_ENV] = str(mirror)
    os.environ[CACHE_ENV] = str(tmp_path_factory.mktemp("cache"))
    yield mirror
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(autouse=True)
def _fresh_settings() -> t.Iterator[None]:
    """Settings are cached per process; tests that move ACCELCAP_REPO need a fresh read."""
    load_settings.cache_clear()
    yield
    load_settings.cache_clear()


@pytest.fixture(scope="session")
def prod_render() -> RenderedOverlay:
    """The prod overlay as the render layer renders it, once per session (do not mutate)."""
    return render_prod()


@pytest.fixture
def prod(prod_render: RenderedOverlay) -> RenderedOverlay:
    """A private deep copy of the prod render, free to mutate."""
    return copy.deepcopy(prod_render)


@pytest.fixture
def repo_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the repository's manifests that a test may edit; the tools use it."""
    root = copy_repository(tmp_path / "repo")
    monkeypatch.setenv("ACCELCAP_REPO", str(root))
    load_settings.cache_clear()
    return root
