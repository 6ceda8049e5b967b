"""``ClusterModel``: one rendered overlay as every tool reads it, built once per run.

The render layer hands over documents and where they came from; the model adds the cluster's
facts (parsed once per run) and joins each pool from its pool.yaml, its
MachineSet(s), their MachineAutoscalers and its share of the GPU limits. The derived views
are computed on first use and kept while the documents and pool files are the same objects
(a lint example that adds or drops a document gets fresh views).
"""

from __future__ import annotations

import contextlib
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Settings, load_settings
from ..facts import FACTS_FILE, ClusterFacts, cluster_dir_of, load_facts, load_facts_file
from ..pool_file import PoolFile, PoolReader
from ..render import BuildCache, Document, FollowedApplication, RemoteReference, RenderedOverlay, resolve_targets
from ..render import rendering_targets as _rendering_targets
from ..run_memo import resolved
from ..staleness import require_current
from .machinesets import ScaledMachineSet, find_machinesets
from .pools import GpuLimit, Pool, gpu_limits, join_pools


def build_cache(settings: Settings, jobs: int | None = None) -> BuildCache:
    """The builds of one run, each reading its pools' pool.yaml before kustomize runs (the run's
    kustomization graph walked once, each file read once)."""
    return BuildCache(settings, jobs, read_local=PoolReader())


@dataclass
class ClusterModel:
    """One overlay's cluster: what it renders, its facts, its pools."""

    overlay: RenderedOverlay
    facts: ClusterFacts | None
    _views: dict[str, tuple[tuple[int, ...], t.Any]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        # A model without its pool files would judge every pool as if it had no pool.yaml, and
        # say nothing about it: a programming error, refused where it is made.
        if self.overlay.local_config_unread:
            raise ValueError(
                f"{self.overlay.name}: rendered without reading its pool files; render it with "
                "accelcap.model.render_model, or with a BuildCache from accelcap.model.build_cache"
            )

    def _view(self, name: str, compute: t.Callable[[], t.Any]) -> t.Any:
        key = (*map(id, self.overlay.documents), -1, *map(id, self.overlay.local_config))
        kept = self._views.get(name)
        if kept is None or kept[0] != key:
            kept = self._views[name] = (key, compute())
        return kept[1]

    @property
    def path(self) -> Path:
        return self.overlay.path

    @property
    def name(self) -> str:
        return self.overlay.name

    @property
    def documents(self) -> list[Document]:
        return self.overlay.documents

    @property
    def applications(self) -> list[FollowedApplication]:
        return self.overlay.applications

    @property
    def remote_references(self) -> list[RemoteReference]:
        return self.overlay.remote_references

    def of_kind(self, *kinds: str) -> list[Document]:
        return self.overlay.of_kind(*kinds)

    @property
    def pool_files(self) -> list[PoolFile]:
        """The pool.yaml of every pool the overlay's builds read."""
        return [c for c in self.overlay.local_config if isinstance(c, PoolFile)]

    @property
    def machinesets(self) -> list[ScaledMachineSet]:
        """Every MachineSet with its MachineAutoscaler, in render order."""
        return t.cast(list[ScaledMachineSet], self._view("machinesets", lambda: find_machinesets(self.documents)))

    @property
    def pools(self) -> list[Pool]:
        return t.cast(list[Pool], self._view("pools", lambda: join_pools(self.machinesets, self.pool_files)))

    @property
    def gpu_limits(self) -> tuple[list[GpuLimit], list[ScaledMachineSet]]:
        """The ClusterAutoscaler's GPU limits its pools add up to, and the MachineSets it cannot count."""
        return t.cast(
            tuple[list[GpuLimit], list[ScaledMachineSet]],
            self._view("gpu_limits", lambda: gpu_limits(self.machinesets)),
        )

    def pool(self, name: str) -> Pool | None:
        return next((p for p in self.pools if p.name == name), None)

    def file_of(self, machineset: ScaledMachineSet) -> PoolFile | None:
        """The pool.yaml a MachineSet was filled from (its ``accel-capacity.io/pool``)."""
        return next((f for f in self.pool_files if f.name == machineset.pool_name), None)


def facts_of_overlay(path: Path, settings: Settings) -> ClusterFacts | None:
    """The facts of the cluster whose directory holds ``path``; None outside a cluster directory."""
    cluster_dir = cluster_dir_of(resolved(path))
    return load_facts_file(cluster_dir / FACTS_FILE, settings) if cluster_dir else None


@contextlib.contextmanager
def rendering_models(
    paths: t.Sequence[str],
    settings: Settings | None = None,
    follow: bool = True,
    cluster: str | None = None,
    changed: t.Sequence[str] | None = None,
    allow_remote: bool = False,
    cache: BuildCache | None = None,
    generated_current: bool = True,
) -> t.Iterator[t.Iterator[ClusterModel]]:
    """The model of every CLI target (``render.resolve_targets``), in the order given, while
    the later ones still render. Every cluster's facts are read and checked before any
    rendered overlay is handed out (a bad facts file is named, not the kustomize error it
    would cause); the builds start first and render meanwhile, so kustomize does not wait for
    the facts of a large fleet. A rendered-YAML file or ``-`` has no cluster directory: its
    facts are those of ``cluster`` when given.

    ``generated_current``: a generated file that needs no render and lags its inputs stops the
    run first (the tools' way); False renders the tree as it is (lint rules CAP009 and CAP031
    then name the lag)."""
    settings = settings or load_settings()
    file_facts = load_facts(cluster, settings) if cluster else None
    targets = resolve_targets(paths, settings, changed)
    directories = [target for target in targets if isinstance(target, Path)]
    if not targets:
        yield iter(())
        return
    own = cache is None
    builds = cache if cache is not None else build_cache(settings)
    try:
        resolved = [str(target) for target in targets]
        with _rendering_targets(resolved, settings, follow, None, allow_remote, builds) as overlays:
            # An error here leaves the block: the builds that started are stopped, unread.
            facts = [
                facts_of_overlay(target, settings) if isinstance(target, Path) else file_facts for target in targets
            ]
            # A stale generated file would surface as a kustomize error about replacements: name it.
            if generated_current:
                require_current(directories, settings)
            yield (ClusterModel(overlay, cluster_facts) for overlay, cluster_facts in zip(overlays, facts, strict=True))
    finally:
        if own:
            builds.close()


def render_models(
    paths: t.Sequence[str],
    settings: Settings | None = None,
    follow: bool = True,
    cluster: str | None = None,
    changed: t.Sequence[str] | None = None,
    allow_remote: bool = False,
) -> list[ClusterModel]:
    """Every CLI target's model; see ``rendering_models``."""
    with rendering_models(paths, settings, follow, cluster, changed, allow_remote) as models:
        return list(models)


def render_model(
    path: Path,
    settings: Settings | None = None,
    follow: bool = True,
    allow_remote: bool = False,
    cache: BuildCache | None = None,
) -> ClusterModel:
    """The model of the overlay at ``path`` as it is (generated files are not compared first)."""
    settings = settings or load_settings()
    with rendering_models(
        [str(path)], settings, follow, allow_remote=allow_remote, cache=cache, generated_current=False
    ) as models:
        return next(models)


def model_of(overlay: RenderedOverlay, settings: Settings | None = None) -> ClusterModel:
    """The model of an overlay rendered already (its facts from its cluster directory)."""
    settings = settings or load_settings()
    return ClusterModel(overlay, facts_of_overlay(overlay.path, settings) if overlay.path.is_dir() else None)
