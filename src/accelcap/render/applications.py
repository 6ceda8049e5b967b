"""Render an overlay as its cluster gets it: following its Argo CD Applications.

``render_overlay`` renders the overlay (the cluster's Argo CD entry), then follows each
Argo CD Application whose source lies in this repository and renders the path it syncs, so
a tool sees what Argo CD will actually manage. The hand-applied ``validation/`` builds
beside them are added too.
"""

from __future__ import annotations

import typing as t
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..config import Settings, load_settings
from ..errors import InputError
from ..facts import FACTS_FILE, cluster_dir_of, load_facts_file
from ..paths import inside
from .kustomize import render_kustomization
from .model import Document, FollowedApplication, RenderedOverlay

#: A hand-applied build that no Application syncs but every check must see. It sits beside
#: what it validates: in the overlay itself, or in the parent of a followed Application's
#: path (overlays/prod/validation for overlays/prod/capacity; overlays/prod/inferentia/
#: validation for overlays/prod/inferentia/capacity), so it comes and goes with them.
MANUAL_BUILD = "validation"
#: Source fields that make Argo CD render differently from a plain kustomize build.
UNSUPPORTED_SOURCE_FIELDS = frozenset({"kustomize", "helm", "directory", "plugin"})


def is_application(document: Document) -> bool:
    return document.kind == "Application" and document.group == "argoproj.io"


def _normalise_repo_url(url: str) -> str:
    url = url.strip().rstrip("/")
    return url.removesuffix(".git")


def in_repo_sources(app: Document, settings: Settings) -> list[tuple[str, dict[str, t.Any]]]:
    """(path, source) of every source of ``app`` that lies in this repository."""
    spec = app.get("spec", default={})
    spec = spec if isinstance(spec, dict) else {}
    sources = spec.get("sources") if isinstance(spec.get("sources"), list) else None
    sources = sources or ([spec["source"]] if isinstance(spec.get("source"), dict) else [])
    found = []
    for source in sources:
        if not isinstance(source, dict) or "path" not in source:
            continue
        url = str(source.get("repoURL", ""))
        if settings.repo_url is not None:
            if _normalise_repo_url(url) != _normalise_repo_url(settings.repo_url):
                continue
        elif not (settings.root / str(source["path"])).is_dir():
            continue
        found.append((str(source["path"]), source))
    return found


def follow_application(app: Document, overlay: str, settings: Settings) -> list[FollowedApplication]:
    """The paths of this repository that ``app`` syncs (not rendered yet)."""
    followed = []
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
        followed.append(FollowedApplication(app, path))
    return followed


def render_overlay(path: Path, settings: Settings | None = None, follow: bool = True) -> RenderedOverlay:
    """Render the overlay at ``path``, follow its Applications, add the manual builds beside them."""
    settings = settings or load_settings()
    path = path.resolve()
    name = settings.relative(path)
    if not path.is_dir():
        raise InputError(name, "no such overlay directory")
    cluster_dir = cluster_dir_of(path)
    facts = load_facts_file(cluster_dir / FACTS_FILE, settings) if cluster_dir else None
    own = render_kustomization(path, name, None, settings)
    applications: list[FollowedApplication] = []
    if follow:
        for app in filter(is_application, own):
            applications.extend(follow_application(app, name, settings))
    beside = dict.fromkeys([path, *((settings.root / a.path).resolve().parent for a in applications)])
    manual = [d / MANUAL_BUILD for d in beside if (d / MANUAL_BUILD / "kustomization.yaml").is_file()]

    jobs: list[tuple[Path, str | None]] = [(settings.root / a.path, a.application.name) for a in applications]
    jobs += [(directory, None) for directory in manual]
    with ThreadPoolExecutor(max_workers=max(1, min(4, len(jobs)))) as pool:
        results = list(pool.map(lambda job: render_kustomization(job[0], name, job[1], settings), jobs))
    for followed, documents in zip(applications, results, strict=False):
        followed.documents = documents
    documents = own + [d for result in results for d in result]
    return RenderedOverlay(path, name, documents, applications, facts)
