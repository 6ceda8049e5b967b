"""Content a kustomization pulls from outside the repository.

Remote is whatever is not a file or directory of this repository, in every field from which
kustomize loads content: resources, components, bases, generators, transformers, validators,
crds, configurations, openapi, patches, patchesStrategicMerge, patchesJson6902, replacements,
the files and env files of configMapGenerator and secretGenerator (``accelcap.affected``
``path_entries``), and Helm charts (``helmCharts``, ``helmGlobals``,
``helmChartInflationGenerator``: helm fetches them). A form kustomize's repospec parser or file
loader may fetch counts as remote even when a path of that name exists, because kustomize
tries the repository first (``api/internal/loader/fileloader.go`` ``New``). The render layer
looks for them before it runs kustomize: other tools refuse such a build as bad input,
``tools/lint`` reports it as CAP021. kustomize itself runs unable to fetch
(``render.kustomize``), so a form this misses fails the render instead of fetching.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass
from pathlib import Path

from ..affected import LOADED_FIELDS, Loader, fetched, kustomization_file, path_entries
from ..config import Settings
from ..paths import is_inside
from ..run_memo import DIRECTORY, file_kind, once, resolved
from ..yamlload import load_single


@dataclass(frozen=True)
class RemoteReference:
    """One entry of a kustomization that kustomize would fetch from outside the repository."""

    #: The kustomization file, relative to the repository.
    file: str
    #: The field, as ``path_entries`` names it (``resources``, ``patches[].path``, ...), or a
    #: Helm field.
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
    pending = [resolved(directory)]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        remote, followed = _entries_of(current, settings, load)
        found += [RemoteReference(file, field, value, build) for file, field, value in remote]
        pending += followed
    return sorted(found, key=lambda r: (r.file, r.field, r.value))


#: One kustomization directory's remote entries (file, field, value) and the local directories
#: it loads, which the walk follows.
_Entries = tuple[list[tuple[str, str, str]], list[Path]]


def _entries_of(current: Path, settings: Settings, load: Loader) -> _Entries:
    """What the kustomization in ``current`` fetches and which directories it loads; once per
    run (``run_memo``) for each directory, however many builds reach it."""
    return once("remote-entries", (settings.root, current), lambda: _read_entries(current, settings, load))


def _read_entries(current: Path, settings: Settings, load: Loader) -> _Entries:
    remote: list[tuple[str, str, str]] = []
    followed: list[Path] = []
    file = kustomization_file(current)
    if file is None:
        return remote, followed
    root = resolved(settings.root)
    where = settings.relative(file)
    kustomization = load(file, where)
    for field, entry in path_entries(kustomization, where):
        if fetched(field, entry, current):
            remote.append((where, field, entry))
            continue
        target = resolved(current / entry.strip()) if field in LOADED_FIELDS else None
        # Paths that leave the repository are the render's bad input (not followed here).
        if target is not None and file_kind(target) == DIRECTORY and is_inside(root, target):
            followed.append(target)
    for chart in _entries(kustomization.get("helmCharts"), dicts=True):
        name = chart.get("repo") or chart.get("name") or "?"
        remote.append((where, "helmCharts", str(name)))
    for key in HELM_FIELDS:
        if kustomization.get(key):
            remote.append((where, key, _describe(kustomization[key])))
    return remote, followed


#: Helm fields besides ``helmCharts``: helm pulls or reads charts wherever they say.
HELM_FIELDS = ("helmGlobals", "helmChartInflationGenerator")


def _describe(value: t.Any) -> str:
    return " ".join(str(value).split())[:80]


@t.overload
def _entries(value: t.Any, dicts: t.Literal[False] = ...) -> list[str]: ...
@t.overload
def _entries(value: t.Any, dicts: t.Literal[True]) -> list[dict[str, t.Any]]: ...
def _entries(value: t.Any, dicts: bool = False) -> list[t.Any]:
    if not isinstance(value, list):
        return []
    wanted = dict if dicts else str
    return [entry for entry in value if isinstance(entry, wanted)]
