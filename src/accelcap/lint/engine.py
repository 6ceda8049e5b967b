"""Run the rules over rendered overlays and turn violations into findings."""

from __future__ import annotations

import typing as t

from ..model import ClusterModel, model_of
from ..render import RenderedOverlay
from ..report import CANNOT_CHECK, ERROR, Finding
from .context import LintContext
from .rule import Rule, Violation, all_rules
from .silence import ignore_reason


def lint_overlay(overlay: ClusterModel | RenderedOverlay, rules: t.Sequence[Rule] | None = None) -> list[Finding]:
    """Every finding of ``rules`` (default: all) on one overlay's model (built here, with the
    facts of its cluster directory, when given the render alone), sorted and without repeats."""
    if isinstance(overlay, RenderedOverlay):
        overlay = model_of(overlay)
    context = LintContext.of(overlay)
    findings: set[Finding] = set()
    selected = rules if rules is not None else all_rules()
    if overlay.remote_references:
        # Builds that pull remote content were left unrendered: the rest of the overlay is
        # incomplete, and rules that read it would report what is missing, not what is wrong.
        selected = [rule for rule in selected if rule.runs_unrendered]
    for rule in selected:
        for violation in rule.check(context):
            if _silenced(rule, violation):
                continue
            findings.add(_finding(rule, violation, overlay.name))
    return sorted(findings, key=_order)


def lint_overlays(overlays: t.Iterable[ClusterModel], rules: t.Sequence[Rule] | None = None) -> list[Finding]:
    rules = list(rules) if rules is not None else all_rules()
    return [finding for overlay in overlays for finding in lint_overlay(overlay, rules)]


def _silenced(rule: Rule, violation: Violation) -> bool:
    return (
        rule.silenceable and violation.document is not None and ignore_reason(violation.document, rule.id) is not None
    )


def _finding(rule: Rule, violation: Violation, overlay: str) -> Finding:
    document = violation.document
    return Finding(
        code=rule.id,
        message=violation.message,
        overlay=overlay,
        object=document.ref if document is not None else None,
        file=document.file if document is not None else violation.file,
        line=document.line if document is not None else None,
        path=violation.path,
        severity=CANNOT_CHECK if violation.cannot_check else ERROR,
        blocking=violation.blocking if violation.cannot_check else False,
    )


def _order(finding: Finding) -> tuple[str, str, str, str, str]:
    return (finding.overlay or "", finding.file or "", finding.object or "", finding.code, finding.message)
