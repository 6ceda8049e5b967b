"""What the render layer hands every tool: rendered objects that know where they came from.

``Document`` is one Kubernetes object; ``RenderedOverlay`` is everything one overlay puts on
its cluster (its own objects, what its Argo CD Applications sync, the hand-applied
``validation/`` build) with the local-config objects its builds read (the pools' pool.yaml).
The cluster's facts and its pools joined from all of these are the cluster model above this
layer (``accelcap.model``).
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field
from pathlib import Path

if t.TYPE_CHECKING:
    from .remote import RemoteReference


class LocalConfig(t.Protocol):
    """An object a build reads that kustomize never emits (a pool's ``pool.yaml``): read and
    checked before kustomize runs by the reader the caller hands the build cache
    (``accelcap.model`` hands ``accelcap.pool_file.pools_of_build``)."""

    @property
    def name(self) -> str: ...

    @property
    def file(self) -> str: ...


class Source(t.Protocol):
    """Where a rendered object came from: its source file (relative to the repository) and
    the line there, None where kustomize could not tell."""

    @property
    def file(self) -> str | None: ...

    @property
    def line(self) -> int | None: ...


@dataclass(frozen=True)
class KnownSource:
    """A source known when the object was made (a file read directly, or none at all)."""

    file: str | None = None
    line: int | None = None


UNKNOWN_SOURCE = KnownSource()


class HasSource:
    """``file`` and ``line`` of whatever holds the ``source`` of a rendered object, read only
    when asked (a rendered object's source is found then: ``render.kustomize.BuildSources``)."""

    source: Source

    @property
    def file(self) -> str | None:
        """Source file relative to the repository, where kustomize could tell."""
        return self.source.file

    @property
    def line(self) -> int | None:
        return self.source.line


@dataclass
class Document(HasSource):
    """One rendered Kubernetes object and where it came from."""

    obj: dict[str, t.Any]
    #: The overlay that was asked for, relative to the repository (``overlays/prod``).
    overlay: str
    #: The directory kustomize rendered to produce it (the overlay or an Application path).
    rendered_from: str
    #: The Argo CD Application that syncs it; None for the overlay's own objects and for
    #: hand-applied builds.
    application: str | None = None
    #: Where it came from; a rendered object's source is found when first read
    #: (``render.kustomize.BuildSources``), so only ``file`` and ``line`` should read it.
    source: Source = field(default=UNKNOWN_SOURCE, compare=False, repr=False)

    @property
    def api_version(self) -> str:
        return str(self.obj.get("apiVersion", ""))

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def metadata(self) -> dict[str, t.Any]:
        meta = self.obj.get("metadata")
        return meta if isinstance(meta, dict) else {}

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", ""))

    @property
    def namespace(self) -> str | None:
        ns = self.metadata.get("namespace")
        return str(ns) if ns is not None else None

    @property
    def annotations(self) -> dict[str, t.Any]:
        value = self.metadata.get("annotations")
        return value if isinstance(value, dict) else {}

    @property
    def labels(self) -> dict[str, t.Any]:
        value = self.metadata.get("labels")
        return value if isinstance(value, dict) else {}

    @property
    def ref(self) -> str:
        """``Kind/namespace/name`` (``Kind/name`` when cluster-scoped)."""
        parts = [self.kind, self.namespace, self.name]
        return "/".join(p for p in parts if p)

    def get(self, *path: str | int, default: t.Any = None) -> t.Any:
        """The value at ``path`` inside the object, or ``default`` where any step is missing."""
        node: t.Any = self.obj
        for step in path:
            if isinstance(step, int):
                if not isinstance(node, list) or not -len(node) <= step < len(node):
                    return default
            elif not isinstance(node, dict) or step not in node:
                return default
            node = node[step]
        return node


@dataclass
class FollowedApplication:
    """An Argo CD Application of the overlay and the objects it syncs.

    ``application.application`` names the Application that syncs this Application object
    (its parent in an app of apps); None when the overlay itself (the bootstrap) carries it.
    """

    application: Document
    path: str
    documents: list[Document] = field(default_factory=list)
    #: 0 for an Application of the overlay itself, 1 for its children, and so on.
    depth: int = 0

    @property
    def parent(self) -> str | None:
        return self.application.application


@dataclass
class RenderedOverlay:
    """Everything one overlay puts on its cluster, rendered once."""

    path: Path
    name: str
    documents: list[Document]
    applications: list[FollowedApplication]
    #: Remote content found in the kustomization graphs (``render.remote``); a build that has
    #: any was not rendered, so the overlay is incomplete and only lint's CAP021 judges it.
    remote_references: list[RemoteReference] = field(default_factory=list)
    #: The local-config objects (pool.yaml) every build of the overlay read, one per name.
    local_config: list[LocalConfig] = field(default_factory=list)
    #: Rendered from a directory by builds that read no local config (a ``BuildCache`` without
    #: ``read_local``): ``local_config`` is empty because nobody looked, not because there is none.
    local_config_unread: bool = False

    def of_kind(self, *kinds: str) -> list[Document]:
        return [d for d in self.documents if d.kind in kinds]
