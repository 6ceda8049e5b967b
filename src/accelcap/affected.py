"""Which overlays a change touches, read from the kustomization graph.

Every kustomization directory under ``overlays/<cluster>/`` is a root of that cluster (its
Argo CD entry, the builds its Applications sync, its hand-applied validation builds). From
each root the graph follows every local path a kustomization names: resources, components,
patch and replacement files, generator files. A changed file touches a cluster when the
cluster's graph reaches it or it lies in the cluster's directory; a change under ``base/``
or ``components/`` therefore selects exactly the clusters that use it.

The graph is also the render layer's guard (``KustomizationGraph.files``): a kustomization
whose paths lead outside the repository, that includes itself through a cycle, or whose
path fields have the wrong type is bad input naming the kustomization file, before kustomize
runs.
"""

from __future__ import annotations

import re
import typing as t
from pathlib import Path

from .config import Settings, load_settings
from .errors import InputError
from .paths import is_inside
from .run_memo import DIRECTORY, FILE, file_kind, once, resolved
from .yamlload import load_single

#: Reads one YAML file of one document: the file and how errors name it (``load_single``).
Loader = t.Callable[[Path, str], dict[str, t.Any]]

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
#: Fields that hold a list of local paths (kustomize types them ``[]string``).
PATH_LISTS = (
    "resources",
    "components",
    "bases",
    "crds",
    "configurations",
    "patchesStrategicMerge",
    "generators",
    "transformers",
    "validators",
)
#: Fields that hold a list of objects with an optional ``path``.
OBJECT_LISTS = ("patches", "patchesJson6902", "replacements")
GENERATORS = ("configMapGenerator", "secretGenerator")
#: Fields whose entries kustomize loads as files, kustomization directories or remote
#: repositories (``accumulateResources``: generators, transformers and validators are loaded
#: like resources, api/internal/target/kusttarget.go).
LOADED_FIELDS = ("resources", "components", "bases", "generators", "transformers", "validators")
#: Fields of PATH_LISTS whose entries may be inline YAML instead of a path.
INLINE_FIELDS = frozenset({"patchesStrategicMerge", "generators", "transformers", "validators"})
#: What kustomize may fetch instead of reading from disk: every form its repospec parser
#: accepts (api/internal/git/repospec.go at kustomize/v5.5.0) and its file loader's http(s)
#: URLs, matched loosely so that no accepted form slips through: a go-getter forced getter
#: (``git::``), any URL (``scheme://``), a colon or ``@`` before the first slash (SCP forms
#: ``user@host:org/repo``, ``github.com:org/repo``, ``org-1@github.com/org/repo``), the
#: ``github.com/`` shorthand, a ``repo//path`` separator and any query (``?ref=``,
#: ``?version=``, ``?submodules=``, ``?timeout=``). A local path of this repository never
#: needs any of them.
_REMOTE = re.compile(
    r"^[a-z][a-z0-9+.-]*::|://|^[^/]*[:@]|^github\.com/|[^:/]//|\?",
    re.IGNORECASE,
)


def kustomization_file(directory: Path) -> Path | None:
    for name in KUSTOMIZATION_NAMES:
        candidate = directory / name
        if file_kind(candidate) == FILE:
            return candidate
    return None


def is_remote(entry: str) -> bool:
    """Whether ``entry`` has a form kustomize may fetch (a URL, a git or SCP reference), in any
    field; a local path of this repository never has one."""
    return bool(_REMOTE.search(entry.strip()))


def fetched(field: str, entry: str, directory: Path | None = None) -> bool:
    """Whether ``entry`` of ``field`` (as ``path_entries`` names it) is remote: the one answer
    for the graph, the pools and the render's remote check, so none follows a path another
    treats as remote. Remote is whatever is not a file or directory of this repository: any
    form kustomize may fetch (``is_remote``) and, given the kustomization's ``directory``, a
    path that does not exist there (kustomize tries a path that is not on disk as a
    repository). A path that exists outside the repository is not remote: the graph refuses it
    as bad input."""
    del field  # every field alike: a form kustomize's loader or file loader would fetch
    if is_remote(entry):
        return True
    if directory is None:
        return False
    target = directory / entry.strip()
    return file_kind(target) is None and not target.is_symlink()


def _typed_list(kustomization: dict[str, t.Any], key: str, item: type, where: str) -> list[t.Any]:
    value = kustomization.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(entry, item) for entry in value):
        noun = "paths" if item is str else "objects"
        raise InputError(where, f"{key} must be a list of {noun}, not {type(value).__name__} {value!r:.60}")
    return value


def local_paths(kustomization: dict[str, t.Any], where: str) -> list[str]:
    """Every path a kustomization reads from this repository (not fetched); a path field of the
    wrong type is bad input at ``where``, as kustomize would refuse it too."""
    return [value for field, value in path_entries(kustomization, where) if not fetched(field, value)]


def path_entries(kustomization: dict[str, t.Any], where: str) -> list[tuple[str, str]]:
    """(field, value) of every path a kustomization names, local or remote, in the order of
    ``PATH_LISTS``, ``OBJECT_LISTS``, ``GENERATORS`` and ``openapi``; a path field of the
    wrong type is bad input at ``where``."""
    entries: list[tuple[str, str]] = []

    def add(value: t.Any, field: str) -> None:
        if value is None:
            return
        if not isinstance(value, str):
            raise InputError(where, f"{field} must be a path, not {type(value).__name__} {value!r:.60}")
        entries.append((field, value))

    for key in PATH_LISTS:
        for entry in _typed_list(kustomization, key, str, where):
            if key in INLINE_FIELDS and "\n" in entry:
                continue  # inline YAML (a patch, a generator's configuration), not a path
            add(entry, key)
    for key in OBJECT_LISTS:
        for entry in _typed_list(kustomization, key, dict, where):
            add(entry.get("path"), f"{key}[].path")
    for key in GENERATORS:
        for generator in _typed_list(kustomization, key, dict, where):
            sources = [*_typed_list(generator, "files", str, where), *_typed_list(generator, "envs", str, where)]
            for source in [*sources, generator.get("env")]:
                if source is not None:
                    add(source.split("=", 1)[-1] if isinstance(source, str) else source, f"{key}[].files")
    openapi = kustomization.get("openapi")
    if openapi is not None:
        if not isinstance(openapi, dict):
            raise InputError(where, f"openapi must be a mapping, not {type(openapi).__name__}")
        add(openapi.get("path"), "openapi.path")
    return entries


class KustomizationGraph:
    """The files each kustomization reads, transitively, inside one repository.

    The boundary is the repository root; a directory a user names outside the repository
    (``lint /tmp/build``) is its own boundary. ``missing_ok`` leaves paths that do not exist
    to kustomize, which says more about them (the render layer's guard). ``fields`` limits
    the walk to those path fields (``LOADED_FIELDS``: what kustomize loads as resources, where
    a pool's pool.yaml is found); default every path field.
    """

    def __init__(
        self,
        settings: Settings,
        missing_ok: bool = False,
        load: Loader = load_single,
        fields: t.Collection[str] | None = None,
    ) -> None:
        self.settings = settings
        self.fields = fields
        self.root = resolved(settings.root)
        self.missing_ok = missing_ok
        #: Reads one kustomization file (a run's render shares the parsed files: ``render.builds``).
        self.load = load
        self._files: dict[Path, frozenset[Path]] = {}
        #: What makes one graph's walks another's: within a run (``run_memo``), every graph of
        #: the same kind shares its walks (each build's render and pools walk the same bases).
        self._kind = (self.root, missing_ok, None if fields is None else frozenset(fields))

    def files(self, directory: Path) -> frozenset[Path]:
        """Files (resolved) that the kustomization in ``directory`` reads, transitively."""
        start = resolved(directory)
        boundary = self.root if is_inside(self.root, start) else start
        return self._walk(start, (), boundary)

    def _walk(self, directory: Path, trail: tuple[Path, ...], boundary: Path) -> frozenset[Path]:
        if directory in self._files:
            return self._files[directory]
        key = (self._kind, boundary, directory)
        walked = once("kustomization-walks", key, lambda: self._walk_once(directory, trail, boundary))
        if walked:  # empty: no kustomization here (one reaches at least its own file), not kept
            self._files[directory] = walked
        return walked

    def _walk_once(self, directory: Path, trail: tuple[Path, ...], boundary: Path) -> frozenset[Path]:
        file = kustomization_file(directory)
        if file is None:
            return frozenset()
        where = self.settings.relative(file)
        if directory in trail:
            cycle = [self.settings.relative(d) for d in (*trail[trail.index(directory) :], directory)]
            raise InputError(where, f"kustomization cycle: {' -> '.join(cycle)}")
        reached = {resolved(file)}
        for raw in self._local_paths(self.load(file, where), where):
            target = resolved(directory / raw)
            if not is_inside(boundary, target):
                outside = "the repository" if boundary == self.root else str(boundary)
                raise InputError(where, f"names {raw!r}, which leads outside {outside}")
            kind = file_kind(target)
            if kind == DIRECTORY:
                reached.add(target)
                reached |= self._walk(target, (*trail, directory), boundary)
            elif kind is not None:
                reached.add(target)
            elif not self.missing_ok:
                raise InputError(where, f"names {raw!r}, which does not exist")
        return frozenset(reached)

    def _local_paths(self, kustomization: dict[str, t.Any], where: str) -> list[str]:
        if self.fields is None:
            return local_paths(kustomization, where)
        return [
            value
            for field, value in path_entries(kustomization, where)
            if field in self.fields and not fetched(field, value)
        ]


def cluster_roots(cluster_dir: Path) -> list[Path]:
    """Every kustomization directory of one cluster."""
    return sorted(
        {p.parent for name in KUSTOMIZATION_NAMES for p in cluster_dir.rglob(name)},
    )


def cluster_files(cluster_dir: Path, graph: KustomizationGraph) -> frozenset[Path]:
    reached: set[Path] = set()
    for root in cluster_roots(cluster_dir):
        reached |= graph.files(root)
    return frozenset(reached)


def list_overlays(settings: Settings | None = None) -> list[Path]:
    """Every overlay of the repository: ``overlays/*`` with a kustomization."""
    settings = settings or load_settings()
    if not settings.overlays.is_dir():
        raise InputError(settings.overlays_dir, "no overlays directory in this repository")
    return sorted(d for d in settings.overlays.iterdir() if kustomization_file(d) is not None)


def affected_overlays(changed: t.Iterable[str | Path], settings: Settings | None = None) -> list[Path]:
    """The overlays (``overlays/<cluster>``) that a change of ``changed`` files touches."""
    settings = settings or load_settings()
    graph = KustomizationGraph(settings)
    files = [(settings.root / Path(c)).resolve() for c in changed]
    touched = []
    for overlay in list_overlays(settings):
        inside = overlay.resolve()
        reached = cluster_files(overlay, graph)
        for file in files:
            in_cluster_dir = file == inside or inside in file.parents
            in_graph = file in reached or any(parent in reached for parent in file.parents)
            if in_cluster_dir or in_graph:
                touched.append(overlay)
                break
    return touched
