"""``validate --server``: a server-side dry run of every rendered object on the live cluster.

Each object goes to the API server as a server-side apply with ``dryRun=All`` (nothing is
written) and ``fieldValidation=Strict``, as the identity that will apply it:

- objects an Argo CD Application syncs (``Document.application`` is set; the children of the
  root Application included): the Argo CD application controller's service account,
  impersonated (``--as``; OpenShift GitOps' default instance runs it as
  ``openshift-gitops-argocd-application-controller`` in ``openshift-gitops``);
- objects no Application syncs: the overlay's own objects, the bootstrap a cluster-admin
  applies once (AppProjects, the controller's ClusterRole and ClusterRoleBinding, the partial
  ``ArgoCD``, the root Application; docs/runbook.md, "Bootstrap"), and the hand-applied
  ``validation/`` builds: the kubeconfig's own user, who applies them. Argo CD never applies
  these, so sending them as the controller would test the wrong identity (and fail wrongly:
  an identity without ``escalate`` is refused a ClusterRole granting more than it holds).

The API server then says what Argo CD's sync would hear: Forbidden (RBAC), Invalid (schema,
CEL rules, strict fields), a kind it does not serve. Before any object is sent, the
cluster is checked to be the overlay's: ``infrastructures.config.openshift.io/cluster``
``.status.infrastructureName`` must equal the facts' ``infraID`` (else exit 3).

Argo CD's own rules are kept: an object whose kind the cluster does not serve yet is only a
warning when it carries ``SkipDryRunOnMissingResource=true`` (its operator installs the
CRD in an earlier wave), and an object in a namespace the same render creates, which does
not exist yet, is a warning (Argo CD creates the namespace first).
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from ..errors import InputError
from ..facts import require_infra_id
from ..kube_client import Cluster, Connection, require_infrastructure
from ..model import ClusterModel
from ..render import Document
from .builtin_engine import Outcome, finding
from .finding_codes import SERVER_FORBIDDEN, SERVER_INVALID, SERVER_KIND_UNKNOWN, SERVER_NOT_CHECKED

#: The application controller of OpenShift GitOps' default Argo CD instance.
DEFAULT_AS = "system:serviceaccount:openshift-gitops:openshift-gitops-argocd-application-controller"
#: The field manager Argo CD's server-side apply uses (gitops-engine).
FIELD_MANAGER = "argocd-controller"
SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
SKIP_DRY_RUN = "SkipDryRunOnMissingResource=true"


@dataclass(frozen=True)
class ServerOptions:
    connection: Connection
    #: The identity Application-synced objects are applied as.
    as_user: str = DEFAULT_AS


def _not_checked(outcome: Outcome, document: Document, why: str) -> None:
    """``document`` cannot go to the cluster yet: a warning, not a verdict."""
    outcome.skipped += 1
    outcome.findings.append(finding(SERVER_NOT_CHECKED, document, None, why))


def check_cluster_identity(cluster: Cluster, rendered: ClusterModel) -> str:
    """The cluster's infrastructure name; refuses a cluster that is not the overlay's."""
    facts = rendered.facts
    if facts is None:
        raise InputError(
            rendered.name, "--server needs the cluster's facts: give an overlay, or --cluster NAME for a file"
        )
    return require_infrastructure(cluster, require_infra_id(facts), f"the facts of {rendered.name}")


def _skips_dry_run(document: Document, application: Document | None) -> bool:
    options = str(document.annotations.get(SYNC_OPTIONS, ""))
    if application is not None:
        options += "," + ",".join(map(str, application.get("spec", "syncPolicy", "syncOptions", default=[]) or []))
    return SKIP_DRY_RUN in [o.strip() for o in options.split(",")]


def check_overlay(rendered: ClusterModel, options: ServerOptions) -> tuple[Outcome, Cluster]:
    """The findings, and the cluster they came from (closed: for the summary only)."""
    with Cluster(options.connection) as cluster:
        return _check(cluster, rendered, options), cluster


def _check(cluster: Cluster, rendered: ClusterModel, options: ServerOptions) -> Outcome:
    check_cluster_identity(cluster, rendered)
    applications = {a.application.name: a.application for a in rendered.applications}
    created_namespaces = {d.name for d in rendered.documents if d.kind == "Namespace" and d.api_version == "v1"}
    namespaces_resource = cluster.find_resource("namespaces")
    existing: dict[str, bool] = {}
    outcome = Outcome()
    for document in rendered.documents:
        application = applications.get(document.application or "")
        # Whoever applies it: Argo CD for what an Application syncs, a person for the rest.
        identity = None if document.application is None else options.as_user
        who = "you" if identity is None else identity
        resource = cluster.resource_for(document.api_version, document.kind)
        if resource is None:
            served = f"the cluster does not serve {document.api_version} {document.kind}"
            if _skips_dry_run(document, application):
                _not_checked(outcome, document, f"{served} yet (SkipDryRunOnMissingResource)")
            else:
                outcome.checked += 1
                outcome.findings.append(finding(SERVER_KIND_UNKNOWN, document, None, served))
            continue
        namespace = None
        if resource.namespaced:
            destination = application.get("spec", "destination", "namespace") if application else None
            namespace = document.namespace or destination or "default"
            if namespace in created_namespaces:
                if namespace not in existing:
                    existing[namespace] = cluster.exists(namespaces_resource, namespace)
                if not existing[namespace]:
                    _not_checked(outcome, document, f"namespace {namespace} does not exist yet (this sync creates it)")
                    continue
        answer = cluster.dry_run_apply(document.obj, resource, namespace, FIELD_MANAGER, identity)
        outcome.checked += 1
        if answer.accepted:
            continue
        check = SERVER_FORBIDDEN if answer.reason == "Forbidden" else SERVER_INVALID
        outcome.findings.append(finding(check, document, None, f"{answer.reason} (as {who}): {answer.message}"))
    return outcome


def server_summary(
    outcome: Outcome, cluster: Cluster, options: ServerOptions, objects: int, overlays: list[str]
) -> dict[str, t.Any]:
    return {
        "checked": f"{outcome.checked} of {objects} objects in a server-side dry run on {cluster.server} (context "
        f"{cluster.context}): what Applications sync as {options.as_user}, the rest as the kubeconfig's user",
        "engine": "server",
        "server": cluster.server,
        "context": cluster.context,
        "as": options.as_user,
        "objects": objects,
        "validated": outcome.checked,
        "skipped": outcome.skipped,
        "overlays": overlays,
    }
