"""The index of one rendered overlay that every rule reads.

Built once per overlay (linear in the number of documents), so a rule looks objects up
instead of scanning the overlay again; rules must not render or parse anything themselves.
"""

from __future__ import annotations

import typing as t
from collections import defaultdict
from dataclasses import dataclass, field

from ..catalog import kinds
from ..catalog.machine_api import AUTOSCALING_GROUP, MACHINE_GROUP
from ..facts import ClusterFacts
from ..model import ClusterModel, ScaledMachineSet
from ..pool_file import PoolFile
from ..render import MANUAL_BUILD, Document, FollowedApplication

SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
SYNC_WAVE = "argocd.argoproj.io/sync-wave"


def sync_options(document: Document) -> dict[str, str]:
    """The resource's ``argocd.argoproj.io/sync-options`` as ``{option: value}``.

    Argo CD splits the annotation on commas and trims whitespace around each option.
    """
    raw = document.annotations.get(SYNC_OPTIONS)
    return parse_sync_options(raw.split(",") if isinstance(raw, str) else [])


def application_sync_options(application: Document) -> dict[str, str]:
    """``spec.syncPolicy.syncOptions`` of an Application as ``{option: value}``."""
    raw = application.get("spec", "syncPolicy", "syncOptions", default=[])
    return parse_sync_options(raw if isinstance(raw, list) else [])


def parse_sync_options(items: t.Iterable[t.Any]) -> dict[str, str]:
    options: dict[str, str] = {}
    for item in items:
        if isinstance(item, str) and "=" in item:
            key, _, value = item.strip().partition("=")
            options[key.strip()] = value.strip()
    return options


def ignore_differences(application: Document) -> list[dict[str, t.Any]]:
    """``spec.ignoreDifferences`` of an Application (its well-formed entries)."""
    value = application.get("spec", "ignoreDifferences", default=[])
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


class BadWave(ValueError):
    """A sync-wave annotation that is not an integer."""


def sync_wave(document: Document) -> int:
    """The resource's sync wave (Argo CD's default is 0); ``BadWave`` when not an integer."""
    raw = document.annotations.get(SYNC_WAVE)
    if raw is None:
        return 0
    try:
        return int(str(raw).strip())
    except ValueError:
        raise BadWave(f"{SYNC_WAVE} {raw!r} is not an integer") from None


@dataclass
class LintContext:
    """One overlay, indexed: what the rules see."""

    overlay: ClusterModel
    documents: list[Document]
    facts: ClusterFacts | None
    machinesets: list[Document]
    machineautoscalers: list[Document]
    #: Each MachineSet with its MachineAutoscaler (``ClusterModel.machinesets``).
    pools: list[ScaledMachineSet]
    #: Every Argo CD Application of the overlay, by name (followed or not).
    applications: dict[str, Document]
    #: The Applications that were followed, with the documents each one syncs.
    followed: list[FollowedApplication]
    validation: list[Document]
    by_kind: dict[tuple[str, str], list[Document]] = field(default_factory=dict)
    #: The pool.yaml of each pool, by the Pool's name.
    pool_settings: dict[str, PoolFile] = field(default_factory=dict)
    #: ``followed`` by the id of the Application document (``followed_of``).
    followed_by: dict[int, list[FollowedApplication]] = field(default_factory=dict)

    @classmethod
    def of(cls, overlay: ClusterModel) -> LintContext:
        by_kind: dict[tuple[str, str], list[Document]] = defaultdict(list)
        for document in overlay.documents:
            by_kind[(document.group, document.kind)].append(document)
        followed_by: dict[int, list[FollowedApplication]] = defaultdict(list)
        for followed in overlay.applications:
            followed_by[id(followed.application)].append(followed)
        return cls(
            overlay=overlay,
            documents=overlay.documents,
            facts=overlay.facts,
            machinesets=list(by_kind.get((MACHINE_GROUP, "MachineSet"), [])),
            machineautoscalers=list(by_kind.get((AUTOSCALING_GROUP, "MachineAutoscaler"), [])),
            pools=overlay.machinesets,
            applications={d.name: d for d in by_kind.get(("argoproj.io", "Application"), [])},
            followed=list(overlay.applications),
            validation=[
                d for d in overlay.documents if d.application is None and d.rendered_from.endswith(f"/{MANUAL_BUILD}")
            ],
            by_kind=dict(by_kind),
            pool_settings={p.name: p for p in overlay.pool_files},
            followed_by=dict(followed_by),
        )

    def of_kind(self, group: str, kind: str) -> list[Document]:
        return self.by_kind.get((group, kind), [])

    def settings_of(self, pool: ScaledMachineSet) -> PoolFile | None:
        """The pool.yaml the pool's MachineSet was filled from (its ``accel-capacity.io/pool``)."""
        return self.overlay.file_of(pool)

    def followed_of(self, application: Document) -> list[FollowedApplication]:
        """What the render followed of ``application``: one entry per path it syncs; empty
        when its sources were not followed."""
        return self.followed_by.get(id(application), [])

    def application_of(self, document: Document) -> Document | None:
        """The Argo CD Application that syncs ``document``, when the render followed one."""
        return self.applications.get(document.application) if document.application else None

    def _declared(self, document: Document) -> Document | None:
        for crd in self.of_kind("apiextensions.k8s.io", "CustomResourceDefinition"):
            if crd.get("spec", "group") == document.group and crd.get("spec", "names", "kind") == document.kind:
                return crd
        return None

    def namespaced(self, document: Document) -> bool | None:
        """Whether ``document``'s kind is namespaced (catalog, or a CRD in the render); None: unknown."""
        row = kinds.lookup(document.group, document.kind)
        if row is not None:
            return row.namespaced
        crd = self._declared(document)
        if crd is None:
            return None
        return bool(crd.get("spec", "scope") != "Cluster")

    def resource_name(self, document: Document) -> str | None:
        """The RBAC resource (plural) of ``document``'s kind; None: unknown."""
        row = kinds.lookup(document.group, document.kind)
        if row is not None:
            return row.resource
        crd = self._declared(document)
        plural = crd.get("spec", "names", "plural") if crd is not None else None
        return str(plural) if plural else None

    def synced(self) -> t.Iterator[tuple[FollowedApplication, Document]]:
        """Every (followed Application, object it syncs) pair."""
        for followed in self.followed:
            for document in followed.documents:
                yield followed, document
