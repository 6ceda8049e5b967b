"""The live cluster as the checks read it: through ``accelcap.kube_client`` (read-only), each
object and each list read once, on first use.

A kind the cluster does not serve (no Machine API, no GPU Operator yet) raises ``NotServed``,
which the check that asked turns into its own "not done" line; every other refusal is the
cluster's (``ExternalError``, exit 3).
"""

from __future__ import annotations

import typing as t

from ..errors import ExternalError
from ..kube_client import ApiResource, Cluster


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


#: Where the checks read each kind's objects, and the type found there. Kubernetes API
#: conventions give every object a ``metadata`` (labels and annotations are maps), a ``spec``
#: and a ``status`` mapping and ``status.conditions`` a list of mappings; the rest is what the
#: checks of each kind read. An answer with anything else there is the cluster's nonsense:
#: ``checked`` refuses it (exit 3, naming the call) before a check reads it. ``*``: every item.
COMMON_SHAPE: tuple[tuple[tuple[str, ...], type], ...] = (
    (("metadata",), dict),
    (("metadata", "labels"), dict),
    (("metadata", "annotations"), dict),
    (("spec",), dict),
    (("status",), dict),
    (("status", "conditions"), list),
    (("status", "conditions", "*"), dict),
)
_CONTAINER_STATES = tuple(
    (("status", field, *path), kind)
    for field in ("containerStatuses", "initContainerStatuses")
    for path, kind in (
        # ``*`` passes over anything but a list, so the list itself is checked first.
        ((), list),
        (("*",), dict),
        (("*", "state"), dict),
        (("*", "lastState"), dict),
        *((("*", "state", state), dict) for state in ("waiting", "running", "terminated")),
        *((("*", "lastState", state), dict) for state in ("waiting", "running", "terminated")),
    )
)
SHAPES: dict[str, tuple[tuple[tuple[str, ...], type], ...]] = {
    "Application": (
        (("status", "sync"), dict),
        (("status", "health"), dict),
        (("status", "operationState"), dict),
    ),
    "MachineSet": (
        (("spec", "selector"), dict),
        (("spec", "selector", "matchLabels"), dict),
        (("spec", "template"), dict),
        (("spec", "template", "spec"), dict),
        (("spec", "template", "spec", "metadata"), dict),
        (("spec", "template", "spec", "metadata", "labels"), dict),
        (("spec", "template", "spec", "taints"), list),
        (("spec", "template", "spec", "providerSpec"), dict),
        (("spec", "template", "spec", "providerSpec", "value"), dict),
    ),
    "Machine": (
        (("status", "nodeRef"), dict),
        (("status", "providerStatus"), dict),
        (("status", "providerStatus", "conditions"), list),
        (("status", "providerStatus", "conditions", "*"), dict),
    ),
    "Node": ((("spec", "taints"), list), (("status", "allocatable"), dict)),
    "Pod": _CONTAINER_STATES,
    "DeviceConfig": ((("status", "devicePlugin"), dict),),
}


def _wrong_shape(value: t.Any, path: tuple[str, ...], kind: type, done: tuple[str, ...] = ()) -> str | None:
    """Where ``value`` holds something other than ``kind`` (or null) at ``path``; None if nowhere."""
    if not path:
        if value is None or isinstance(value, kind):
            return None
        return f"{'.'.join(done)} is a {type(value).__name__}, not a {'mapping' if kind is dict else 'list'}"
    step, rest = path[0], path[1:]
    if step == "*":
        items = value if isinstance(value, list) else []
        found = (_wrong_shape(item, rest, kind, (*done[:-1], f"{done[-1]}[{n}]")) for n, item in enumerate(items))
        return next((problem for problem in found if problem), None)
    if not isinstance(value, dict) or step not in value:
        return None  # the step above is checked on its own
    return _wrong_shape(value[step], rest, kind, (*done, step))


def checked(obj: t.Any, kind: str, where: str) -> dict[str, t.Any]:
    """``obj`` as read by ``where``, when it has the shape the checks read (``SHAPES``)."""
    if not isinstance(obj, dict):
        raise ExternalError(where, f"the answer holds a {type(obj).__name__} where an object of kind {kind} belongs")
    for path, wanted in (*COMMON_SHAPE, *SHAPES.get(kind, ())):
        problem = _wrong_shape(obj, path, wanted)
        if problem:
            raise ExternalError(where, f"the answer is not what the API serves for kind {kind}: {problem}")
    return obj


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
            namespace = namespace if resource.namespaced else None
            found = self.cluster.find(resource, name, namespace)
            where = f"GET {self.cluster.server}{resource.path(name, namespace)}"
            self._objects[key] = None if found is None else checked(found, kind, where)
        return self._objects[key]

    def items(
        self, api_version: str, kind: str, namespace: str | None = None, selector: str | None = None
    ) -> list[dict[str, t.Any]]:
        """Every object of the kind (in ``namespace``; selected by the label ``selector``)."""
        key = (api_version, kind, namespace, selector)
        if key not in self._lists:
            resource = self.resource(api_version, kind)
            answer = self.cluster.get(resource, None, namespace, selector)
            where = f"GET {self.cluster.server}{resource.path(None, namespace)}"
            self._lists[key] = [checked(item, kind, where) for item in answer["items"]]
        return self._lists[key]

    def nodes(self) -> dict[str, dict[str, t.Any]]:
        """Every node of the cluster by name."""
        return {str((n.get("metadata") or {}).get("name", "")): n for n in self.items("v1", "Node")}
