"""Kubernetes taint/toleration matching, as the scheduler does it (core/v1 Toleration.ToleratesTaint)."""

from __future__ import annotations

import typing as t

#: Effects that keep a pod off a node; PreferNoSchedule only discourages.
HARD_EFFECTS = ("NoSchedule", "NoExecute")


def is_hard(taint: dict[str, t.Any]) -> bool:
    return taint.get("effect") in HARD_EFFECTS


def tolerates(toleration: dict[str, t.Any], taint: dict[str, t.Any]) -> bool:
    """Whether ``toleration`` tolerates ``taint``.

    An empty effect matches every effect; operator Exists with an empty key matches every
    key; the default operator Equal needs key and value to be equal.
    """
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    operator = toleration.get("operator") or "Equal"
    if operator == "Exists":
        return not key or key == taint.get("key")
    if operator != "Equal" or key != taint.get("key"):
        return False
    return str(toleration.get("value") or "") == str(taint.get("value") or "")


def tolerated_by(tolerations: t.Any, taint: dict[str, t.Any]) -> bool:
    """Whether any toleration of the list ``tolerations`` tolerates ``taint``."""
    if not isinstance(tolerations, list):
        return False
    return any(isinstance(item, dict) and tolerates(item, taint) for item in tolerations)


def describe(taint: dict[str, t.Any]) -> str:
    """``key=value:Effect``, as ``oc adm taint`` writes it."""
    value = taint.get("value")
    return f"{taint.get('key')}{'=' + str(value) if value not in (None, '') else ''}:{taint.get('effect')}"
