"""The machine side of a pool: ``machineset``, ``replicas``, ``machines``.

- ``machineset``: the live MachineSet carries the render's node labels and taints
  (``spec.template.spec``), instance type and market (``providerSpec.value``).
- ``replicas``: an autoscaled pool's ``spec.replicas`` lies within its MachineAutoscaler's
  bounds, and the cluster-autoscaler-operator has taken the MachineSet on (its bound and owner
  annotations); a pool without one runs what Git says.
- ``machines``: every Machine of the pool is Running; else its phase and why, from the
  Machine's ``status.errorReason``/``errorMessage``, the AWS provider status' failed
  ``MachineCreation`` condition and the MachineSet's own error fields, with the usual cause
  named (``accelcap.catalog.machine_api``).
"""

from __future__ import annotations

import typing as t

from ...catalog.machine_api import (
    AUTOSCALER_MAX_ANNOTATION,
    AUTOSCALER_MIN_ANNOTATION,
    AUTOSCALER_OWNER_ANNOTATION,
    INSUFFICIENT_CAPACITY,
    MACHINE_CREATION,
    MACHINE_CREATION_FAILED,
    MACHINE_FAILED,
    MACHINE_RUNNING,
    failure_cause,
)
from ...model import market_of
from ..live import NotServed, condition
from ..model import Result, Status
from .context import PoolContext, words

MACHINESET = "machineset"
REPLICAS = "replicas"
MACHINES = "machines"


def taints_of(value: t.Any) -> set[tuple[str, str, str]]:
    return {
        (str(taint.get("key", "")), str(taint.get("value", "")), str(taint.get("effect", "")))
        for taint in value or []
        if isinstance(taint, dict)
    }


def taint_text(taint: tuple[str, str, str]) -> str:
    key, value, effect = taint
    return f"{key}={value}:{effect}" if value else f"{key}:{effect}"


def check_machineset(context: PoolContext) -> list[Result]:
    try:
        live = context.machineset
    except NotServed as missing:
        return [context.result(MACHINESET, Status.NOT_DONE, f"the cluster does not serve {missing}")]
    if live is None:
        return [
            context.result(
                MACHINESET, Status.NOT_DONE, "not on the cluster: Argo CD has not created it (see the Applications)"
            )
        ]
    pool = context.pool
    template = ((live.get("spec") or {}).get("template") or {}).get("spec") or {}
    provider = ((template.get("providerSpec") or {}).get("value")) or {}
    problems = []
    labels = (template.get("metadata") or {}).get("labels") or {}
    for key, value in sorted(pool.node_labels.items()):
        if key not in labels:
            problems.append(f"node label {key} missing")
        elif str(labels[key]) != str(value):
            problems.append(f"node label {key}={labels[key]!r}, the render says {value!r}")
    live_taints, rendered_taints = taints_of(template.get("taints")), taints_of(pool.taints)
    problems += [f"taint {taint_text(x)} missing" for x in sorted(rendered_taints - live_taints)]
    problems += [f"taint {taint_text(x)} not in the render" for x in sorted(live_taints - rendered_taints)]
    if provider.get("instanceType") != pool.instance_type:
        problems.append(f"instanceType {provider.get('instanceType')}, the render says {pool.instance_type}")
    if isinstance(provider, dict) and market_of(provider) != pool.market:
        problems.append(f"market {market_of(provider)}, the render says {pool.market}")
    if problems:
        return [context.result(MACHINESET, Status.NOT_DONE, f"differs from the render: {words(problems)}")]
    return [
        context.result(
            MACHINESET, Status.OK,
            f"{pool.instance_type} {pool.market}, {len(pool.node_labels)} node label(s) and "
            f"{len(rendered_taints)} taint(s) as rendered",
        )
    ]  # fmt: skip


def _int(value: t.Any) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def check_replicas(context: PoolContext) -> list[Result]:
    live = context.present_machineset
    if live is None:
        return []  # the machineset check says why
    replicas = context.replicas
    bounds = context.pool.bounds
    if bounds is None:
        wanted = context.pool.replicas
        if wanted is not None and wanted != replicas:
            return [
                context.result(
                    REPLICAS, Status.NOT_DONE,
                    f"{replicas} replica(s), the render says {wanted} (scaled by hand, or Argo CD ignores "
                    "replicas of existing MachineSets: docs/runbook.md, Scaling a pool)",
                )
            ]  # fmt: skip
        return [context.result(REPLICAS, Status.OK, f"{replicas} replica(s), as rendered (no MachineAutoscaler)")]
    autoscaler = context.pool.autoscaler
    assert autoscaler is not None
    low, high = bounds
    try:
        live_autoscaler = context.live.get(
            autoscaler.api_version, autoscaler.kind, autoscaler.name, autoscaler.namespace
        )
    except NotServed as missing:
        return [context.result(REPLICAS, Status.NOT_DONE, f"the cluster does not serve {missing}", autoscaler.ref)]
    if live_autoscaler is None:
        return [
            context.result(REPLICAS, Status.NOT_DONE, "its MachineAutoscaler is not on the cluster", autoscaler.ref)
        ]
    problems = []
    live_spec = live_autoscaler.get("spec") or {}
    if (live_spec.get("minReplicas", 0), live_spec.get("maxReplicas")) != (low, high):
        problems.append(
            f"the MachineAutoscaler says {live_spec.get('minReplicas', 0)}..{live_spec.get('maxReplicas')}, "
            f"the render {low}..{high}"
        )
    annotations = (live.get("metadata") or {}).get("annotations") or {}
    owner = f"{autoscaler.namespace}/{autoscaler.name}"
    taken = (_int(annotations.get(AUTOSCALER_MIN_ANNOTATION)), _int(annotations.get(AUTOSCALER_MAX_ANNOTATION)))
    if annotations.get(AUTOSCALER_OWNER_ANNOTATION) != owner or taken != (low, high):
        problems.append(
            f"the autoscaler has not taken the MachineSet on (its annotations say {taken[0]}..{taken[1]}, owner "
            f"{annotations.get(AUTOSCALER_OWNER_ANNOTATION) or 'none'}): is the cluster-autoscaler-operator running?"
        )
    if not low <= replicas <= high:
        problems.append(f"{replicas} replica(s), outside the MachineAutoscaler's {low}..{high}")
    if problems:
        return [context.result(REPLICAS, Status.NOT_DONE, words(problems))]
    return [context.result(REPLICAS, Status.OK, f"{replicas} replica(s), within the MachineAutoscaler's {low}..{high}")]


def _why(machine: dict[str, t.Any], spot: bool) -> str:
    """Why a Machine is not Running, in the platform's words, with the usual cause first."""
    status = machine.get("status") or {}
    texts = [str(status[field]) for field in ("errorReason", "errorMessage") if status.get(field)]
    created = condition({"status": status.get("providerStatus") or {}}, MACHINE_CREATION)
    if created.get("status") == "False" or created.get("reason") == MACHINE_CREATION_FAILED:
        texts.append(str(created.get("message") or created.get("reason") or ""))
    text = " ".join(": ".join(t for t in texts if t).split())
    if not text and not status.get("nodeRef") and status.get("phase") == "Provisioned":
        text = "the instance runs, but its node has not joined"
    cause = failure_cause(text)
    if cause is None:
        return text
    name = "insufficient Spot capacity" if cause.name == INSUFFICIENT_CAPACITY and spot else cause.name
    return f"{name} ({text})"


def check_machines(context: PoolContext) -> list[Result]:
    live = context.present_machineset
    if live is None:
        return []
    try:
        machines = context.machines
    except NotServed as missing:
        return [context.result(MACHINES, Status.CANNOT_CHECK, f"the cluster does not serve {missing}")]
    replicas = context.replicas
    if replicas == 0 and not machines:
        if context.options.require_nodes:
            return [context.result(MACHINES, Status.NOT_DONE, "0 replicas, and --require-nodes wants a node")]
        return [context.result(MACHINES, Status.ZERO, "0 replicas: no Machines")]
    spot = context.pool.market == "spot"
    problems = []
    running = 0
    for machine in sorted(machines, key=lambda m: str((m.get("metadata") or {}).get("name", ""))):
        name = str((machine.get("metadata") or {}).get("name", ""))
        phase = str((machine.get("status") or {}).get("phase") or "no phase yet")
        if (machine.get("metadata") or {}).get("deletionTimestamp"):
            phase = "Deleting"
        if phase == MACHINE_RUNNING:
            running += 1
            continue
        why = _why(machine, spot)
        final = " (terminal: delete the Machine once fixed)" if phase == MACHINE_FAILED else ""
        problems.append(f"{name} {phase}{final}" + (f": {why}" if why else ""))
    status = live.get("status") or {}
    if status.get("errorReason") or status.get("errorMessage"):
        problems.append(f"MachineSet: {status.get('errorReason') or ''} {status.get('errorMessage') or ''}".strip())
    if len(machines) < replicas:
        problems.append(f"{len(machines)} of {replicas} Machines exist")
    if problems:
        return [context.result(MACHINES, Status.NOT_DONE, f"{running} of {replicas} Running: {words(problems)}")]
    return [context.result(MACHINES, Status.OK, f"{running} of {replicas} Running")]
