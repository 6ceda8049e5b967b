"""CAP036: the bootstrap holds only what it documents: projects, the controller's RBAC, the health check, the root."""

from __future__ import annotations

import typing as t

from ...catalog.gitops import CONTROLLER_SERVICE_ACCOUNT, INSTANCE_NAMESPACE
from ...render import Document
from ..context import LintContext
from ..examples import BOOTSTRAP_CLUSTER_ROLE, Add, example
from ..rule import Violation, rule

RBAC = "rbac.authorization.k8s.io"
#: The kinds base/bootstrap/kustomization.yaml documents, and nothing else.
BOOTSTRAP_KINDS = frozenset(
    {
        ("argoproj.io", "AppProject"),
        ("argoproj.io", "Application"),
        ("argoproj.io", "ArgoCD"),
        (RBAC, "ClusterRole"),
        (RBAC, "ClusterRoleBinding"),
        # The cluster's boot image opt-out (docs/runbook.md, "Boot images"; lint CAP022).
        ("operator.openshift.io", "MachineConfiguration"),
    }
)
#: The one set of AppProjects: Argo CD's locked default and the two of base/bootstrap.
PROJECTS = frozenset({"default", "accelerator-capacity", "accelerator-capacity-apps"})
CONTROLLER = {"kind": "ServiceAccount", "name": CONTROLLER_SERVICE_ACCOUNT, "namespace": INSTANCE_NAMESPACE}


def _binding(subjects: list[dict[str, t.Any]], role: str = "cluster-admin") -> dict[str, t.Any]:
    return {
        "apiVersion": f"{RBAC}/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "more-rights"},
        "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": role},
        "subjects": subjects,
    }


@rule(
    "CAP036",
    "bootstrap-fence",
    "The bootstrap holds only the kinds it documents; bindings only for the controller to its role",
    what=f"""The bootstrap (the overlay's own objects, which a cluster-admin applies) holds only
    {", ".join(f"{g}/{k}" for g, k in sorted(BOOTSTRAP_KINDS))}: no Secret (an Argo CD repository or
    cluster Secret), no RoleBinding, nothing else. Its AppProjects are the one set
    {", ".join(sorted(PROJECTS))}. Each ClusterRoleBinding binds the application controller's service
    account `{INSTANCE_NAMESPACE}/{CONTROLLER_SERVICE_ACCOUNT}` to the generated role
    `{BOOTSTRAP_CLUSTER_ROLE}`: a binding of neither is refused here, a binding of either is judged by
    CAP019 (the role's rules, the controller alone).""",
    why="""The bootstrap is applied with cluster-admin rights, once, by a person who trusts the repository:
    a ClusterRoleBinding from cluster-admin to any subject, a repository Secret with credentials or
    another AppProject slipped into it lands with those rights and outlives the pull request.""",
    fix="""Keep RBAC for the controller in base/bootstrap/controller-rbac.yaml (lint CAP019 says what it
    needs); put workloads in the builds the Applications sync; add a kind or a project to the
    bootstrap only with a change of this rule, reviewed by a code owner.""",
    guard=True,
    failing=(
        example(
            "cluster-admin for every authenticated user",
            Add(_binding([{"apiGroup": RBAC, "kind": "Group", "name": "system:authenticated"}]), beside="AppProject"),
        ),
        example(
            "an Argo CD repository Secret",
            Add(
                {
                    "apiVersion": "v1", "kind": "Secret",
                    "metadata": {"name": "repo", "namespace": INSTANCE_NAMESPACE,
                                 "labels": {"argocd.argoproj.io/secret-type": "repository"}},
                    "stringData": {"url": "https://example.com/x.git", "password": "x"},
                },
                beside="AppProject",
            ),
        ),
    ),
)  # fmt: skip
def check(context: LintContext) -> t.Iterator[Violation]:
    own = [d for d in context.documents if d.application is None and d.rendered_from == d.overlay]
    if not any((d.group, d.kind) == ("argoproj.io", "AppProject") for d in own):
        # Not a bootstrap (a file or a build linted alone): its projects are what make one. A
        # bootstrap without them leaves every Application's project missing (CAP018).
        return
    roles = {d.name for d in own if (d.group, d.kind) == (RBAC, "ClusterRole")} | {BOOTSTRAP_CLUSTER_ROLE}
    for document in own:
        key = (document.group, document.kind)
        if key not in BOOTSTRAP_KINDS:
            yield Violation(
                f"{document.group or 'core'}/{document.kind} is not a kind the bootstrap holds; it would be applied "
                "with cluster-admin rights",
                document,
            )
        elif document.kind == "AppProject" and document.name not in PROJECTS:
            yield Violation(
                f"AppProject {document.name} is not one of the bootstrap's projects ({', '.join(sorted(PROJECTS))})",
                document,
            )
        elif document.kind == "ClusterRoleBinding":
            yield from _binding_problems(document, roles)


def _binding_problems(binding: Document, roles: set[str]) -> t.Iterator[Violation]:
    """A binding of the controller, or of a bootstrap role, is CAP019's to judge (its role's
    rules, its subjects); any other binding has no place in the bootstrap."""
    role = binding.get("roleRef", default={})
    role_name = role.get("name") if isinstance(role, dict) else None
    subjects = binding.get("subjects", default=[])
    found = [
        {k: s.get(k) for k in ("kind", "name", "namespace")} for s in (subjects if isinstance(subjects, list) else [])
        if isinstance(s, dict)
    ]  # fmt: skip
    if role_name in roles or CONTROLLER in found:
        return
    yield Violation(
        f"binds {role_name or '?'} to {found or 'no subject'}; the bootstrap binds only the application controller "
        f"{INSTANCE_NAMESPACE}/{CONTROLLER_SERVICE_ACCOUNT} to its role",
        binding,
    )
