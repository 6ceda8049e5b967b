"""Render an overlay as its cluster gets it: following its Argo CD Applications.

``render_overlay`` renders the overlay (the cluster's bootstrap: what a cluster-admin applies
once), then follows each Argo CD Application whose source lies in this repository into the
path it syncs, and the Applications found there into theirs (app of apps), so a tool sees
what Argo CD will actually manage, each object attributed to the Application that syncs it.
Following is bounded (``MAX_DEPTH``) and a cycle, or one path synced by two Applications, is
bad input. The hand-applied ``validation/`` builds beside them are added too.

A build whose kustomization graph pulls remote content (``render.remote``) is not rendered:
kustomize would fetch unreviewed content. Tools refuse it as bad input unless they ask to
record it (``allow_remote``: lint reports it as CAP021).
"""

from __future__ import annotations

import collections
import contextlib
import typing as t
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..affected import kustomization_file
from ..config import Settings, load_settings
from ..errors import InputError
from ..paths import inside
from ..run_memo import resolved
from .builds import Build, BuildCache
from .model import Document, FollowedApplication, LocalConfig, RenderedOverlay
from .remote import RemoteReference

#: A hand-applied build that no Application syncs but every check must see. It sits beside
#: what it validates: in the overlay itself, or in the parent of a followed Application's
#: path (overlays/prod/validation for overlays/prod/capacity; overlays/prod/inferentia/
#: validation for overlays/prod/inferentia/capacity), so it comes and goes with them.
MANUAL_BUILD = "validation"
#: Source fields that make Argo CD render differently from a plain kustomize build.
UNSUPPORTED_SOURCE_FIELDS = frozenset({"kustomize", "helm", "directory", "plugin"})
#: How deep Applications may nest below the overlay: its root Application is depth 0, the
#: Applications that root syncs depth 1, and so on.
MAX_DEPTH = 4


def is_application(document: Document) -> bool:
    return document.kind == "Application" and document.group == "argoproj.io"


def _normalise_repo_url(url: str) -> str:
    # Case is kept, unlike lint.appproject.normalize_repo_url (which lower-cases as Argo CD
    # does when it admits a source): this decides which sources are followed as this
    # repository's content, and a path on a plain Git server is case-sensitive, so only the
    # same URL (bar a trailing slash and ".git") is taken for this repository.
    url = url.strip().rstrip("/")
    return url.removesuffix(".git")


def application_sources(app: Document) -> list[tuple[str, dict[str, t.Any]]]:
    """(JSON pointer, source) of every source ``app`` syncs.

    As Argo CD reads them: ``spec.sources`` when it is a non-empty list, else ``spec.source``
    (``sources: []`` is not "no sources"; Argo CD then uses ``source``). Entries that are not
    mappings are left out; the pointers keep their index.
    """
    spec = app.get("spec", default={})
    spec = spec if isinstance(spec, dict) else {}
    listed = spec.get("sources")
    if isinstance(listed, list) and listed:
        return [(f"/spec/sources/{i}", s) for i, s in enumerate(listed) if isinstance(s, dict)]
    source = spec.get("source")
    return [("/spec/source", source)] if isinstance(source, dict) else []


def in_repo_sources(app: Document, settings: Settings) -> list[tuple[str, dict[str, t.Any]]]:
    """(path, source) of every source of ``app`` that lies in this repository."""
    sources = [source for _, source in application_sources(app)]
    found = []
    for source in sources:
        if "path" not in source:
            continue
        url = str(source.get("repoURL", ""))
        if settings.repo_url is not None:
            if _normalise_repo_url(url) != _normalise_repo_url(settings.repo_url):
                continue
        elif not (settings.root / str(source["path"])).is_dir():
            continue
        found.append((str(source["path"]), source))
    return found


def follow_application(app: Document, overlay: str, settings: Settings) -> list[str]:
    """The paths of this repository that ``app`` syncs (not rendered yet)."""
    paths = []
    for path, source in in_repo_sources(app, settings):
        unsupported = sorted(set(source) & UNSUPPORTED_SOURCE_FIELDS)
        if unsupported:
            raise InputError(
                f"{overlay}: {app.ref}",
                f"source sets {', '.join(unsupported)}; the tools cannot reproduce what Argo CD renders from it",
            )
        # Argo CD refuses a path outside the repository; so do the tools, after resolution.
        directory = inside(settings.root, path, f"{overlay}: {app.ref}: spec.source.path")
        if not directory.is_dir():
            raise InputError(f"{overlay}: {app.ref}", f"syncs path {path!r}, which is not in this repository")
        paths.append(path)
    return paths


class _Builds:
    """The builds of one overlay, from the run's ``BuildCache``: the pools they read compared,
    builds that pull remote content refused or recorded."""

    def __init__(self, overlay: str, settings: Settings, allow_remote: bool, cache: BuildCache) -> None:
        self.overlay = overlay
        self.settings = settings
        self.allow_remote = allow_remote
        self.cache = cache
        self.remote: list[RemoteReference] = []
        #: The local-config objects (pool.yaml) the builds read, by name.
        self.pools: dict[str, LocalConfig] = {}

    def render(self, directory: Path, application: str | None) -> list[Document]:
        return self.render_all([(directory, application)])[0]

    def render_all(self, jobs: list[tuple[Path, str | None]]) -> list[list[Document]]:
        """The documents of each build, in the order of ``jobs``; the builds run at once."""
        futures = [self.cache.submit(directory) for directory, _ in jobs]
        # Taken in the order asked, so the first error named is always the same one.
        return [
            self._claim(directory, application, future.result())
            for (directory, application), future in zip(jobs, futures, strict=True)
        ]

    def _claim(self, directory: Path, application: str | None, build: Build) -> list[Document]:
        for pool in build.pools:
            other = self.pools.setdefault(pool.name, pool)
            if other.file != pool.file:
                raise InputError(self.overlay, f"two pools are named {pool.name}: {other.file} and {pool.file}")
        if build.failure is not None:
            raise build.failure
        if build.remote:
            if not self.allow_remote:
                first = build.remote[0]
                raise InputError(
                    first.file,
                    f"{first.field} entry {first.value!r} is not a file or directory of this repository, so "
                    "kustomize would fetch it from elsewhere; only reviewed content may sync (lint rule CAP021)",
                )
            self.remote.extend(build.remote)
            return []
        return self.cache.documents(directory, build, self.overlay, application)


def _follow(
    own: list[Document], name: str, root: Path, settings: Settings, builds: _Builds
) -> list[FollowedApplication]:
    """Every Application reachable from the overlay's own objects, level by level."""
    followed: list[FollowedApplication] = []
    synced_by: dict[Path, str] = {}
    level: list[tuple[FollowedApplication, tuple[tuple[str, Path], ...]]] = [
        (FollowedApplication(app, path, depth=0), ((name, root),))
        for app in filter(is_application, own)
        for path in follow_application(app, name, settings)
    ]
    while level:
        #: The paths from the overlay down to each Application's path of the level (cycle detection).
        chains: list[tuple[tuple[str, Path], ...]] = []
        for item, ancestors in level:
            target = resolved(settings.root / item.path)
            app = item.application.name
            trail = " -> ".join(f"{who} ({settings.relative(where)})" for who, where in (*ancestors[1:], (app, target)))
            if any(target == where for _, where in ancestors):
                raise InputError(f"{name}: {item.application.ref}", f"Application cycle: {trail}")
            if item.depth > MAX_DEPTH:
                raise InputError(
                    f"{name}: {item.application.ref}", f"Applications nest deeper than {MAX_DEPTH} levels: {trail}"
                )
            if target in synced_by and synced_by[target] != app:
                raise InputError(
                    f"{name}: {item.application.ref}",
                    f"syncs {item.path}, which Application {synced_by[target]} syncs too",
                )
            synced_by[target] = app
            chains.append((*ancestors, (app, target)))
        results = builds.render_all([(settings.root / item.path, item.application.name) for item, _ in level])
        following = []
        for (item, _), chain, documents in zip(level, chains, results, strict=True):
            item.documents = documents
            followed.append(item)
            for child in filter(is_application, documents):
                for path in follow_application(child, name, settings):
                    following.append((FollowedApplication(child, path, depth=item.depth + 1), chain))
        level = following
    return followed


def render_overlay(
    path: Path,
    settings: Settings | None = None,
    follow: bool = True,
    allow_remote: bool = False,
    cache: BuildCache | None = None,
) -> RenderedOverlay:
    """Render the overlay at ``path``, follow its Applications, add the manual builds beside them.

    ``allow_remote``: record builds that pull remote content (left unrendered) instead of
    refusing them. ``cache``: the run's builds, shared with the other overlays of the run
    (default: builds of this overlay only).
    """
    settings = settings or load_settings()
    if cache is None:
        with BuildCache(settings) as overlay_builds:
            return render_overlay(path, settings, follow, allow_remote, overlay_builds)
    path = resolved(path)
    name = settings.relative(path)
    if not path.is_dir():
        raise InputError(name, "no such overlay directory")
    builds = _Builds(name, settings, allow_remote, cache)
    own = builds.render(path, None)
    applications = _follow(own, name, path, settings, builds) if follow else []
    beside = dict.fromkeys([path, *(resolved(settings.root / a.path).parent for a in applications)])
    manual = [d / MANUAL_BUILD for d in beside if kustomization_file(d / MANUAL_BUILD) is not None]
    results = builds.render_all([(directory, None) for directory in manual]) if manual else []
    documents = own + [d for a in applications for d in a.documents] + [d for result in results for d in result]
    return RenderedOverlay(
        path, name, documents, applications, builds.remote, list(builds.pools.values()), cache.read_local is None
    )


#: Overlays rendered at once per build slot: an overlay waits for one level of its builds at a
#: time, so several per slot keep every slot busy.
OVERLAYS_PER_JOB = 4


@contextlib.contextmanager
def rendering_overlays(
    paths: t.Sequence[Path],
    settings: Settings | None = None,
    follow: bool = True,
    allow_remote: bool = False,
    cache: BuildCache | None = None,
) -> t.Iterator[t.Iterator[RenderedOverlay]]:
    """``render_overlay`` of every path, several at once, handed out in the order of ``paths``.

    Inside the block, iterate what it yields: each overlay as soon as it and those before it
    are rendered, so a tool checks the first while the rest render. Every overlay shares one
    ``BuildCache`` (``cache``, or one for the block): a build two overlays reach renders once.
    Leaving the block early cancels what nobody waits for; leaving it by an exception also
    stops the builds of the run (``BuildCache.stop``, a ``cache`` passed in too).
    """
    settings = settings or load_settings()
    own_cache = cache is None
    builds = cache if cache is not None else BuildCache(settings)
    workers = max(1, min(len(paths), OVERLAYS_PER_JOB * builds.jobs))
    overlays = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="accelcap-overlay")
    try:
        pending = collections.deque(
            overlays.submit(render_overlay, p, settings, follow, allow_remote, builds) for p in paths
        )
        # Each handed out once and forgotten here: a run holds only the overlays it keeps.
        yield (pending.popleft().result() for _ in range(len(pending)))
    except BaseException:
        # The run ends early (a signal, the first error): its builds are wanted by nobody, so
        # the overlays waiting for them stop now instead of when the last kustomize exits.
        builds.stop()
        raise
    finally:
        # Nothing new starts; builds nobody waits for are cancelled (an overlay waiting for one
        # then stops); what runs ends.
        overlays.shutdown(wait=False, cancel_futures=True)
        if own_cache:
            builds.close()
        overlays.shutdown(wait=True)
