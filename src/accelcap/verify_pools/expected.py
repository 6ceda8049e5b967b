"""What the render says the live cluster should have, for the checks to compare.

Everything comes from the rendered overlay (``accelcap.render``) and the facts: the Argo CD
Applications (every object rendered as ``argoproj.io/Application``, however deep the render
follows them), the pools (``accelcap.model.ClusterModel.machinesets``: each MachineSet with the
MachineAutoscaler that sizes it), the operator objects (ClusterPolicy, DeviceConfig) and the
hand-applied validation pods. Nothing here reads the cluster.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from ..catalog.instance_types import Accelerator
from ..model import ClusterModel, ScaledMachineSet
from ..render import Document, is_application

#: (group, kind) of the operator objects, in whatever version the render writes them.
CLUSTER_POLICY = ("nvidia.com", "ClusterPolicy")
DEVICE_CONFIG = ("k8s.aws", "DeviceConfig")


def _count(value: t.Any) -> int | None:
    """An extended-resource quantity as a whole number (``1``, ``"1"``); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    # isdigit alone admits digits int() refuses ("²"): the render is data, never a crash.
    return int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else None


@dataclass(frozen=True)
class ValidationPod:
    """A hand-applied pod of the render that proves an accelerator works end to end."""

    document: Document
    accelerator: Accelerator
    #: The container that asks for the accelerator (its log is read).
    container: str
    #: How many devices it asks for.
    devices: int


def validation_pods(documents: t.Iterable[Document]) -> dict[Accelerator, ValidationPod]:
    """The first hand-applied Pod that requests each accelerator's resource."""
    found: dict[Accelerator, ValidationPod] = {}
    for document in documents:
        if document.kind != "Pod" or document.api_version != "v1" or document.application is not None:
            continue
        for container in document.get("spec", "containers", default=[]) or []:
            if not isinstance(container, dict):
                continue
            resources = container.get("resources") or {}
            wanted = {**(resources.get("requests") or {}), **(resources.get("limits") or {})}
            for accelerator in Accelerator:
                devices = _count(wanted.get(accelerator.resource)) if accelerator.resource else None
                if devices and accelerator not in found:
                    found[accelerator] = ValidationPod(document, accelerator, str(container.get("name", "")), devices)
    return found


#: One pool as rendered: its MachineSet, its MachineAutoscaler (if any) and what its
#: instance type carries (the model's ``ScaledMachineSet``).
PoolExpectation = ScaledMachineSet


@dataclass(frozen=True)
class Expectation:
    """Everything of one cluster's render that ``verify-pools`` compares with the cluster."""

    rendered: ClusterModel
    applications: list[Document]
    pools: list[PoolExpectation]
    cluster_policies: list[Document]
    device_configs: list[Document]
    validation: dict[Accelerator, ValidationPod]


def _of_kind(documents: t.Iterable[Document], group: str, kind: str) -> list[Document]:
    return [d for d in documents if d.group == group and d.kind == kind]


def expect(rendered: ClusterModel) -> Expectation:
    documents = rendered.documents
    return Expectation(
        rendered,
        [d for d in documents if is_application(d)],
        list(rendered.machinesets),
        _of_kind(documents, *CLUSTER_POLICY),
        _of_kind(documents, *DEVICE_CONFIG),
        validation_pods(documents),
    )
