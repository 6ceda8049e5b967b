"""The conformance suite: would the cluster accept what Argo CD syncs, the way Argo CD syncs it?

``run_suite(server, rendered)`` takes one cluster's render (``accelcap.render``: the bootstrap,
the Applications it leads to, what each syncs) and a test API server holding the cluster's
CRDs (``kube_support.install_cluster_crds``: the pinned upstream CRDs, OLM's included), and:

1. **sets up** what an OpenShift cluster with OpenShift GitOps has before the first sync: every
   namespace the render names (the installer, OLM or the same sync create them), the default
   instance's application controller service account, and the operator's default grants to it
   (``accelcap.catalog.gitops``, with the upstream file they were read from): the ClusterRole
   ``DEFAULT_CLUSTER_GRANTS`` and the Role ``DEFAULT_INSTANCE_NAMESPACE_GRANTS`` in the
   instance namespace (the operator adds the ``admin`` ClusterRole's rules to that Role; not
   modelled);
2. **bootstraps** as a cluster-admin (docs/runbook.md, "Bootstrap"): every object the overlay
   carries itself (no Application syncs it) is sent as a server-side dry run as the admin, and
   its RBAC (ClusterRole, ClusterRoleBinding, Role, RoleBinding), taken from the render, is
   applied for real;
3. **syncs, dry**: per Application in the order Argo CD reaches them (the root Application
   first, then its children by sync wave and name, each followed by its own children), every
   object it syncs, in sync-wave order, as a server-side apply with ``dryRun=All``,
   ``fieldValidation=Strict``, field manager ``argocd-controller`` and ``force``, impersonating
   the controller's service account; a namespaced object without a namespace goes to the
   Application's destination namespace, as Argo CD sends it;
4. **compares** each accepted object with what the server would store: every path the server
   filled in that the repository did not say (``Defaulted``; server bookkeeping in
   ``metadata`` and ``status`` left out). Defaults on a field the project's rules care about
   (``CARED``) fail the suite; the rest are reported (``Report.text``).

Nothing but the bootstrap's RBAC and the set-up is written. Objects refused, kinds the server
does not serve, and cared-about defaults make ``Report.ok`` false.

The clusters (``cluster_names``, ``render_cluster``): every overlay under ``overlays/``, and,
for each whose bootstrap has the Inferentia line commented out, ``<cluster>-inferentia``:
a repository copy with that line uncommented (docs/inferentia.md).
"""

from __future__ import annotations

import os
import time
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

from kube_support import LocalApiServer, service_account_user

from accelcap.catalog import gitops
from accelcap.config import load_settings
from accelcap.model import render_model
from accelcap.render import Document, RenderedOverlay, list_overlays
from support import INFERENTIA_LINE, REPO, copy_repository, enable_inferentia

#: The field manager Argo CD's server-side apply uses (gitops-engine).
FIELD_MANAGER = "argocd-controller"
SYNC_WAVE = "argocd.argoproj.io/sync-wave"
CONTROLLER = service_account_user(gitops.INSTANCE_NAMESPACE, gitops.CONTROLLER_SERVICE_ACCOUNT)
#: argocd-operator names the controller's Role in the instance namespace like its service
#: account (``<instance>-argocd-application-controller``, generateResourceName).
INSTANCE_ROLE = gitops.CONTROLLER_SERVICE_ACCOUNT
RBAC_KINDS = frozenset({"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"})
BOOTSTRAP = "(bootstrap)"
ADMIN = "admin"

#: Fields whose server default the project's rules care about: (group, kind) -> JSON pointer
#: prefix -> the rule. A default there fails the suite: the repository must say the value.
CARED: dict[tuple[str, str], dict[str, str]] = {
    ("machine.openshift.io", "MachineSet"): {
        "/spec/replicas": "CAP003: the MachineSet CRD defaults replicas to 1, one paid node per pool on sync",
        "/spec/template/spec/taints": "CAP005/CAP014: a pool's taints are the repository's to say",
        "/spec/template/spec/providerSpec": "capacity-diff and verify-quotas read the instance type and market",
    },
    ("autoscaling.openshift.io", "MachineAutoscaler"): {
        "/spec/minReplicas": "CAP004: the autoscaler's bounds are the pool's size",
        "/spec/maxReplicas": "CAP004: the autoscaler's bounds are the pool's size",
    },
    ("autoscaling.openshift.io", "ClusterAutoscaler"): {
        "/spec/resourceLimits": "CAP011: the cluster-wide accelerator limits",
    },
    ("argoproj.io", "Application"): {
        "/spec/syncPolicy": "CAP002: automated prune and sync options are the repository's to say",
    },
}
#: Server bookkeeping that is never the repository's to say.
_SERVER_METADATA = frozenset({"uid", "resourceVersion", "generation", "creationTimestamp", "managedFields"})


@dataclass(frozen=True)
class Defaulted:
    """A path the server filled in (``value``) that the object sent did not have, or changed."""

    path: str
    value: t.Any
    #: Why the project cares (the rule), or None when it is only reported.
    cared: str | None = None
    #: True when the object sent had another value there (normalised), False when it had none.
    changed: bool = False


@dataclass
class Checked:
    document: Document
    identity: str
    namespace: str | None
    accepted: bool
    reason: str = ""
    message: str = ""
    defaulted: list[Defaulted] = field(default_factory=list)


@dataclass
class ApplicationRun:
    """One Application's objects (or the bootstrap's), in the order they were sent."""

    name: str
    wave: int
    paths: list[str]
    checked: list[Checked] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Report:
    cluster: str
    setup_seconds: float = 0.0
    runs: list[ApplicationRun] = field(default_factory=list)

    @property
    def checked(self) -> list[Checked]:
        return [c for run in self.runs for c in run.checked]

    @property
    def refused(self) -> list[Checked]:
        return [c for c in self.checked if not c.accepted]

    @property
    def cared_defaults(self) -> list[tuple[Checked, Defaulted]]:
        return [(c, d) for c in self.checked for d in c.defaulted if d.cared]

    @property
    def ok(self) -> bool:
        return not self.refused and not self.cared_defaults

    @property
    def seconds(self) -> float:
        return self.setup_seconds + sum(run.seconds for run in self.runs)

    def run(self, name: str) -> ApplicationRun:
        return next(r for r in self.runs if r.name == name)

    def problems(self) -> list[str]:
        """One line per refused object and per cared-about default."""
        lines = [f"{c.document.ref}: {c.reason} (as {c.identity}): {c.message}" for c in self.refused]
        lines += [
            f"{c.document.ref}: the server defaults {d.path} to {d.value!r}: {d.cared}" for c, d in self.cared_defaults
        ]
        return lines

    def text(self) -> str:
        """The whole run for people: each Application, its objects, the server's defaults."""
        lines = [
            f"conformance of {self.cluster}: {len(self.checked)} objects, {self.seconds:.1f} s",
            f"  (controller: {CONTROLLER}; admin: the cluster-admin who applies the bootstrap)",
        ]
        lines.append(f"  set-up (namespaces, OpenShift GitOps defaults)  {self.setup_seconds:5.2f} s")
        for run in self.runs:
            lines.append(
                f"  {run.name} (wave {run.wave}; {', '.join(run.paths) or 'the overlay'})  {run.seconds:5.2f} s"
            )
            for checked in run.checked:
                verdict = "ok" if checked.accepted else f"REFUSED {checked.reason}: {checked.message}"
                who = "controller" if checked.identity == CONTROLLER else checked.identity
                lines.append(f"    {checked.document.ref:<66} as {who}: {verdict}")
                for default in checked.defaulted:
                    what = "normalised" if default.changed else "defaulted"
                    flag = f"  FAILS: {default.cared}" if default.cared else ""
                    lines.append(f"      {what} {default.path} = {_short(default.value)}{flag}")
        return "\n".join(lines)


def _short(value: t.Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- set-up --------------------------------------------------------------------------


def _rules(grants: t.Iterable[gitops.Grant]) -> list[dict[str, t.Any]]:
    return [{"apiGroups": sorted(g.groups), "resources": sorted(g.resources), "verbs": sorted(g.verbs)} for g in grants]


def namespaces_of(rendered: RenderedOverlay) -> list[str]:
    """Every namespace the render puts an object in, creates, or sends an Application to."""
    names = {gitops.INSTANCE_NAMESPACE}
    for document in rendered.documents:
        if document.namespace:
            names.add(document.namespace)
        if document.kind == "Namespace" and document.api_version == "v1":
            names.add(document.name)
    for followed in rendered.applications:
        destination = followed.application.get("spec", "destination", "namespace")
        if destination:
            names.add(str(destination))
    return sorted(names)


def set_up(server: LocalApiServer, rendered: RenderedOverlay) -> None:
    """Namespaces, the controller's service account and OpenShift GitOps' default grants."""
    for namespace in namespaces_of(rendered):
        server.create_namespace(namespace)
    server.apply(
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": gitops.CONTROLLER_SERVICE_ACCOUNT, "namespace": gitops.INSTANCE_NAMESPACE},
        }
    )
    server.grant(CONTROLLER, gitops.DEFAULT_CLUSTER_ROLE, _rules(gitops.DEFAULT_CLUSTER_GRANTS))
    server.grant(
        CONTROLLER, INSTANCE_ROLE, _rules(gitops.DEFAULT_INSTANCE_NAMESPACE_GRANTS), namespace=gitops.INSTANCE_NAMESPACE
    )


# --- order ---------------------------------------------------------------------------


def wave_of(document: Document) -> int:
    """The object's sync wave; 0 when unset or not a number, as gitops-engine reads it."""
    try:
        return int(str(document.annotations.get(SYNC_WAVE, "0")).strip())
    except ValueError:
        return 0


@dataclass
class _Application:
    document: Document
    parent: str | None
    paths: list[str] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)


def sync_order(rendered: RenderedOverlay) -> list[_Application]:
    """Applications in the order Argo CD reaches them: depth first from the bootstrap's
    Applications, siblings by (sync wave, name). An Application with several sources is one."""
    merged: dict[str, _Application] = {}
    for followed in rendered.applications:
        app = merged.setdefault(followed.application.name, _Application(followed.application, followed.parent))
        app.paths.append(followed.path)
        app.documents.extend(followed.documents)
    children: dict[str | None, list[_Application]] = {}
    for app in merged.values():
        children.setdefault(app.parent, []).append(app)

    def visit(parent: str | None) -> t.Iterator[_Application]:
        for app in sorted(children.get(parent, []), key=lambda a: (wave_of(a.document), a.document.name)):
            yield app
            yield from visit(app.document.name)

    return list(visit(None))


def _in_wave_order(documents: list[Document]) -> list[Document]:
    return [d for _, d in sorted(enumerate(documents), key=lambda pair: (wave_of(pair[1]), pair[0]))]


# --- checks --------------------------------------------------------------------------


def defaults(sent: t.Any, stored: t.Any, path: str = "") -> t.Iterator[tuple[str, t.Any, bool]]:
    """(JSON pointer, value, changed) of every place ``stored`` says more than ``sent``."""
    if isinstance(sent, dict) and isinstance(stored, dict):
        for key, value in stored.items():
            where = f"{path}/{str(key).replace('~', '~0').replace('/', '~1')}"
            if key not in sent:
                yield where, value, False
            else:
                yield from defaults(sent[key], value, where)
    elif isinstance(sent, list) and isinstance(stored, list) and len(sent) == len(stored):
        for index, (before, after) in enumerate(zip(sent, stored, strict=True)):
            yield from defaults(before, after, f"{path}/{index}")
    elif sent != stored:
        yield path, stored, True


def defaulted_paths(document: Document, stored: dict[str, t.Any]) -> list[Defaulted]:
    """What the server filled in: ``defaults`` without its own bookkeeping, judged by ``CARED``."""
    cared = CARED.get((document.group, document.kind), {})
    found = []
    for path, value, changed in defaults(document.obj, stored):
        top = path.split("/")[1:3]
        if top[0] == "status" or (top[0] == "metadata" and (len(top) < 2 or top[1] in _SERVER_METADATA)):
            continue
        if path == "/metadata/namespace" and not document.namespace:
            continue  # the destination namespace, which Argo CD sets
        why = next((rule for prefix, rule in cared.items() if path == prefix or path.startswith(prefix + "/")), None)
        found.append(Defaulted(path, value, why, changed))
    return found


def check(server: LocalApiServer, document: Document, as_user: str | None, destination: str | None) -> Checked:
    """One object as a server-side apply with dryRun=All, as ``as_user`` (None: the admin)."""
    identity = as_user or ADMIN
    resource = server.admin.resource_for(document.api_version, document.kind)
    if resource is None:
        server.forget_discovery()
        resource = server.admin.resource_for(document.api_version, document.kind)
    if resource is None:
        message = f"the server does not serve {document.api_version} {document.kind}"
        return Checked(document, identity, None, False, "NotServed", message)
    namespace = (document.namespace or destination or "default") if resource.namespaced else None
    answer = server.admin.dry_run_apply(document.obj, resource, namespace, FIELD_MANAGER, as_user)
    if not answer.accepted:
        return Checked(document, identity, namespace, False, answer.reason, answer.message)
    return Checked(document, identity, namespace, True, defaulted=defaulted_paths(document, answer.body))


def bootstrap_documents(rendered: RenderedOverlay) -> list[Document]:
    """The overlay's own objects: what the cluster-admin applies (not the validation builds)."""
    return [d for d in rendered.documents if d.application is None and d.rendered_from == rendered.name]


def bootstrap_rbac(rendered: RenderedOverlay) -> list[Document]:
    """The bootstrap's RBAC: what ``run_suite`` applies for real."""
    return [d for d in bootstrap_documents(rendered) if d.kind in RBAC_KINDS and d.group == "rbac.authorization.k8s.io"]


def run_suite(
    server: LocalApiServer, rendered: RenderedOverlay, controller: str = CONTROLLER, label: str | None = None
) -> Report:
    """The whole suite for one cluster's render (the module docstring says what it does);
    ``label`` names the cluster in the report (default: the overlay)."""
    report = Report(label or rendered.name)
    started = time.monotonic()
    set_up(server, rendered)
    report.setup_seconds = time.monotonic() - started

    started = time.monotonic()
    bootstrap = ApplicationRun(BOOTSTRAP, 0, [])
    own = bootstrap_documents(rendered)
    bootstrap.checked = [check(server, d, None, None) for d in own]
    for document in bootstrap_rbac(rendered):
        server.apply(document.obj)
    bootstrap.seconds = time.monotonic() - started
    report.runs.append(bootstrap)

    for app in sync_order(rendered):
        started = time.monotonic()
        destination = app.document.get("spec", "destination", "namespace")
        run = ApplicationRun(app.document.name, wave_of(app.document), app.paths)
        run.checked = [check(server, d, controller, destination) for d in _in_wave_order(app.documents)]
        run.seconds = time.monotonic() - started
        report.runs.append(run)
    return report


class ServerPool:
    """API servers for suite runs, one reused by a later run only where that leaves it as a
    fresh one would be. A run writes its set-up (namespaces, the controller's service account,
    OpenShift GitOps' default grants: the same for every cluster, and every namespace a render
    uses is created by its own set-up) and its bootstrap's RBAC, which it applies before its
    dry runs: a server-side apply that replaces each object whole (rules and subjects are
    atomic lists). So a run whose bootstrap has every RBAC object the earlier runs on a server
    applied (same kind, namespace and name) finds that server as a fresh one after its own
    applies; a run that lacks one (prod without its bootstrap RBAC after prod) would inherit
    rights, and gets a server of its own."""

    def __init__(self, start: t.Callable[[str], LocalApiServer]) -> None:
        self._start = start
        #: Each server and the refs of the RBAC objects applied on it.
        self._servers: list[tuple[LocalApiServer, set[str]]] = []

    def for_cluster(self, rendered: RenderedOverlay) -> LocalApiServer:
        """A server for one ``run_suite`` of ``rendered``."""
        rbac = {d.ref for d in bootstrap_rbac(rendered)}
        for server, applied in self._servers:
            if applied <= rbac:
                applied |= rbac
                return server
        server = self._start(f"conformance-{len(self._servers)}")
        self._servers.append((server, rbac))
        return server


# --- clusters ------------------------------------------------------------------------

INFERENTIA = "-inferentia"


def cluster_names() -> list[str]:
    """Every cluster of the repository, and each that has Inferentia off with it on."""
    names = []
    for overlay in list_overlays(load_settings(REPO)):
        names.append(overlay.name)
        if INFERENTIA_LINE in (overlay / "kustomization.yaml").read_text():
            names.append(overlay.name + INFERENTIA)
    return names


def render_cluster(name: str, scratch: Path) -> RenderedOverlay:
    """The render of cluster ``name``; ``<cluster>-inferentia`` from a repository copy under
    ``scratch`` with Inferentia on."""
    settings = load_settings(REPO)
    if not name.endswith(INFERENTIA):
        return render_model(settings.overlays / name, settings)
    cluster = name.removesuffix(INFERENTIA)
    root = copy_repository(scratch / name)
    enable_inferentia(root, cluster)
    saved = {"ACCELCAP_REPO": os.environ.get("ACCELCAP_REPO")}
    os.environ["ACCELCAP_REPO"] = str(root)
    load_settings.cache_clear()
    try:
        copied = load_settings(root)
        return render_model(copied.overlays / cluster, copied)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        load_settings.cache_clear()
