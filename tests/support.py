"""Helpers every test area shares (``tests/`` is on ``sys.path``; conftest.py is not importable).

- ``REPO``: this checkout; ``shared_dir()``: the shared test data beside it (``../shared``,
  or ``ACCELCAP_SHARED``): the upstream files the tests serve as a mirror, and the corpus;
  ``copy_repository``: a disposable copy of its manifests;
- ``render_prod``: the prod overlay through the real render layer (``conftest`` holds it
  once per session as ``prod_render``, and a private copy per test as ``prod``);
- ``one``: the one object of a kind (and name) in a render, ``first``: the first where any
  will do; ``mutated``: a changed copy of a document;
- ``run_in_process``: a tool's command line in this process, its output captured;
  ``path_without_kubeconform``: ``PATH`` less any kubeconform (the built-in engine runs);
- ``copy_repository``: the repository's manifests and settings copied for a test to edit
  (``conftest`` gives one per test as ``repo_copy``); ``enable_inferentia``: turn Inferentia
  on in such a copy (the one line of docs/inferentia.md).
"""

from __future__ import annotations

import compileall
import contextlib
import copy
import io
import os
import re
import shutil
import types
import typing as t
from pathlib import Path

from accelcap.cli import run_tool
from accelcap.config import load_settings
from accelcap.model import ClusterModel, render_model
from accelcap.render import Document, RenderedOverlay

REPO = Path(__file__).resolve().parent.parent
#: What a repository copy needs: the manifests and the settings.
REPO_PARTS = ("base", "components", "overlays", "pyproject.toml")


def copy_repository(destination: Path) -> Path:
    """A copy of this repository's manifests and settings at ``destination`` (created)."""
    destination.mkdir(parents=True)
    for part in REPO_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, destination / part, symlinks=True)
        else:
            shutil.copy2(source, destination / part)
    return destination


def without_fallback(root: Path) -> Path:
    """A repository copy at ``root`` whose prod GPU pool is one Spot MachineSet without its On-Demand
    fallback, and so without the priority expander: the single pool the quota and verify-pools
    tests were written for (the fallback's own tests: tests/lint/test_markets.py,
    tests/quotas/test_capacity_checks.py)."""
    pool_dir = root / "overlays" / "prod" / "capacity" / "gpu-us-west-2a"
    pool = pool_dir / "pool.yaml"
    pool.write_text(re.sub(r"^  fallback(MaxReplicas)?:.*\n", "", pool.read_text(), flags=re.MULTILINE))
    listing = pool_dir / "kustomization.yaml"
    listing.write_text(re.sub(r"^  - .*/components/gpu-pool-fallback.*\n", "", listing.read_text(), flags=re.MULTILINE))
    capacity = root / "overlays" / "prod" / "capacity"
    build = capacity / "kustomization.yaml"  # no fallback, no priority expander (lint CAP043/CAP044)
    build.write_text(
        re.sub(
            r"^  - (priority-expander\.yaml|.*/components/autoscaling/priority)\n",
            "",
            build.read_text(),
            flags=re.MULTILINE,
        )
    )
    limits = capacity / "gpu-limits.yaml"
    limits.write_text(limits.read_text().replace("max: 4", "max: 2"))
    return root


def path_without_kubeconform() -> str:
    """``$PATH`` without the directories that hold a kubeconform: the tools' ``auto`` engine is
    then the built-in validator, whatever the machine has installed."""
    return os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if not Path(p, "kubeconform").exists())


#: Names the shared test data when it is not at ``../shared``. Only the tests read it.
SHARED_ENV = "ACCELCAP_SHARED"


def shared_dir() -> Path:
    """The shared test data: upstream CRDs and schemas (served to the tools as their mirror)
    and the corpus of real-world manifests. The tests need it; they fail without it."""
    shared = Path(os.environ.get(SHARED_ENV) or REPO.parent / "shared").resolve()
    if not (shared / "crds" / "SOURCES.txt").is_file():
        raise AssertionError(f"the tests need the shared test data at {shared} (set {SHARED_ENV} to move it)")
    return shared


def render_prod() -> ClusterModel:
    settings = load_settings(REPO)
    return render_model(settings.overlays / "prod", settings)


#: prod's GPU pool MachineSet (its On-Demand fallback is ``PROD_POOL + "-ondemand"``).
PROD_POOL = "prod-x7k2p-gpu-us-west-2a"


def one(rendered: RenderedOverlay, kind: str, name: str | None = None) -> Document:
    """The one object of ``kind`` (named ``name``) in ``rendered``; none or several fail."""
    found = [d for d in rendered.documents if d.kind == kind and (name is None or d.name == name)]
    assert len(found) == 1, f"expected one {kind} {name or ''} in {rendered.name}, found {[d.ref for d in found]}"
    return found[0]


def first(rendered: RenderedOverlay, kind: str) -> Document:
    """The first object of ``kind`` in ``rendered``, where any of them will do."""
    found = [d for d in rendered.documents if d.kind == kind]
    assert found, f"no {kind} in {rendered.name}"
    return found[0]


def mutated(document: Document, change: t.Callable[[dict[str, t.Any]], None]) -> Document:
    """A copy of ``document`` with ``change`` applied to its object."""
    obj = copy.deepcopy(document.obj)
    change(obj)
    return Document(obj, document.overlay, document.rendered_from, document.application, document.source)


def codes(findings: t.Iterable[t.Any]) -> set[str]:
    """The codes of ``findings``."""
    return {f.code for f in findings}


class Result(t.NamedTuple):
    code: int
    out: str
    err: str


def run_in_process(module: types.ModuleType, *argv: str) -> Result:
    """Run the tool of ``module`` (its ``TOOL``, ``build_parser``, ``execute``) as its console script would."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run_tool(module.TOOL, module.build_parser, module.execute, list(argv))
    return Result(code, out.getvalue(), err.getvalue())


#: The line of a cluster's bootstrap that turns Inferentia on, commented out (README, docs/inferentia.md).
INFERENTIA_LINE = "  # - ../../components/inferentia\n"


def enable_inferentia(root: Path, cluster: str = "prod") -> None:
    """Uncomment the Inferentia component in ``root``'s overlay of ``cluster`` (a repository copy)."""
    entry = root / "overlays" / cluster / "kustomization.yaml"
    text = entry.read_text()
    assert INFERENTIA_LINE in text, f"{entry} has no commented-out Inferentia line"
    entry.write_text(text.replace(INFERENTIA_LINE, INFERENTIA_LINE.replace("# ", "")))


def compile_tools() -> None:
    """Compile the tools' modules to bytecode once, as installing the package does (pip compiles a
    wheel's modules; an editable install caches them on first use). Python reads cached bytecode
    even where ``PYTHONDONTWRITEBYTECODE`` keeps it from writing any, as this machine's environment
    does: without this, every run of a tool would compile its 170 modules again first (0.2 s
    before ``check`` starts its first build), which is no work of the tools."""
    compileall.compile_dir(str(REPO / "src" / "accelcap"), quiet=1)
