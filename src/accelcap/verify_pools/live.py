"""The live cluster as the checks read it: through ``accelcap.cluster`` (read-only), each
object and each list read once, on first use.

A kind the cluster does not serve (no Machine API, no GPU Operator yet) raises ``NotServed``,
which the check that asked turns into its own "not done" line; every other refusal is the
cluster's (``ExternalError``, exit 3).
"""

from __future__ import annotations

import typing as t

from ..cluster import ApiResource, Cluster


class NotServed(Exception):
    """The cluster serves no such apiVersion and kind."""

    def __init__(self, api_version: str, kind: str) -> None:
        super().__init__(f"{api_version} {kind}")
        self.api_version = api_version
        self.kind = kind


def condition(obj: dict[str, t.Any] | None, kind: str) -> dict[str, t.Any]:
    """The status condition of type ``kind`` of ``obj`` (empty when it has none)."""
    conditions = ((obj or {}).get("status") or {}).get("conditions") or []
    return next((c for c in conditions if isinstance(c, dict) and c.get("type") == kind), {})


class Live:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._objects: dict[tuple[str, str, str, str | None], dict[str, t.Any] | None] = {}
        self._lists: dict[tuple[str, str, str | None, str | None], list[dict[str, t.Any]]] = {}

    def resource(self, api_version: str, kind: str) -> ApiResource:
        found = self.cluster.resource_for(api_version, kind)
        if found is None:
            raise NotServed(api_version, kind)
        return found

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> dict[str, t.Any] | None:
        """The object, or None when the cluster has no such object."""
        key = (api_version, kind, name, namespace)
        if key not in self._objects:
            resource = self.resource(api_version, kind)
            self._objects[key] = self.cluster.find(resource, name, namespace if resource.namespaced else None)
        return self._objects[key]

    def items(
        self, api_version: str, kind: str, namespace: str | None = None, selector: str | None = None
    ) -> list[dict[str, t.Any]]:
        """Every object of the kind (in ``namespace``; selected by the label ``selector``)."""
        key = (api_version, kind, namespace, selector)
        if key not in self._lists:
            answer = self.cluster.get(self.resource(api_version, kind), None, namespace, selector)
            self._lists[key] = [i for i in answer["items"] if isinstance(i, dict)]
        return self._lists[key]

    def nodes(self) -> dict[str, dict[str, t.Any]]:
        """Every node of the cluster by name."""
        return {str((n.get("metadata") or {}).get("name", "")): n for n in self.items("v1", "Node")}
