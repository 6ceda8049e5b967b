"""``application``: every Argo CD Application the overlay renders is Synced and Healthy.

The Applications are taken from the render (whatever it renders as ``argoproj.io/
Application``: the ones the bootstrap applies and the children a root Application syncs), so
the root and its children are all checked. Argo CD writes ``status.sync.status`` and
``status.health.status``; when one is not done, the error conditions, the last operation's
failure and the health message say why (``accelcap.catalog.argocd_status``).
"""

from __future__ import annotations

import typing as t

from ...catalog.argocd_status import ERROR_CONDITION_SUFFIX, FAILED_OPERATION_PHASES, HEALTHY, SYNCED
from ...render import Document
from ..live import NotServed
from ..model import Result, Status
from .context import ClusterContext, result_for, words

CODE = "application"


def _reasons(status: dict[str, t.Any]) -> list[str]:
    reasons = [
        f"{c.get('type')}: {' '.join(str(c.get('message', '')).split())}"
        for c in status.get("conditions") or []
        if isinstance(c, dict) and str(c.get("type", "")).endswith(ERROR_CONDITION_SUFFIX)
    ]
    operation = status.get("operationState") or {}
    if operation.get("phase") in FAILED_OPERATION_PHASES:
        reasons.append(f"last sync {operation['phase']}: {' '.join(str(operation.get('message', '')).split())}")
    health_message = (status.get("health") or {}).get("message")
    if health_message:
        reasons.append(" ".join(str(health_message).split()))
    return reasons


def check_application(document: Document, context: ClusterContext) -> Result:
    namespace = document.namespace or "default"
    try:
        live = context.live.get(document.api_version, document.kind, document.name, namespace)
    except NotServed as missing:
        return result_for(
            document, CODE, Status.NOT_DONE,
            f"the cluster does not serve {missing}: OpenShift GitOps is not installed",
        )  # fmt: skip
    if live is None:
        return result_for(document, CODE, Status.NOT_DONE, "not on the cluster: bootstrap it (docs/runbook.md)")
    status = live.get("status") or {}
    sync = (status.get("sync") or {}).get("status") or "no sync status yet"
    health = (status.get("health") or {}).get("status") or "no health yet"
    if sync == SYNCED and health == HEALTHY:
        revision = str((status.get("sync") or {}).get("revision") or "")[:12]
        return result_for(document, CODE, Status.OK, f"{SYNCED}, {HEALTHY}" + (f" at {revision}" if revision else ""))
    reasons = _reasons(status)
    detail = f": {words(reasons, 2)}" if reasons else ""
    return result_for(document, CODE, Status.NOT_DONE, f"{sync}, {health}{detail}")


def check(context: ClusterContext) -> list[Result]:
    return [check_application(document, context) for document in context.expectation.applications]
