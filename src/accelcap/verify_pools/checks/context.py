"""What a check is given: the expectation, the live cluster, the options, and for a pool
the live objects every pool check shares (its MachineSet, Machines and nodes), read once."""

from __future__ import annotations

import functools
import typing as t
from dataclasses import dataclass

from ...catalog.machine_api import MACHINESET_LABEL
from ...render import Document
from ..expected import Expectation, PoolExpectation
from ..live import Live, NotServed, condition
from ..model import Result, Status


@dataclass(frozen=True)
class Options:
    #: A pool at 0 replicas fails (the validation run after scaling to 1).
    require_nodes: bool = False


def result_for(document: Document, check: str, status: Status, message: str) -> Result:
    """A result of the whole cluster about the live counterpart of a rendered ``document``,
    pointing at its source."""
    return Result(check, status, document.ref, message, None, document.file, document.line)


def words(items: t.Sequence[str], limit: int = 3) -> str:
    """``a; b; c`` (and how many more): a short list for one line."""
    shown = "; ".join(items[:limit])
    return shown + (f"; and {len(items) - limit} more" if len(items) > limit else "")


@dataclass
class ClusterContext:
    expectation: Expectation
    live: Live
    options: Options


class PoolContext:
    def __init__(self, pool: PoolExpectation, cluster: ClusterContext) -> None:
        self.pool = pool
        self.cluster = cluster
        self.live = cluster.live
        self.options = cluster.options

    def result(self, check: str, status: Status, message: str, subject: str | None = None) -> Result:
        machineset = self.pool.machineset
        return Result(
            check, status, subject or machineset.ref, message, self.pool.name, machineset.file, machineset.line
        )

    @functools.cached_property
    def machineset(self) -> dict[str, t.Any] | None:
        """The live MachineSet (None: the cluster has none of that name)."""
        return self.live.get(self.pool.machineset.api_version, "MachineSet", self.pool.name, self.pool.namespace)

    @property
    def present_machineset(self) -> dict[str, t.Any] | None:
        """The live MachineSet; None also when the cluster lacks the kind (``machineset`` says so)."""
        try:
            return self.machineset
        except NotServed:
            return None

    @functools.cached_property
    def replicas(self) -> int:
        """The live MachineSet's ``spec.replicas`` (the API server defaults it to 1)."""
        value = ((self.machineset or {}).get("spec") or {}).get("replicas", 1)
        return value if isinstance(value, int) and not isinstance(value, bool) else 1

    @functools.cached_property
    def machines(self) -> list[dict[str, t.Any]]:
        """The pool's Machines: what the live MachineSet's selector selects in its namespace."""
        selector = ((self.machineset or {}).get("spec") or {}).get("selector") or {}
        labels = selector.get("matchLabels") or {MACHINESET_LABEL: self.pool.name}
        text = ",".join(f"{key}={value}" for key, value in sorted(labels.items()))
        return self.live.items(self.pool.machineset.api_version, "Machine", self.pool.namespace, text)

    @functools.cached_property
    def nodes(self) -> list[tuple[str, dict[str, t.Any] | None]]:
        """(name, Node or None when it is gone) of every node a Machine of the pool names."""
        names = [
            str(ref["name"])
            for machine in self.machines
            for ref in [((machine.get("status") or {}).get("nodeRef") or {})]
            if ref.get("name")
        ]
        nodes = self.live.nodes() if names else {}
        return [(name, nodes.get(name)) for name in sorted(set(names))]

    @property
    def existing_nodes(self) -> list[tuple[str, dict[str, t.Any]]]:
        """The pool's nodes that exist; none where there is nothing to look at (no MachineSet,
        no Machine API: the ``machineset`` and ``machines`` checks say so)."""
        if self.present_machineset is None:
            return []
        try:
            return [(name, node) for name, node in self.nodes if node is not None]
        except NotServed:
            return []

    @property
    def ready_nodes(self) -> list[str]:
        """The pool's nodes that are Ready and schedulable (of ``existing_nodes``)."""
        return [
            name
            for name, node in self.existing_nodes
            if condition(node, "Ready").get("status") == "True" and not (node.get("spec") or {}).get("unschedulable")
        ]
