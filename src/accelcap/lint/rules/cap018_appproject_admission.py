"""CAP018: every Application, and every object it syncs, is admitted by its AppProject."""

from __future__ import annotations

import typing as t

from ...catalog.gitops import INSTANCE_NAMESPACE, SYNC_VERBS
from ...render import Document, application_sources
from ..appproject import SOURCE, Destination, Project
from ..context import LintContext
from ..examples import BOOTSTRAP_CLUSTER_ROLE, CAPACITY_APPLICATION, PROJECT, Add, Append, Remove, Set, example
from ..rule import Violation, cannot_check, rule

DEFAULT_PROJECT = "default"


@rule(
    "CAP018",
    "appproject-admission",
    "Applications and what they sync are admitted by their AppProject",
    what=f"""Each Argo CD Application names an AppProject (`spec.project`, `default` when empty) that the
    render contains in the `{INSTANCE_NAMESPACE}` namespace; the Application lives in the Argo CD
    namespace (or one of the project's `sourceNamespaces`); its destination (server or name, and
    namespace: a missing one is the empty string) is permitted by the project's `destinations`,
    with Argo CD's globs and `!` deny entries; every source `repoURL` matches `sourceRepos`. Every
    object it syncs is permitted by kind, by scope (`clusterResourceWhitelist` for cluster-scoped
    kinds, `namespaceResourceWhitelist` for namespaced ones, blacklists winning), and a namespaced
    object's namespace (its own, else the destination's) is a permitted destination. A kind whose
    scope is unknown (not in `accelcap.catalog.kinds`, no CRD in the render) cannot be checked and
    fails. Modelled on {SOURCE} (IsDestinationPermitted, IsSourcePermitted, IsGroupKindPermitted,
    IsResourcePermitted, IsAppNamespacePermitted).""",
    why="""Argo CD refuses an Application whose project is missing or does not permit its destination or
    source (`InvalidSpecError: application destination ... is not permitted in project`, argoproj/argo-cd
    #11510 for the empty namespace), and a sync fails on any object the project does not allow. The
    project is also the fence: a ClusterRoleBinding, a Secret or a kube-system object slipped into a
    capacity build must stop here, before Argo CD applies it with its controller's rights.""",
    fix="""Set `spec.destination.namespace` to a namespace the project lists; keep the repository URL
    the project names; move objects to the build whose Application's project admits them, or widen
    the project in the bootstrap (base/bootstrap/appproject.yaml, or components/inferentia) when the
    cluster really needs the kind: a reviewed change a cluster-admin applies.""",
    guard=True,
    failing=(
        example(
            "destination without namespace", Remove("Application", "/spec/destination/namespace", name=CAPACITY_APPLICATION)
        ),
        example(
            "project missing", Set("Application", "/spec/project", "accelerator", name=CAPACITY_APPLICATION)
        ),
        example(
            "repoURL not in sourceRepos",
            Set("Application", "/spec/source/repoURL", "https://github.com/someone/fork.git", name=CAPACITY_APPLICATION),
        ),
        example(
            "destination denied by a ! entry",
            Append(
                "AppProject",
                "/spec/destinations",
                {"server": "*", "namespace": "!openshift-machine-api"},
                name=PROJECT,
            ),
        ),
        example(
            "ClusterRoleBinding in the capacity build",
            Add(
                {
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "ClusterRoleBinding",
                    "metadata": {"name": "pools-admin"},
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
                    "subjects": [{"kind": "Group", "name": "system:authenticated", "apiGroup": "rbac.authorization.k8s.io"}],
                },
                beside="MachineSet",
            ),
        ),
        example(
            "Secret in the capacity build, even with RBAC for it",
            Add(
                {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x", "namespace": "openshift-machine-api"}},
                beside="MachineSet",
            ),
            Append(
                "ClusterRole",
                "/rules",
                {"apiGroups": [""], "resources": ["secrets"], "verbs": sorted(SYNC_VERBS)},
                name=BOOTSTRAP_CLUSTER_ROLE,
            ),
        ),
        example(
            "object in kube-system",
            Add(
                {
                    "apiVersion": "operators.coreos.com/v1",
                    "kind": "OperatorGroup",
                    "metadata": {"name": "x", "namespace": "kube-system"},
                    "spec": {},
                },
                beside="MachineSet",
            ),
        ),
        example(
            "kind blacklisted",
            Set("AppProject", "/spec/namespaceResourceBlacklist", [{"group": "machine.openshift.io", "kind": "*"}], name=PROJECT),
        ),
    ),
    passing=(
        example(
            "destination by glob",
            Set("AppProject", "/spec/destinations", [{"server": "https://kubernetes.default.svc", "namespace": "*"}], name=PROJECT),
        ),
        example("destination by name in-cluster", Set("Application", "/spec/destination", {"name": "in-cluster", "namespace": "openshift-machine-api"}, name=CAPACITY_APPLICATION)),
    ),
)  # fmt: skip
def check(context: LintContext) -> t.Iterator[Violation]:
    projects = {
        d.name: Project(d)
        for d in context.of_kind("argoproj.io", "AppProject")
        if (d.namespace or INSTANCE_NAMESPACE) == INSTANCE_NAMESPACE
    }
    for application in context.applications.values():
        name = str(application.get("spec", "project") or DEFAULT_PROJECT)
        project = projects.get(name)
        if project is None:
            yield Violation(_missing_project(name, sorted(projects)), application, "/spec/project")
            continue
        yield from _application(application, project)
        yield from _synced(context, application, project)


def _destination(application: Document) -> Destination:
    return Destination.of(application.get("spec", "destination"))


def _application(application: Document, project: Project) -> t.Iterator[Violation]:
    if not project.app_namespace_permitted(application.namespace):
        yield Violation(
            f"lives in namespace {application.namespace}, which project {project.document.name} does not list in "
            f"sourceNamespaces (Applications belong in {INSTANCE_NAMESPACE})",
            application,
            "/metadata/namespace",
        )
    destination = _destination(application)
    if not project.destination_permitted(destination):
        yield Violation(
            f"destination {destination.describe()} is not permitted in project {project.document.name}",
            application,
            "/spec/destination",
        )
    for pointer, source in application_sources(application):
        url = str(source.get("repoURL") or "")
        if not project.source_permitted(url):
            yield Violation(
                f"repoURL {url or '(empty)'} is not permitted by sourceRepos of project {project.document.name}",
                application,
                f"{pointer}/repoURL",
            )


def _synced(context: LintContext, application: Document, project: Project) -> t.Iterator[Violation]:
    destination = _destination(application)
    for followed in context.followed_of(application):
        for document in followed.documents:
            namespaced = context.namespaced(document)
            if namespaced is None:
                yield cannot_check(
                    f"scope of {document.group or 'core'}/{document.kind} is unknown (not in accelcap.catalog.kinds, "
                    f"no CRD in the render), so project {project.document.name} cannot be checked for it",
                    document,
                    blocking=True,
                )
                continue
            if not project.kind_permitted(document.group, document.kind, namespaced):
                scope = "namespaced" if namespaced else "cluster-scoped"
                yield Violation(
                    f"{scope} kind {document.group or 'core'}/{document.kind} is not permitted by project "
                    f"{project.document.name}, so Application {application.name} cannot sync it",
                    document,
                )
                continue
            if namespaced:
                namespace = document.namespace or destination.namespace
                target = Destination(destination.server, destination.name, namespace)
                if not project.destination_permitted(target):
                    yield Violation(
                        f"namespace {namespace or '(empty)'} is not a destination of project {project.document.name} "
                        f"(synced by Application {application.name})",
                        document,
                        "/metadata/namespace",
                    )


def _missing_project(name: str, defined: list[str]) -> str:
    if name == DEFAULT_PROJECT:
        # Argo CD creates `default` itself and never lets it be deleted: an Application naming
        # it is admitted by whatever the live `default` allows (anything, unless restricted).
        return (
            f"project {DEFAULT_PROJECT!r} is Argo CD's built-in project, which always exists and admits what the "
            f"live object allows (any source, destination and kind unless restricted); name a project of the "
            f"bootstrap ({', '.join(defined) or 'none'})"
        )
    return (
        f"project {name!r} is not in this render (AppProjects: {', '.join(defined) or 'none'}); "
        "Argo CD refuses the Application"
    )
