"""The examples each rule declares with itself: small changes to the rendered prod overlay.

A rule passes ``failing=`` (each example must make exactly that rule fire) and ``passing=``
(each must leave the overlay clean) to ``rule(...)``; the unchanged prod render, the
project's reference cluster, is every rule's first passing example. The tests apply each
example to a private copy of that render (``apply``) and fail for a rule without failing
examples; the linter itself never reads them.

An example is a description and a sequence of changes, declared as data:

- ``Set(kind, path, value)`` / ``Remove(kind, path)``: change the first object of ``kind``
  (named ``name=`` when given) at a JSON pointer (RFC 6901: ``~1`` for ``/``; see
  ``annotation``);
- ``Drop(kind)``: take the object out of the render;
- ``Append(kind, path, value)``: append to the list at a JSON pointer of the first ``kind``;
- ``Add(obj, beside=kind)``: add an object as if rendered next to the first ``kind`` (same
  build and Application); ``Copy(kind, {path: value})`` adds a changed copy of it;
- ``Detach(kind)``: the object stays, but no Application syncs it any more (as if the
  bootstrap applied it);
- ``Remote(file, field, value)``: a kustomization of the overlay names remote content;
- ``Facts(field=value)`` / ``NoFacts()``: change or drop the cluster's facts;
  ``Worker(path, value)`` sets a value inside the facts' worker settings (``spec.worker``);
- ``PoolYaml(field=value)``: change what the first pool.yaml says (``PoolFile`` fields),
  as if edited without what kustomize fills from it; pair it with ``Set`` changes to have both.

In names and string values, ``{infraID}`` and ``{cluster}`` stand for the facts' infraID and
cluster name at the moment the change applies.
"""

from __future__ import annotations

import copy
import dataclasses
import typing as t
from dataclasses import dataclass, field

from ..catalog.gitops import IN_CLUSTER_SERVER, SYNC_VERBS
from ..catalog.operators import NEURON_SCHEDULER_IMAGES, OLM_PACKAGES
from ..model import ClusterModel
from ..pool_file import PoolFile
from ..render import Document, RemoteReference
from ..yamlload import pointer_step
from .context import SYNC_OPTIONS, SYNC_WAVE
from .provider import PROVIDER


def annotation(key: str) -> str:
    """The JSON pointer of annotation ``key``."""
    return f"/metadata/annotations/{pointer_step(key)}"


def _expand(value: t.Any, overlay: ClusterModel) -> t.Any:
    if isinstance(value, str):
        if overlay.facts is not None:
            value = value.replace("{infraID}", overlay.facts.infra_id).replace("{cluster}", overlay.facts.name)
        return value
    if isinstance(value, dict):
        return {_expand(k, overlay): _expand(v, overlay) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_expand(v, overlay) for v in value]
    return value


def _select(overlay: ClusterModel, kind: str, name: str | None) -> Document:
    wanted = _expand(name, overlay)
    for document in overlay.documents:
        if document.kind == kind and (wanted is None or document.name == wanted):
            return document
    raise LookupError(f"example: no {kind} {wanted or ''} in {overlay.name}; the example needs updating")


def _targets(overlay: ClusterModel, kind: str, name: str | None) -> list[Document]:
    """The documents a change acts on: the one named, or, unnamed, every MachineSet (a pool with an
    On-Demand fallback has two, which a change to "the pool" changes alike) and the first document
    of any other kind."""
    if name is None and kind == "MachineSet":
        found = [d for d in overlay.documents if d.kind == kind]
        if found:
            return found
    return [_select(overlay, kind, name)]


def _walk(obj: t.Any, path: str) -> tuple[t.Any, str | int]:
    """The container of the last step of ``path`` and that step."""
    steps = [s.replace("~1", "/").replace("~0", "~") for s in path.split("/")[1:]]
    node = obj
    for step in steps[:-1]:
        node = node[int(step)] if isinstance(node, list) else node[step]
    last = steps[-1]
    return node, int(last) if isinstance(node, list) else last


@dataclass(frozen=True)
class Set:
    kind: str
    path: str
    value: t.Any
    name: str | None = None

    def apply(self, overlay: ClusterModel) -> None:
        for document in _targets(overlay, self.kind, self.name):
            parent = document.obj
            if self.path.startswith("/metadata/annotations/"):
                parent["metadata"].setdefault("annotations", {})
            container, step = _walk(parent, self.path)
            container[step] = _expand(self.value, overlay)


@dataclass(frozen=True)
class Remove:
    kind: str
    path: str
    name: str | None = None

    def apply(self, overlay: ClusterModel) -> None:
        removed = 0
        for document in _targets(overlay, self.kind, self.name):
            try:
                container, step = _walk(document.obj, self.path)
                del container[step]
            except (KeyError, IndexError):
                continue  # the fallback has no spotMarketOptions to remove
            removed += 1
        if not removed:
            raise LookupError(f"example: no {self.kind} has {self.path}; the example needs updating")


@dataclass(frozen=True)
class Append:
    kind: str
    path: str
    value: t.Any
    name: str | None = None

    def apply(self, overlay: ClusterModel) -> None:
        for document in _targets(overlay, self.kind, self.name):
            container, step = _walk(document.obj, self.path)
            container[step].append(_expand(self.value, overlay))


@dataclass(frozen=True)
class Detach:
    kind: str
    name: str | None = None

    def apply(self, overlay: ClusterModel) -> None:
        document = _select(overlay, self.kind, self.name)
        for followed in overlay.applications:
            if document in followed.documents:
                followed.documents.remove(document)
        document.application = None


@dataclass(frozen=True)
class Remote:
    file: str
    field: str
    value: str

    def apply(self, overlay: ClusterModel) -> None:
        overlay.remote_references.append(RemoteReference(self.file, self.field, self.value, overlay.name))


@dataclass(frozen=True)
class Drop:
    kind: str
    name: str | None = None

    def apply(self, overlay: ClusterModel) -> None:
        overlay.documents.remove(_select(overlay, self.kind, self.name))


@dataclass(frozen=True)
class Add:
    obj: dict[str, t.Any]
    beside: str

    def apply(self, overlay: ClusterModel) -> None:
        like = _select(overlay, self.beside, None)
        document = Document(_expand(self.obj, overlay), like.overlay, like.rendered_from, like.application, like.source)
        overlay.documents.append(document)
        for followed in overlay.applications:
            if followed.application.name == like.application:
                followed.documents.append(document)


@dataclass(frozen=True)
class Copy:
    kind: str
    changes: dict[str, t.Any] = field(default_factory=dict)

    def apply(self, overlay: ClusterModel) -> None:
        obj = copy.deepcopy(_select(overlay, self.kind, None).obj)
        for path, value in self.changes.items():
            container, step = _walk(obj, path)
            container[step] = _expand(value, overlay)
        Add(obj, self.kind).apply(overlay)


@dataclass(frozen=True, init=False)
class Facts:
    changes: dict[str, t.Any]

    def __init__(self, **changes: t.Any) -> None:
        object.__setattr__(self, "changes", changes)

    def apply(self, overlay: ClusterModel) -> None:
        if overlay.facts is None:
            raise LookupError(f"example: {overlay.name} has no facts to change")
        overlay.facts = dataclasses.replace(overlay.facts, **self.changes)


@dataclass(frozen=True)
class NoFacts:
    def apply(self, overlay: ClusterModel) -> None:
        overlay.facts = None


@dataclass(frozen=True)
class Worker:
    path: str
    value: t.Any

    def apply(self, overlay: ClusterModel) -> None:
        if overlay.facts is None:
            raise LookupError(f"example: {overlay.name} has no facts to change")
        worker = copy.deepcopy(overlay.facts.worker)
        container, step = _walk(worker, self.path)
        container[step] = _expand(self.value, overlay)
        overlay.facts = dataclasses.replace(overlay.facts, worker=worker)


@dataclass(frozen=True, init=False)
class PoolYaml:
    changes: dict[str, t.Any]

    def __init__(self, **changes: t.Any) -> None:
        object.__setattr__(self, "changes", changes)

    def apply(self, overlay: ClusterModel) -> None:
        local = overlay.overlay.local_config
        index = next((i for i, c in enumerate(local) if isinstance(c, PoolFile)), None)
        if index is None:
            raise LookupError(f"example: {overlay.name} has no pool.yaml to change")
        local[index] = dataclasses.replace(t.cast(PoolFile, local[index]), **self.changes)


Change = Set | Remove | Append | Drop | Add | Copy | Detach | Remote | Facts | NoFacts | Worker | PoolYaml


@dataclass(frozen=True)
class Example:
    description: str
    changes: tuple[Change, ...]


def example(description: str, *changes: Change) -> Example:
    return Example(description, changes)


def apply(example: Example, overlay: ClusterModel) -> None:
    """Make the changes of ``example`` to ``overlay``, in order."""
    for change in example.changes:
        change.apply(overlay)


# --- building blocks several rules' examples share -----------------------------------------

CAPACITY_APPLICATION = "{cluster}-capacity"
OPERATORS_APPLICATION = "{cluster}-operators"
PROJECT = "accelerator-capacity"
BOOTSTRAP_CLUSTER_ROLE = "accelerator-capacity-argocd-sync"
NEURON_TAINT = {"key": "aws.amazon.com/neuron", "value": "true", "effect": "NoSchedule"}
_MACHINESET_LABEL = pointer_step("machine.openshift.io/cluster-api-machineset")
#: What components/boot-images adds to an Application that syncs MachineSets.
BOOT_IMAGE_IGNORE = {
    "group": "machine.openshift.io",
    "kind": "MachineSet",
    "jsonPointers": [f"{PROVIDER}/ami", f"{PROVIDER}/userDataSecret/name"],
}
REPLICAS_IGNORE = {"group": "machine.openshift.io", "kind": "MachineSet", "jsonPointers": ["/spec/replicas"]}


def admitted(group: str, kind: str, resource: str | None, namespace: str | None) -> tuple[Change, ...]:
    """What the bootstrap must widen for an Application to sync a new kind (as components/inferentia
    does): the AppProject's whitelist (and destination ``namespace``), and the controller's
    ClusterRole for ``resource`` when the OpenShift GitOps defaults do not grant it."""
    whitelist = "/spec/namespaceResourceWhitelist" if namespace else "/spec/clusterResourceWhitelist"
    changes: list[Change] = [Append("AppProject", whitelist, {"group": group, "kind": kind}, name=PROJECT)]
    if namespace:
        destination = {"server": IN_CLUSTER_SERVER, "namespace": namespace}
        changes.append(Append("AppProject", "/spec/destinations", destination, name=PROJECT))
    if resource:
        rule = {"apiGroups": [group], "resources": [resource], "verbs": sorted(SYNC_VERBS)}
        changes.append(Append("ClusterRole", "/rules", rule, name=BOOTSTRAP_CLUSTER_ROLE))
    return tuple(changes)


def neuron_pool(taints: list[dict[str, t.Any]]) -> Copy:
    """A second pool: a copy of the GPU MachineSet turned into an inf2.xlarge pool."""
    name = "{infraID}-inferentia-us-west-2a"
    return Copy(
        "MachineSet",
        {
            "/metadata/name": name,
            f"/spec/selector/matchLabels/{_MACHINESET_LABEL}": name,
            f"/spec/template/metadata/labels/{_MACHINESET_LABEL}": name,
            f"/spec/template/metadata/labels/{pointer_step('machine.openshift.io/cluster-api-machine-role')}": "inferentia",
            f"/spec/template/metadata/labels/{pointer_step('machine.openshift.io/cluster-api-machine-type')}": "inferentia",
            "/spec/template/spec/metadata/labels": {
                "node-role.kubernetes.io/inferentia": "",
                "cluster-api/accelerator": "aws-inferentia2",
            },
            "/spec/template/spec/taints": taints,
            f"{PROVIDER}/instanceType": "inf2.xlarge",
            # Not filled from a pool.yaml: no accel-capacity.io/pool annotation.
            "/metadata/annotations": {SYNC_OPTIONS: "Prune=false,Delete=false", SYNC_WAVE: "3"},
        },
    )


def subscription(package: str) -> tuple[Change, ...]:
    """An OLM Subscription to ``package`` (from its catalog source, in its namespace) in the
    operators Application, wave 0, with the destination it needs."""
    row = OLM_PACKAGES[package]
    obj = {
        "apiVersion": "operators.coreos.com/v1alpha1",
        "kind": "Subscription",
        "metadata": {"name": package, "namespace": row.namespace, "annotations": {SYNC_WAVE: "0"}},
        "spec": {
            "name": package,
            "channel": "stable",
            "source": row.source,
            "sourceNamespace": "openshift-marketplace",
        },
    }
    destination = {"server": IN_CLUSTER_SERVER, "namespace": row.namespace}
    return (Append("AppProject", "/spec/destinations", destination, name=PROJECT), Add(obj, beside="ClusterPolicy"))


def _operand(api_version: str, kind: str, namespace: str, spec: dict[str, t.Any]) -> Add:
    annotations = {SYNC_OPTIONS: "SkipDryRunOnMissingResource=true", SYNC_WAVE: "4"}
    metadata = {"name": "neuron", "namespace": namespace, "annotations": annotations}
    return Add({"apiVersion": api_version, "kind": kind, "metadata": metadata, "spec": spec}, beside="ClusterPolicy")


#: The DeviceConfig of a 4.20 cluster (the prod facts' version).
DEVICE_CONFIG_SPEC = {
    "driversImage": "public.ecr.aws/os-partners/neuron-openshift/neuron-kernel-module:2.28.0.0",
    "nodeMetricsImage": "public.ecr.aws/neuron/neuron-monitor:1.10.0",
    "customSchedulerImage": NEURON_SCHEDULER_IMAGES["4.20"].image,
}

#: The AWS Neuron operator and its DeviceConfig, in the operators Application.
DEVICE_CONFIG: tuple[Change, ...] = (
    *subscription("aws-neuron-operator"),
    *admitted("k8s.aws", "DeviceConfig", "deviceconfigs", "aws-neuron-operator"),
    _operand("k8s.aws/v1beta1", "DeviceConfig", "aws-neuron-operator", DEVICE_CONFIG_SPEC),
)


def kmm_module(tolerations: list[dict[str, t.Any]]) -> tuple[Change, ...]:
    """KMM and a Module with ``tolerations``, in the operators Application."""
    return (
        *subscription("kernel-module-management"),
        *admitted("kmm.sigs.x-k8s.io", "Module", "modules", "openshift-kmm"),
        _operand("kmm.sigs.x-k8s.io/v1beta1", "Module", "openshift-kmm", {"tolerations": tolerations}),
    )
