"""Which overlays a change touches, read from the kustomization graph.

Every kustomization directory under ``overlays/<cluster>/`` is a root of that cluster (its
Argo CD entry, the builds its Applications sync, its hand-applied validation builds). From
each root the graph follows every local path a kustomization names: resources, components,
patch and replacement files, generator files. A changed file touches a cluster when the
cluster's graph reaches it or it lies in the cluster's directory; a change under ``base/``
or ``components/`` therefore selects exactly the clusters that use it.
"""

from __future__ import annotations

import functools
import typing as t
from pathlib import Path

from .config import Settings, load_settings
from .errors import InputError
from .yamlload import load_single

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def kustomization_file(directory: Path) -> Path | None:
    for name in KUSTOMIZATION_NAMES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def _named_paths(kustomization: dict[str, t.Any]) -> list[str]:
    """Every local path a kustomization refers to (remote URLs are left out)."""
    paths: list[str] = []

    def add(value: t.Any) -> None:
        if isinstance(value, str) and "://" not in value and not value.startswith("github.com/"):
            paths.append(value)

    for key in (
        "resources",
        "components",
        "bases",
        "crds",
        "patchesStrategicMerge",
        "generators",
        "transformers",
        "validators",
    ):
        for entry in kustomization.get(key) or []:
            add(entry)
    for key in ("patches", "patchesJson6902", "replacements"):
        for entry in kustomization.get(key) or []:
            if isinstance(entry, dict):
                add(entry.get("path"))
    for key in ("configMapGenerator", "secretGenerator"):
        for generator in kustomization.get(key) or []:
            if isinstance(generator, dict):
                for source in [*(generator.get("files") or []), *(generator.get("envs") or []), generator.get("env")]:
                    if isinstance(source, str):
                        add(source.split("=", 1)[-1])
    openapi = kustomization.get("openapi")
    if isinstance(openapi, dict):
        add(openapi.get("path"))
    return paths


@functools.cache
def _closure(directory: Path) -> frozenset[Path]:
    """Files (resolved) that the kustomization in ``directory`` reads, transitively."""
    file = kustomization_file(directory)
    if file is None:
        return frozenset()
    reached = {file.resolve()}
    for raw in _named_paths(load_single(file)):
        target = (directory / raw).resolve()
        if target.is_dir():
            reached.add(target)
            reached |= _closure(target)
        elif target.exists():
            reached.add(target)
        else:
            raise InputError(str(file), f"names {raw!r}, which does not exist")
    return frozenset(reached)


def cluster_roots(cluster_dir: Path) -> list[Path]:
    """Every kustomization directory of one cluster."""
    return sorted(
        {p.parent for name in KUSTOMIZATION_NAMES for p in cluster_dir.rglob(name)},
    )


def cluster_files(cluster_dir: Path) -> frozenset[Path]:
    reached: set[Path] = set()
    for root in cluster_roots(cluster_dir):
        reached |= _closure(root.resolve())
    return frozenset(reached)


def affected_overlays(changed: t.Iterable[str | Path], settings: Settings | None = None) -> list[Path]:
    """The overlays (``overlays/<cluster>``) that a change of ``changed`` files touches."""
    settings = settings or load_settings()
    _closure.cache_clear()
    files = [(settings.root / Path(c)).resolve() for c in changed]
    overlays = sorted(p.parent for p in settings.overlays.glob("*/kustomization.yaml"))
    touched = []
    for overlay in overlays:
        inside = overlay.resolve()
        reached = cluster_files(overlay)
        for file in files:
            in_cluster_dir = file == inside or inside in file.parents
            in_graph = file in reached or any(parent in reached for parent in file.parents)
            if in_cluster_dir or in_graph:
                touched.append(overlay)
                break
    return touched
