"""The operator side: ``operator`` (once per operator object) and ``driver`` (per pool).

- NVIDIA: the ClusterPolicy's ``status.state`` is ``ready``; on every node of a GPU pool, a
  driver pod of the GPU Operator (label ``app.kubernetes.io/component=nvidia-driver``, in the
  operator's namespace, ``status.namespace``) is Ready.
- AWS Neuron: the DeviceConfig exists (its operator writes no status yet; when a
  ``status.devicePlugin`` is there, all its pods must be available); on every node of an
  Inferentia pool, KMM has loaded the driver (its ``<namespace>.<module>.ready`` node label)
  and the device plugin pod KMM runs there is Ready.

Facts and sources: ``accelcap.catalog.accelerator_stack``.
"""

from __future__ import annotations

import typing as t

from ...catalog.accelerator_stack import (
    CLUSTER_POLICY_READY,
    NVIDIA_DRIVER_PODS,
    kmm_device_plugin_pods,
    kmm_module_ready_label,
)
from ...catalog.instance_types import Accelerator
from ...render import Document
from ..live import NotServed, condition
from ..model import Result, Status
from .context import ClusterContext, PoolContext, result_for, words

OPERATOR = "operator"
DRIVER = "driver"

#: Who installs each kind, for the "not served" line.
INSTALLED_BY = {"ClusterPolicy": "the GPU Operator", "DeviceConfig": "the AWS Neuron operator"}


def _live(document: Document, context: ClusterContext) -> dict[str, t.Any] | None:
    """The live counterpart of an operator object (raises ``NotServed``)."""
    return context.live.get(document.api_version, document.kind, document.name, document.namespace)


def _cluster_policy(live: dict[str, t.Any]) -> tuple[Status, str]:
    status = live.get("status") or {}
    state = status.get("state")
    if state == CLUSTER_POLICY_READY:
        return Status.OK, f"state {state} (operator in {status.get('namespace') or '?'})"
    reasons = [
        " ".join(f"{c.get('reason', '')}: {c.get('message', '')}".strip(": ").split())
        for c in status.get("conditions") or []
        if isinstance(c, dict)
        and (
            (c.get("type") == "Error" and c.get("status") == "True")
            or (c.get("type") == "Ready" and c.get("status") == "False")
        )
    ]
    detail = f": {words([r for r in reasons if r], 2)}" if any(reasons) else ""
    return Status.NOT_DONE, f"state {state or 'not set yet'}{detail}"


def _device_config(live: dict[str, t.Any]) -> tuple[Status, str]:
    plugin = (live.get("status") or {}).get("devicePlugin") or {}
    desired, available = plugin.get("desiredNumber"), plugin.get("availableNumber")
    if isinstance(desired, int) and isinstance(available, int):
        status = Status.OK if available >= desired else Status.NOT_DONE
        return status, f"device plugin {available} of {desired} available"
    return Status.OK, "on the cluster (its operator writes no status: the driver check looks at each node)"


def check_operator(document: Document, context: ClusterContext) -> Result:
    try:
        live = _live(document, context)
    except NotServed as missing:
        who = INSTALLED_BY.get(document.kind, "its operator")
        return result_for(
            document, OPERATOR, Status.NOT_DONE, f"the cluster does not serve {missing}: {who} is not installed"
        )
    if live is None:
        return result_for(document, OPERATOR, Status.NOT_DONE, "not on the cluster (see the operators Application)")
    status, message = _cluster_policy(live) if document.kind == "ClusterPolicy" else _device_config(live)
    return result_for(document, OPERATOR, status, message)


def check(context: ClusterContext) -> list[Result]:
    expectation = context.expectation
    return [check_operator(d, context) for d in [*expectation.cluster_policies, *expectation.device_configs]]


# --- per pool -------------------------------------------------------------------------------


def _ready(pod: dict[str, t.Any]) -> bool:
    return condition(pod, "Ready").get("status") == "True"


def _waiting(pod: dict[str, t.Any]) -> str:
    """Why a pod is not Ready: its phase and the first waiting or terminated container reason."""
    status = pod.get("status") or {}
    for container in [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]:
        state = (container or {}).get("state") or {}
        for kind in ("waiting", "terminated"):
            reason = (state.get(kind) or {}).get("reason")
            if reason:
                return f"{status.get('phase', '?')}, {container.get('name')}: {reason}"
    return str(status.get("phase") or "no status yet")


def _on_nodes(pods: list[dict[str, t.Any]], nodes: list[str], what: str) -> list[str]:
    """Problems of the pods ``what`` on each of ``nodes``: none there, or none Ready."""
    problems = []
    for node in nodes:
        here = [p for p in pods if (p.get("spec") or {}).get("nodeName") == node]
        if not here:
            problems.append(f"no {what} pod on {node}")
        elif not any(_ready(p) for p in here):
            pod = here[0]
            problems.append(
                f"{what} pod {(pod.get('metadata') or {}).get('name')} on {node} not Ready ({_waiting(pod)})"
            )
    return problems


def _nvidia(context: PoolContext, nodes: list[str]) -> tuple[Status, str]:
    policies = context.cluster.expectation.cluster_policies
    if not policies:
        return Status.CANNOT_CHECK, "no ClusterPolicy in the render: nothing runs the driver"
    try:
        live = _live(policies[0], context.cluster)
    except NotServed:
        return Status.NOT_DONE, "no GPU Operator on the cluster (see operator)"
    namespace = ((live or {}).get("status") or {}).get("namespace")
    if not namespace:
        return Status.NOT_DONE, f"{policies[0].ref} has no status.namespace yet: the GPU Operator has not run it"
    pods = context.live.items("v1", "Pod", str(namespace), NVIDIA_DRIVER_PODS)
    problems = _on_nodes(pods, nodes, "driver")
    if problems:
        return Status.NOT_DONE, words(problems)
    return Status.OK, f"driver pod Ready on {len(nodes)} node(s) ({namespace})"


def _neuron(context: PoolContext, nodes: list[str]) -> tuple[Status, str]:
    configs = context.cluster.expectation.device_configs
    if not configs:
        return Status.CANNOT_CHECK, "no DeviceConfig in the render: nothing loads the driver"
    config = configs[0]
    namespace, module = config.namespace or "default", config.name
    label = kmm_module_ready_label(namespace, module)
    existing = dict(context.existing_nodes)
    problems = [
        f"KMM has not loaded module {module} on {node} (no {label} label)"
        for node in nodes
        if label not in (((existing.get(node) or {}).get("metadata") or {}).get("labels") or {})
    ]
    pods = context.live.items("v1", "Pod", namespace, kmm_device_plugin_pods(module))
    problems += _on_nodes(pods, nodes, "device plugin")
    if problems:
        return Status.NOT_DONE, words(problems)
    return Status.OK, f"module {module} loaded and device plugin Ready on {len(nodes)} node(s)"


def check_driver(context: PoolContext) -> list[Result]:
    nodes = [name for name, _ in context.existing_nodes]
    if not nodes:
        return []
    accelerator = context.pool.accelerator
    if accelerator == Accelerator.NVIDIA_GPU:
        status, message = _nvidia(context, nodes)
    elif accelerator == Accelerator.NEURON:
        status, message = _neuron(context, nodes)
    else:
        return []
    return [context.result(DRIVER, status, message)]
