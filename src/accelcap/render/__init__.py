"""The render-and-load layer every tool uses, one job per module:

- ``model``: ``Document`` (one rendered object and where it came from) and
  ``RenderedOverlay`` (everything one overlay puts on its cluster);
- ``kustomize``: the kustomize subprocess, with each object's source file and line;
- ``builds``: ``BuildCache``, the builds of one run: each directory rendered once, several
  at a time (bounded by the cores);
- ``applications``: ``render_overlay``, which follows the overlay's Argo CD Applications
  into the paths they sync (recursively: app of apps) and adds the hand-applied
  ``validation/`` builds;
- ``remote``: remote content (URLs, git references) in a build's kustomization graph;
- ``targets``: what a tool's PATH arguments (or ``--changed`` files) name, rendered.

Every entry point that renders several overlays renders them at once through one
``BuildCache`` (``rendering_overlays``, ``rendering_targets``), handing them out in the order
asked: a tool's output and the first error it names do not depend on timing.

The names below are the layer's interface; import them from ``accelcap.render``.
"""

from __future__ import annotations

from ..affected import is_remote, list_overlays
from .applications import (
    MANUAL_BUILD,
    MAX_DEPTH,
    application_sources,
    is_application,
    render_overlay,
    rendering_overlays,
)
from .builds import JOBS_ENV, BuildCache, LocalConfigReader, default_jobs
from .kustomize import KUSTOMIZE_ENV, kustomize_command, render_kustomization
from .model import (
    UNKNOWN_SOURCE,
    Document,
    FollowedApplication,
    HasSource,
    KnownSource,
    LocalConfig,
    RenderedOverlay,
    Source,
)
from .remote import RemoteReference
from .targets import load_rendered, render_targets, rendering_targets, resolve_targets

__all__ = [
    "JOBS_ENV",
    "KUSTOMIZE_ENV",
    "MANUAL_BUILD",
    "MAX_DEPTH",
    "UNKNOWN_SOURCE",
    "BuildCache",
    "Document",
    "FollowedApplication",
    "HasSource",
    "KnownSource",
    "LocalConfig",
    "LocalConfigReader",
    "RemoteReference",
    "RenderedOverlay",
    "Source",
    "application_sources",
    "default_jobs",
    "is_application",
    "is_remote",
    "kustomize_command",
    "list_overlays",
    "load_rendered",
    "render_kustomization",
    "render_overlay",
    "render_targets",
    "rendering_overlays",
    "rendering_targets",
    "resolve_targets",
]
