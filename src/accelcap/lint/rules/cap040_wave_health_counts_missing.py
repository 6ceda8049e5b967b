"""CAP040: what a later sync wave waits for has a health check that counts it while Missing."""

from __future__ import annotations

import typing as t
from collections import defaultdict

from ...catalog.argocd_health import GO_HEALTH_CHECKS, NO_CHECK_NEEDED, SOURCES
from ...catalog.gitops import INSTANCE_NAME, INSTANCE_NAMESPACE
from ...render import Document
from ..context import SYNC_WAVE, BadWave, LintContext, sync_wave
from ..examples import OPERATORS_APPLICATION, Remove, Set, annotation, example
from ..rule import Violation, rule

HEALTH_PATH = "/spec/resourceHealthChecks"


@rule(
    "CAP040",
    "wave-health-counts-missing",
    "What a later sync wave waits for has a health check that counts it while Missing",
    what=f"""For each parent Application (app of apps), every child Application that syncs in an earlier
    `{SYNC_WAVE}` than another child is waited for by the parent. Every kind such a child syncs has a
    health check Argo CD counts while the object is Missing: one built into Argo CD's Go code, or a
    `spec.resourceHealthChecks` entry (group, kind, check) of `ArgoCD` `{INSTANCE_NAME}` in
    `{INSTANCE_NAMESPACE}`. Kinds that are done once they exist, and the pool kinds, which no later wave
    waits for, need none: `{"`, `".join(k for _, k in NO_CHECK_NEEDED)}`.""",
    why=f"""Argo CD skips a Missing resource when it computes an Application's health unless its kind has a
    Go health check or an argocd-cm override; the Lua scripts built into Argo CD (Subscription's among
    them) do not count. So an operators Application whose Subscriptions and operands do not exist yet
    reports Healthy on its first reconcile, and the parent starts the pools of the next wave at once:
    nodes billed while the driver is not there. Sources: {"; ".join(SOURCES)}.""",
    fix="""Add a health check for the kind to base/bootstrap/argocd-application-health.yaml, from the
    status its operator writes (cite the upstream file), and re-apply the bootstrap's step 1.""",
    failing=(
        example(
            "no Subscription check (Argo CD's built-in script does not count a Missing Subscription)",
            Remove("ArgoCD", f"{HEALTH_PATH}/1"),
        ),
        example("no ClusterPolicy check", Remove("ArgoCD", f"{HEALTH_PATH}/2")),
        example("a check with an empty script", Set("ArgoCD", f"{HEALTH_PATH}/3/check", " ")),
    ),
    passing=(
        example(
            "one wave for all children: no Application waits for another",
            Remove("ArgoCD", f"{HEALTH_PATH}/2"),
            Set("Application", annotation(SYNC_WAVE), "0", name="{cluster}-capacity"),
            Set("Application", annotation(SYNC_WAVE), "0", name=OPERATORS_APPLICATION),
        ),
    ),
)
def check(context: LintContext) -> t.Iterator[Violation]:
    checked = health_checks(context)
    children: dict[str, list[tuple[int, Document]]] = defaultdict(list)
    for application in context.applications.values():
        if application.application is None:
            continue
        try:
            children[application.application].append((sync_wave(application), application))
        except BadWave:
            continue  # CAP013 reports an unreadable wave
    for _, waves in sorted(children.items()):
        last = max(wave for wave, _ in waves)
        for wave, application in waves:
            if wave == last:
                continue
            yield from _unchecked(context, application, wave, checked)


def _unchecked(
    context: LintContext, application: Document, wave: int, checked: frozenset[tuple[str, str]]
) -> t.Iterator[Violation]:
    reported: set[tuple[str, str]] = set()
    for followed in context.followed_of(application):
        for document in followed.documents:
            key = (document.group, document.kind)
            if key in reported or key in GO_HEALTH_CHECKS or key in NO_CHECK_NEEDED or key in checked:
                continue
            reported.add(key)
            group = document.group or "core"
            yield Violation(
                f"Application {application.name} (wave {wave}) syncs {group}/{document.kind}, which a later wave waits "
                f"for, but no health check counts a Missing {document.kind}: add a resourceHealthChecks entry for it "
                f"to ArgoCD {INSTANCE_NAME}, or the parent moves on before it exists",
                document,
            )


def health_checks(context: LintContext) -> frozenset[tuple[str, str]]:
    """The (group, kind) pairs the default instance has a non-empty health check for."""
    found: set[tuple[str, str]] = set()
    for instance in context.of_kind("argoproj.io", "ArgoCD"):
        if instance.name != INSTANCE_NAME or (instance.namespace or "") != INSTANCE_NAMESPACE:
            continue
        entries = instance.get("spec", "resourceHealthChecks", default=[])
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict):
                continue
            group, kind, script = entry.get("group", ""), entry.get("kind"), entry.get("check")
            if isinstance(group, str) and isinstance(kind, str) and isinstance(script, str) and script.strip():
                found.add((group, kind))
    return frozenset(found)
