"""Silencing a rule on one object: ``lint.accel-capacity.io/ignore-<RULE-ID>: "<reason>"``.

Like kube-linter's ``ignore-check.kube-linter.io/<check>``, but the reason is required: an
empty reason silences nothing and is itself a finding (CAP101), so every exception in the
repository says why it is there.
"""

from __future__ import annotations

from ..render import Document

IGNORE_PREFIX = "lint.accel-capacity.io/ignore-"


def ignore_key(rule_id: str) -> str:
    return f"{IGNORE_PREFIX}{rule_id}"


def ignore_reason(document: Document, rule_id: str) -> str | None:
    """The stated reason for ignoring ``rule_id`` on ``document``; None when not ignored.

    A blank reason counts as not ignored.
    """
    value = document.annotations.get(ignore_key(rule_id))
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()


def ignore_annotations(document: Document) -> dict[str, object]:
    """``{rule_id: value}`` of every ignore annotation on ``document``."""
    return {
        key[len(IGNORE_PREFIX) :]: value
        for key, value in document.annotations.items()
        if isinstance(key, str) and key.startswith(IGNORE_PREFIX)
    }
