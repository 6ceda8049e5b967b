"""kustomize's output memoized by what it read, for tests that run a tool in-process many times
over the same manifests (the quota tests, capacity-diff's, the hostile corpus): each distinct
build still runs the real kustomize once per session; a build of the same directory over the
same files with the same kustomize command is answered from that first run instead of starting
kustomize again.

The key is the build directory relative to the repository, a digest of the repository's files
(``tree_digest``) and the kustomize command, so an edited copy, another revision exported by
capacity-diff, or a copy in another temporary directory with the same files is a hit only when
kustomize would read the same bytes (``tests/workflow/test_render_memo.py``); a test that names
another kustomize (a hanging or crashing stand-in) runs it. Errors are never kept: a build that
fails fails again, for real, every time. Everything but the kustomize subprocess (the graph
checks before it, the render layer after it) runs as in the tool.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import shlex
import threading
import typing as t
from pathlib import Path

import pytest

from accelcap.config import Settings
from accelcap.render import builds, kustomize
from accelcap.render.kustomize import RenderedObject

#: Directories no build reads, left out of the digest.
NOT_READ = frozenset({".git", ".venv", ".cache", ".mypy_cache", ".ruff_cache", ".pytest_cache", "__pycache__"})


def tree_digest(root: Path) -> str:
    """A digest of the names and bytes of every file in the repository at ``root`` (links by
    their targets) but for git's, the virtual environment's and caches (``NOT_READ``): what a
    kustomization in it can reach (the graph refuses anything outside the repository)."""
    digest = hashlib.sha256()
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if d not in NOT_READ and not d.endswith(".egg-info"))
        for name in sorted(files) + [d for d in subdirectories if Path(directory, d).is_symlink()]:
            path = Path(directory, name)
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            if path.is_symlink():
                digest.update(b"link\0" + os.readlink(path).encode() + b"\0")
            elif path.is_file():
                digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


class RenderMemo:
    """Stands in for ``builds.kustomize_objects`` while installed (``installed``)."""

    def __init__(self) -> None:
        self._real = kustomize.kustomize_objects  # the render layer's own, memo or not
        self._kept: dict[tuple[str, str, str], bytes] = {}
        self._lock = threading.Lock()
        #: builds answered from the memo, and builds given to kustomize
        self.hits = 0
        self.misses = 0

    def __call__(
        self, directory: Path, settings: Settings, load: t.Any, slot: t.Any = None, processes: t.Any = None
    ) -> list[RenderedObject]:
        root = settings.root.resolve()
        if not directory.resolve().is_relative_to(root):  # the graph check refuses it: for real
            return self._real(directory, settings, load, slot, processes)
        # The command too: a test that names another kustomize (a hanging or crashing one) gets it.
        key = (str(directory.resolve().relative_to(root)), tree_digest(root), shlex.join(kustomize.kustomize_command()))
        with self._lock:
            kept = self._kept.get(key)
        if kept is not None:
            self.hits += 1
            # Every caller its own objects, whose sources it finds in its own directory.
            return kustomize.located(pickle.loads(kept), directory, settings)
        with self._lock:
            self.misses += 1
        objects = self._real(directory, settings, load, slot, processes)
        with self._lock:
            self._kept[key] = pickle.dumps([obj for obj, _ in objects])
        return objects

    @contextlib.contextmanager
    def installed(self) -> t.Iterator[t.Self]:
        saved = builds.kustomize_objects
        builds.kustomize_objects = self  # type: ignore[assignment]
        try:
            yield self
        finally:
            builds.kustomize_objects = saved


@pytest.fixture(scope="session", autouse=True)
def render_memo() -> t.Iterator[RenderMemo]:
    """The memo, installed for the session of every test directory whose conftest imports this
    fixture (the quota, workflow and hostile-input tests: they run tools in this process over
    the same manifests again and again)."""
    with RenderMemo().installed() as memo:
        yield memo
