"""Content a kustomization pulls from outside the repository: remote bases, resources,
components, files and Helm charts.

Kustomize fetches a resource, component or base that is a URL or a git reference at build
time, and every file it loads (a patch, a replacement or generator file, an openapi schema,
a CRD, a transformer) that is an http(s) URL (its file loader fetches those:
``api/internal/loader/fileloader.go``), so what it adds was never reviewed in this repository
and may change under it. The render layer looks for them before it runs kustomize (which would
otherwise try the network): other tools refuse such a build as bad input, ``tools/lint``
reports it as CAP021.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass
from pathlib import Path

from ..affected import LOADED_FIELDS, Loader, fetched, kustomization_file, path_entries
from ..config import Settings
from ..yamlload import load_single


@dataclass(frozen=True)
class RemoteReference:
    """One entry of a kustomization that kustomize would fetch from outside the repository."""

    #: The kustomization file, relative to the repository.
    file: str
    #: ``resources``, ``components``, ``bases`` or ``helmCharts``.
    field: str
    value: str
    #: The build (directory kustomize renders) whose graph reaches the file.
    build: str


def remote_references(directory: Path, settings: Settings, load: Loader = load_single) -> list[RemoteReference]:
    """Every remote entry in the kustomization graph of ``directory`` (local paths followed);
    ``load`` reads each kustomization file."""
    build = settings.relative(directory)
    found: list[RemoteReference] = []
    seen: set[Path] = set()
    pending = [directory.resolve()]
    root = settings.root.resolve()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        file = kustomization_file(current)
        if file is None:
            continue
        where = settings.relative(file)
        kustomization = load(file, where)
        for field, entry in path_entries(kustomization, where):
            if fetched(field, entry):
                found.append(RemoteReference(where, field, entry, build))
                continue
            target = (current / entry).resolve() if field in LOADED_FIELDS else None
            # Paths that leave the repository are the render's bad input (not followed here).
            if target is not None and target.is_dir() and (target == root or root in target.parents):
                pending.append(target)
        for chart in _entries(kustomization.get("helmCharts"), dicts=True):
            name = chart.get("repo") or chart.get("name") or "?"
            found.append(RemoteReference(where, "helmCharts", str(name), build))
    return sorted(found, key=lambda r: (r.file, r.field, r.value))


@t.overload
def _entries(value: t.Any, dicts: t.Literal[False] = ...) -> list[str]: ...
@t.overload
def _entries(value: t.Any, dicts: t.Literal[True]) -> list[dict[str, t.Any]]: ...
def _entries(value: t.Any, dicts: bool = False) -> list[t.Any]:
    if not isinstance(value, list):
        return []
    wanted = dict if dicts else str
    return [entry for entry in value if isinstance(entry, wanted)]
