"""The nodes of a pool: ``nodes``, ``node-labels``, ``node-taints``, ``accelerator``, ``nfd-labels``.

A pool's nodes are the ones its Machines name (``status.nodeRef``), as ``oc get machines``
shows them. Each must be Ready (the node's ``Ready`` condition) and schedulable, carry the
labels and taints the MachineSet copies onto it (``spec.template.spec.metadata.labels``,
``spec.template.spec.taints``), advertise as many devices as its instance type has
(``status.allocatable``: ``nvidia.com/gpu``, ``aws.amazon.com/neuron``), and carry the NFD
labels the accelerator's operator selects nodes by (``accelcap.catalog.accelerator_stack``).

A pool at 0 replicas has no nodes: ``nodes`` says so once and the other node checks have
nothing to look at.
"""

from __future__ import annotations

import typing as t

from ...catalog.accelerator_stack import NEURON_DEFAULT_SELECTOR, NVIDIA_PCI_LABELS
from ...catalog.instance_types import Accelerator
from ..live import NotServed, condition
from ..model import Result, Status
from .context import PoolContext, words
from .machines import taint_text, taints_of

NODES = "nodes"
NODE_LABELS = "node-labels"
NODE_TAINTS = "node-taints"
ACCELERATOR = "accelerator"
NFD_LABELS = "nfd-labels"


def _labels(node: dict[str, t.Any]) -> dict[str, t.Any]:
    return (node.get("metadata") or {}).get("labels") or {}


def check_nodes(context: PoolContext) -> list[Result]:
    if context.present_machineset is None:
        return []
    try:
        nodes = context.nodes
    except NotServed:
        return []  # machines says the kind is missing
    replicas = context.replicas
    if replicas == 0 and not nodes:
        if context.options.require_nodes:
            return [context.result(NODES, Status.NOT_DONE, "no nodes: the pool is at 0 replicas (--require-nodes)")]
        return [context.result(NODES, Status.ZERO, "scaled to zero: nothing to check on nodes")]
    if not nodes:
        return [context.result(NODES, Status.NOT_DONE, f"0 of {replicas} nodes: none has joined yet (see machines)")]
    problems, ready = [], 0
    for name, node in nodes:
        if node is None:
            problems.append(f"{name} is gone (its Machine still names it)")
            continue
        state = condition(node, "Ready")
        if state.get("status") != "True":
            why = " ".join(f"{state.get('reason', '')}: {state.get('message', '')}".strip(": ").split())
            problems.append(f"{name} NotReady" + (f" ({why})" if why else ""))
        elif (node.get("spec") or {}).get("unschedulable"):
            problems.append(f"{name} is cordoned (unschedulable)")
        else:
            ready += 1
    if ready < replicas:
        problems.insert(0, f"{ready} of {replicas} Ready")
    if problems:
        return [context.result(NODES, Status.NOT_DONE, words(problems))]
    return [context.result(NODES, Status.OK, f"{ready} of {replicas} Ready: {', '.join(n for n, _ in nodes)}")]


def check_node_labels(context: PoolContext) -> list[Result]:
    nodes = context.existing_nodes
    wanted = context.pool.node_labels
    if not nodes or not wanted:
        return []
    problems = [
        f"{name} lacks {key}={value}"
        for name, node in nodes
        for key, value in sorted(wanted.items())
        if str(_labels(node).get(key, "\0")) != str(value)
    ]
    if problems:
        why = " (labels reach only nodes created after the MachineSet changed: roll the pool)"
        return [context.result(NODE_LABELS, Status.NOT_DONE, words(problems) + why)]
    shown = ", ".join(f"{k}={v}" for k, v in sorted(wanted.items()))
    return [context.result(NODE_LABELS, Status.OK, f"{len(nodes)} node(s) carry {shown}")]


def check_node_taints(context: PoolContext) -> list[Result]:
    nodes = context.existing_nodes
    wanted = taints_of(context.pool.taints)
    if not nodes or not wanted:
        return []
    problems = [
        f"{name} lacks taint {taint_text(taint)}"
        for name, node in nodes
        for taint in sorted(wanted - taints_of((node.get("spec") or {}).get("taints")))
    ]
    if problems:
        why = " (taints reach only nodes created after the MachineSet changed: roll the pool)"
        return [context.result(NODE_TAINTS, Status.NOT_DONE, words(problems) + why)]
    shown = ", ".join(taint_text(x) for x in sorted(wanted))
    return [context.result(NODE_TAINTS, Status.OK, f"{len(nodes)} node(s) tainted {shown}")]


def _quantity(value: t.Any) -> int:
    text = str(value) if value is not None else "0"
    return int(text) if text.isascii() and text.isdigit() else 0


def check_accelerator(context: PoolContext) -> list[Result]:
    nodes = context.existing_nodes
    resource = context.pool.accelerator.resource
    if not nodes or resource is None:
        return []
    devices = context.pool.devices
    if devices is None:
        return [
            context.result(
                ACCELERATOR, Status.CANNOT_CHECK,
                f"{context.pool.instance_type} is not in the instance table (accelcap.catalog.instance_types): "
                f"how many {resource} it has is unknown",
            )
        ]  # fmt: skip
    problems = []
    for name, node in nodes:
        found = _quantity(((node.get("status") or {}).get("allocatable") or {}).get(resource))
        if found != devices:
            what = "none" if found == 0 else str(found)
            problems.append(f"{name} allocatable {resource} {what}, {context.pool.instance_type} has {devices}")
    if problems:
        return [context.result(ACCELERATOR, Status.NOT_DONE, words(problems) + " (is the device plugin running?)")]
    return [context.result(ACCELERATOR, Status.OK, f"{len(nodes)} node(s) with allocatable {resource} {devices}")]


def _wanted_nfd_labels(context: PoolContext) -> tuple[dict[str, str], bool] | None:
    """(labels, any one is enough) that show NFD found the pool's accelerator."""
    accelerator = context.pool.accelerator
    if accelerator == Accelerator.NVIDIA_GPU:
        return dict.fromkeys(NVIDIA_PCI_LABELS, "true"), True
    if accelerator == Accelerator.NEURON:
        device_configs = context.cluster.expectation.device_configs
        selector = device_configs[0].get("spec", "selector") if device_configs else None
        chosen = selector if isinstance(selector, dict) and selector else NEURON_DEFAULT_SELECTOR
        return {str(k): str(v) for k, v in chosen.items()}, False
    return None


def check_nfd_labels(context: PoolContext) -> list[Result]:
    nodes = context.existing_nodes
    wanted = _wanted_nfd_labels(context)
    if not nodes or wanted is None:
        return []
    labels, any_one = wanted
    problems = []
    for name, node in nodes:
        present = [k for k, v in labels.items() if str(_labels(node).get(k)) == v]
        if not present or (not any_one and len(present) < len(labels)):
            missing = labels if any_one else {k: v for k, v in labels.items() if k not in present}
            shown = " or ".join(f"{k}={v}" for k, v in missing.items())
            problems.append(f"{name} lacks {shown}")
    if problems:
        return [context.result(NFD_LABELS, Status.NOT_DONE, words(problems) + " (is NFD's worker running there?)")]
    return [context.result(NFD_LABELS, Status.OK, f"{len(nodes)} node(s) labelled by NFD")]
