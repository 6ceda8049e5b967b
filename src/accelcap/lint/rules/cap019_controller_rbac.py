"""CAP019: the application controller may write exactly what the Applications sync."""

from __future__ import annotations

import typing as t
from collections import defaultdict
from dataclasses import dataclass

from ...catalog.gitops import (
    CONTROLLER_SERVICE_ACCOUNT,
    INSTANCE_NAMESPACE,
    OPERATOR_SOURCE,
    SYNC_VERBS,
    WRITE_VERBS,
    Grant,
    granted_by_default,
)
from ...render import Document
from ..context import LintContext
from ..examples import BOOTSTRAP_CLUSTER_ROLE, Append, Drop, Set, example
from ..rule import Violation, cannot_check, rule

RBAC = "rbac.authorization.k8s.io"
CONTROLLER = f"system:serviceaccount:{INSTANCE_NAMESPACE}:{CONTROLLER_SERVICE_ACCOUNT}"


@dataclass(frozen=True)
class _Rule:
    role: Document
    index: int
    grant: Grant


@rule(
    "CAP019",
    "controller-rbac",
    "The application controller may write exactly what the Applications sync",
    what=f"""For every object a followed Application syncs, the OpenShift GitOps application controller
    (`{CONTROLLER}`) may create, update, patch and delete its group and resource: through the
    operator's defaults for the default instance (kept as data with the operator version they were
    read from, `accelcap.catalog.gitops`; docs/catalog.md) or through a ClusterRole of the
    bootstrap (objects no Application syncs) that a bootstrap ClusterRoleBinding binds to that
    service account alone. Both ways exactly: every rule of such a ClusterRole names groups and
    resources without `*`, verbs among {", ".join(sorted(SYNC_VERBS))}, no resourceNames or
    nonResourceURLs, and only group/resources an Application needs and the defaults do not grant. An
    object whose resource name is unknown, or an Application the linter could not follow, cannot
    be checked and fails. Source of the defaults: {OPERATOR_SOURCE}""",
    why="""The default instance's controller writes only a fixed list of API groups (OLM, the machine API,
    some config groups, RBAC, storage, namespaces, ...); ClusterAutoscaler, MachineAutoscaler,
    ClusterPolicy, NodeFeatureDiscovery, NodeFeatureRule and DeviceConfig are forbidden without a
    ClusterRole, and every sync of them fails. Granting more than the Applications sync (or
    cluster-admin) would let any change to this repository act with those rights.""",
    fix="""Add the group and resource to the bootstrap ClusterRole (base/bootstrap/controller-rbac.yaml,
    or the component that adds the kind), with the verbs create, delete, get, list, patch, update,
    watch, and have a cluster-admin apply the bootstrap again (docs/runbook.md, "Bootstrap"); remove
    grants no Application needs.""",
    guard=True,
    failing=(
        example("bootstrap ClusterRole removed", Drop("ClusterRole", name=BOOTSTRAP_CLUSTER_ROLE)),
        example(
            "ClusterPolicy not granted",
            Set("ClusterRole", "/rules/1/resources", ["nvidiadrivers"], name=BOOTSTRAP_CLUSTER_ROLE),
        ),
        example(
            "wildcard grant",
            Append("ClusterRole", "/rules", {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}, name=BOOTSTRAP_CLUSTER_ROLE),
        ),
        example(
            "unused grant",
            Append(
                "ClusterRole", "/rules", {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]},
                name=BOOTSTRAP_CLUSTER_ROLE,
            ),
        ),
        example("bound to cluster-admin instead", Set("ClusterRoleBinding", "/roleRef/name", "cluster-admin")),
        example(
            "bound to more subjects",
            Append("ClusterRoleBinding", "/subjects", {"kind": "Group", "name": "system:authenticated", "apiGroup": RBAC}),
        ),
        example("no patch", Set("ClusterRole", "/rules/0/verbs", ["create", "delete", "get", "list", "update", "watch"], name=BOOTSTRAP_CLUSTER_ROLE)),
    ),
)  # fmt: skip
def check(context: LintContext) -> t.Iterator[Violation]:
    rules, problems = _bootstrap_rules(context)
    yield from problems
    needs: dict[tuple[str, str], list[Document]] = defaultdict(list)
    for followed, document in context.synced():
        resource = context.resource_name(document)
        if resource is None:
            yield cannot_check(
                f"the RBAC resource of {document.group or 'core'}/{document.kind} is unknown (not in "
                "accelcap.catalog.kinds, no CRD in the render), so the controller's rights cannot be checked",
                document,
                blocking=True,
            )
            continue
        missing = {v for v in WRITE_VERBS if not granted_by_default(document.group, resource, document.namespace, v)}
        if not missing:
            continue
        needs[(document.group, resource)].append(document)
        granted = {v for v in missing if any(r.grant.allows(document.group, resource, v) for r in rules)}
        if missing - granted:
            yield Violation(
                f"Application {followed.application.name} syncs it, but the controller may not "
                f"{', '.join(sorted(missing - granted))} {document.group or 'core'}/{resource}: neither the OpenShift "
                "GitOps defaults nor a bootstrap ClusterRole bound to it grant that",
                document,
            )
    for application in context.applications.values():
        if not context.followed_of(application):
            yield cannot_check(
                "its source was not followed, so what the controller must write for it cannot be checked "
                "(lint the cluster overlay directory)",
                application,
                blocking=True,
            )
    for item in rules:
        for group in sorted(item.grant.groups):
            for resource in sorted(item.grant.resources):
                if (group, resource) not in needs:
                    yield Violation(
                        f"rules[{item.index}] grants {group or 'core'}/{resource}, which no Application needs "
                        "(none syncs it, or the OpenShift GitOps defaults already grant it)",
                        item.role,
                        f"/rules/{item.index}",
                    )


def _bootstrap_rules(context: LintContext) -> tuple[list[_Rule], list[Violation]]:
    """The rules of bootstrap ClusterRoles bound to the controller, and what is wrong with them."""
    roles = {d.name: d for d in context.of_kind(RBAC, "ClusterRole") if d.application is None}
    problems: list[Violation] = []
    bound: dict[str, Document] = {}
    for binding in context.of_kind(RBAC, "ClusterRoleBinding"):
        subjects = binding.get("subjects", default=[])
        subjects = [s for s in subjects if isinstance(s, dict)] if isinstance(subjects, list) else []
        if not any(_is_controller(s) for s in subjects):
            continue
        if binding.application is not None:
            problems.append(
                Violation(
                    f"binds the application controller but Application {binding.application} syncs it: the controller "
                    "would grant itself rights; controller RBAC belongs in the bootstrap",
                    binding,
                )
            )
            continue
        others = [f"{s.get('kind')} {s.get('name')}" for s in subjects if not _is_controller(s)]
        if others:
            problems.append(
                Violation(
                    f"also binds {', '.join(others)}: the sync rights are the controller's alone", binding, "/subjects"
                )
            )
        ref = binding.get("roleRef", default={})
        name = str(ref.get("name") or "") if isinstance(ref, dict) else ""
        if not isinstance(ref, dict) or ref.get("kind") != "ClusterRole" or name not in roles:
            problems.append(
                Violation(
                    f"binds ClusterRole {name or '?'}, which the bootstrap does not define: its rights cannot be "
                    "held to what the Applications sync",
                    binding,
                    "/roleRef",
                )
            )
            continue
        bound[name] = roles[name]
    rules: list[_Rule] = []
    for role in bound.values():
        entries = role.get("rules", default=[])
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            if not isinstance(entry, dict):
                continue
            grant = Grant(
                frozenset(_strings(entry.get("apiGroups"))),
                frozenset(_strings(entry.get("resources"))),
                frozenset(_strings(entry.get("verbs"))),
            )
            path = f"/rules/{index}"
            wild = [key for key, values in (("apiGroups", grant.groups), ("resources", grant.resources),
                                            ("verbs", grant.verbs)) if "*" in values]  # fmt: skip
            if wild:
                problems.append(Violation(f"rules[{index}] uses * in {', '.join(wild)}: grant exactly", role, path))
                continue
            extra = sorted(grant.verbs - SYNC_VERBS)
            if extra:
                problems.append(
                    Violation(f"rules[{index}] grants verbs a sync never uses: {', '.join(extra)}", role, path)
                )
            if entry.get("resourceNames") or entry.get("nonResourceURLs"):
                problems.append(Violation(f"rules[{index}] names resourceNames or nonResourceURLs", role, path))
            rules.append(_Rule(role, index, grant))
    return rules, problems


def _is_controller(subject: dict[str, t.Any]) -> bool:
    return (
        subject.get("kind") == "ServiceAccount"
        and subject.get("name") == CONTROLLER_SERVICE_ACCOUNT
        and subject.get("namespace") == INSTANCE_NAMESPACE
    )


def _strings(value: t.Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []
