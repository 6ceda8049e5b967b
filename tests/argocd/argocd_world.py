"""A cluster with the real Argo CD on it: the harness of the tests in tests/argocd.

``ArgoCDWorld`` starts, on loopback and in a directory of its own:

- the real kube-apiserver and etcd (``tests/kube``), serving the CRDs a cluster has before any
  operator is installed: OLM's, Argo CD's at the pinned tag, the OpenShift config, Machine API
  and autoscaler kinds, and the ``ArgoCD`` kind of the OpenShift GitOps operator. The operators'
  own CRDs come from the fake OLM (``fake_operators``) when their Subscription appears;
- Debian's ``redis-server`` (Argo CD's cache);
- a git repository holding the tree under test (a copy of this repository's manifests), served
  to the repo-server as ``file://``. The copy's repoURL (``https://github.com/example-org/...``)
  is rewritten to that URL everywhere: nothing else of the tree changes;
- Argo CD's repo-server and application controller (``argocd_binaries``), as OpenShift GitOps
  runs them for its default instance: namespace ``openshift-gitops``, service account
  ``openshift-gitops-argocd-application-controller`` with the operator's cluster-config rules
  (``accelcap.catalog.gitops``) and, in its namespace, the operator's Role (its rules plus the
  ``admin`` ClusterRole's); the rest comes from the bootstrap's ClusterRole, never cluster-admin.

The bootstrap is applied as the runbook's cluster-admin does (docs/runbook.md, "Bootstrap"):
step 1 the ``platform`` objects, step 2 the operator's translation of the ``ArgoCD`` instance's
``resourceHealthChecks`` into argocd-cm (the one thing of the GitOps operator the harness
does, as argocd-operator does it: key ``resource.customizations.health.<group>_<kind>``),
step 3 the root Application.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
import time
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

import argocd_binaries  # noqa: F401  (puts tests/kube on sys.path)
import yaml
from fake_operators import FakeOperators
from kube_support import DATA, LocalApiServer, free_port, service_account_user, start_api_server
from schema_crds import schema_crds

from accelcap.catalog.argocd_health import ARGOCD_TAG
from accelcap.catalog.gitops import (
    CONTROLLER_SERVICE_ACCOUNT,
    DEFAULT_CLUSTER_GRANTS,
    DEFAULT_CLUSTER_ROLE,
    DEFAULT_INSTANCE_NAMESPACE_GRANTS,
    INSTANCE_NAMESPACE,
    Grant,
)
from accelcap.config import load_settings
from accelcap.render import render_overlay
from support import copy_repository, enable_inferentia, shared_dir

REPO_URL = "https://github.com/example-org/accelerator-capacity.git"
BOOTSTRAP_LABEL = "accel-capacity.io/bootstrap"
APPLICATION = ("argoproj.io/v1alpha1", "Application")
MACHINE_SET = ("machine.openshift.io/v1beta1", "MachineSet")
MACHINE_AUTOSCALER = ("autoscaling.openshift.io/v1beta1", "MachineAutoscaler")
CLUSTER_AUTOSCALER = ("autoscaling.openshift.io/v1", "ClusterAutoscaler")
#: Applications are reconciled this often (OpenShift GitOps: 180 s), and the repo-server trusts a
#: branch's resolved revision as long (a real install keeps the two equal): Argo CD's behaviour on
#: a short clock, so that the tests see several reconciles, and a commit, within seconds.
RESYNC_SECONDS = 3
START_SECONDS = 60
#: How often a wait asks again (each poll is a few GETs on loopback).
POLL_SECONDS = 0.25


class HarnessError(Exception):
    """Something the tests need (Go, redis-server, git) is missing or did not start."""


def _rule(grant: Grant) -> dict[str, t.Any]:
    return {"apiGroups": sorted(grant.groups), "resources": sorted(grant.resources), "verbs": sorted(grant.verbs)}


def argocd_crd_files() -> list[Path]:
    """Application, AppProject and ApplicationSet at the pinned tag (crds/SOURCES.txt has one
    row per tag for each path: told apart by the directory of the tag)."""
    root = shared_dir() / "crds" / f"argoproj__argo-cd@{ARGOCD_TAG}" / "manifests" / "crds"
    files = sorted(root.glob("*-crd.yaml"))
    if len(files) != 3:
        raise HarnessError(f"the Argo CD CRDs of {ARGOCD_TAG} are not in the shared data: {root}")
    return files


def base_crd_files() -> list[Path]:
    """What a cluster serves before the operators: OLM, Machine API, autoscaler, config kinds."""
    crds = shared_dir() / "crds"
    return [
        *sorted((crds / "operator-framework__api").rglob("*.yaml")),
        *sorted((crds / "openshift__cluster-autoscaler-operator").rglob("*.yaml")),
        *sorted((crds / "openshift__api").rglob("*.yaml")),
        DATA / "openshift-config-crds.yaml",
        DATA / "machine-crds.yaml",
        *argocd_crd_files(),
    ]


@functools.cache
def base_crd_documents() -> list[tuple[str, t.Any]]:
    """(file, document) of ``base_crd_files``, parsed once per process with libyaml: 1.7 MB of
    CRDs, 2.4 s with the pure-Python loader on the development machine, 0.3 s with libyaml."""
    return [(str(path), document) for path in base_crd_files()
            for document in yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader)]  # fmt: skip


def redis_server() -> str:
    found = shutil.which("redis-server")
    if found is None:
        raise HarnessError("redis-server is not on PATH: install Debian's redis-server (.ci/run does)")
    return found


@dataclass
class GitRepository:
    """The tree under test in a local git repository, on branch ``main``."""

    path: Path

    @property
    def url(self) -> str:
        return f"file://{self.path}"

    def git(self, *args: str) -> str:
        env = {
            **os.environ, "GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.org",
            "GIT_COMMITTER_NAME": "test", "GIT_COMMITTER_EMAIL": "test@example.org", "GIT_CONFIG_NOSYSTEM": "1",
        }  # fmt: skip
        result = subprocess.run(["git", *args], cwd=self.path, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise HarnessError(f"git {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD").strip()

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.path / relative
        text = path.read_text()
        assert old in text, f"{relative} has no {old!r}"
        path.write_text(text.replace(old, new))


def make_repository(path: Path, *, inferentia: bool) -> GitRepository:
    copy_repository(path)
    if inferentia:
        enable_inferentia(path)
    repository = GitRepository(path)
    for file in [*path.rglob("*.yaml"), path / "pyproject.toml"]:
        text = file.read_text()
        if REPO_URL in text:
            file.write_text(text.replace(REPO_URL, repository.url))
    repository.git("init", "-q", "-b", "main")
    repository.commit("the tree under test")
    return repository


@dataclass
class ArgoCDWorld:
    server: LocalApiServer
    repository: GitRepository
    workdir: Path
    argocd: Path
    kustomize: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: dict[str, Path] = field(default_factory=dict)

    # --- reading Argo CD's word ------------------------------------------------------------

    def application(self, name: str) -> dict[str, t.Any] | None:
        resource = self.server.resource(*APPLICATION)
        return self.server.admin.find(resource, name, INSTANCE_NAMESPACE)

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> dict[str, t.Any] | None:
        return self.server.admin.find(self.server.resource(api_version, kind), name, namespace)

    def list_of(self, api_version: str, kind: str, namespace: str | None = None) -> list[dict[str, t.Any]]:
        try:
            resource = self.server.resource(api_version, kind)
        except AssertionError:
            return []  # not served yet
        return list(self.server.admin.get(resource, None, namespace)["items"])

    def wait_for(self, what: str, probe: t.Callable[[], t.Any], seconds: float = 120) -> t.Any:
        """Poll ``probe`` until it returns something true; fail naming ``what`` and Argo CD's state."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.check_running()
            found = probe()
            if found:
                return found
            time.sleep(POLL_SECONDS)
        raise AssertionError(f"not within {seconds:g}s: {what}\n{self.describe()}")

    def wait_settled(self, *names: str, seconds: float = 120) -> None:
        """Wait until each Application has settled after its sync, before a test edits live objects.

        Synced and Healthy is not enough: right after a first sync the controller may still start
        a second, partial auto-sync from a comparison taken before the sync finished, and with
        RespectIgnoreDifferences it normalises the target with that stale live state, undoing an
        edit made in between. Settled: Synced and Healthy, the last operation Succeeded, no
        operation pending, and a reconcile (``status.reconciledAt``) after the operation finished
        (``operationState.finishedAt``) that still says Synced.
        """

        def settled() -> bool:
            return all(application_settled(self.application(name)) for name in names)

        self.wait_for(f"{', '.join(names)} settled (Synced, Healthy, reconciled after the sync)", settled, seconds)

    def check_running(self) -> None:
        for name, process in zip(self.logs, self.processes, strict=False):
            if process.poll() is not None:
                raise AssertionError(f"{name} exited with {process.returncode}:\n{tail(self.logs[name])}")

    def describe(self) -> str:
        lines = []
        for app in self.list_of(*APPLICATION, INSTANCE_NAMESPACE):
            status = app.get("status") or {}
            lines.append(
                f"  {app['metadata']['name']}: sync={status.get('sync', {}).get('status')} "
                f"health={status.get('health', {}).get('status')} "
                f"operation={(status.get('operationState') or {}).get('phase')} "
                f"{(status.get('operationState') or {}).get('message', '')[:300]} "
                f"conditions={[c.get('message', '')[:200] for c in status.get('conditions') or []]}"
            )
        return "Applications:\n" + "\n".join(lines) + f"\ncontroller log:\n{tail(self.logs['controller'], 12)}"

    # --- the bootstrap, as the runbook's cluster-admin ---------------------------------------

    def bootstrap(self) -> None:
        settings = load_settings(self.repository.path)
        overlay = render_overlay(self.repository.path / "overlays" / "prod", settings)
        bootstrap = [d.obj for d in overlay.documents if BOOTSTRAP_LABEL in (d.obj["metadata"].get("labels") or {})]
        platform = [o for o in bootstrap if o["metadata"]["labels"][BOOTSTRAP_LABEL] == "platform"]
        root = [o for o in bootstrap if o["metadata"]["labels"][BOOTSTRAP_LABEL] == "root"]
        assert platform and len(root) == 1, f"the bootstrap has no platform objects or not one root: {bootstrap}"
        for obj in platform:  # step 1
            self.server.apply(obj)
        self.write_health_checks()  # step 2, the GitOps operator's part
        for obj in root:  # step 3
            self.server.apply(obj)

    def write_health_checks(self) -> None:
        """What argocd-operator does with the instance's resourceHealthChecks: one argocd-cm key
        ``resource.customizations.health.<group>_<kind>`` per entry, from the applied ArgoCD."""
        instance = self.get("argoproj.io/v1beta1", "ArgoCD", "openshift-gitops", INSTANCE_NAMESPACE) or {}
        data = dict(ARGOCD_CM_DATA)
        for entry in (instance.get("spec") or {}).get("resourceHealthChecks") or []:
            data[f"resource.customizations.health.{entry.get('group', '')}_{entry['kind']}"] = entry["check"]
        self.server.apply(configmap("argocd-cm", data))

    # --- lifecycle -----------------------------------------------------------------------------

    def spawn(self, name: str, command: list[str], env: dict[str, str]) -> None:
        log = self.workdir / f"{name}.log"
        with log.open("wb") as output:
            self.processes.append(
                subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
            )
        self.logs[name] = log

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in reversed(self.processes):
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


#: argocd-cm as the GitOps operator leaves it for what these tests need (plus the health checks).
ARGOCD_CM_DATA: dict[str, str] = {}


#: Argo CD reads only the ConfigMaps and Secrets of its namespace that carry this label.
PART_OF_ARGOCD = {"app.kubernetes.io/part-of": "argocd"}


def configmap(name: str, data: dict[str, str]) -> dict[str, t.Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": INSTANCE_NAMESPACE, "labels": PART_OF_ARGOCD}, "data": data}  # fmt: skip


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _wait_port(world: ArgoCDWorld, name: str, port: int) -> None:
    import socket

    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        world.check_running()
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.2)
    raise HarnessError(f"{name} did not listen on 127.0.0.1:{port} in {START_SECONDS}s:\n{tail(world.logs[name])}")


def setup_controller_identity(server: LocalApiServer) -> None:
    """The default instance's controller service account with what the GitOps operator gives it."""
    user = service_account_user(INSTANCE_NAMESPACE, CONTROLLER_SERVICE_ACCOUNT)
    server.grant(user, DEFAULT_CLUSTER_ROLE, [_rule(g) for g in DEFAULT_CLUSTER_GRANTS])
    server.grant(user, CONTROLLER_SERVICE_ACCOUNT, [_rule(g) for g in DEFAULT_INSTANCE_NAMESPACE_GRANTS],
                 namespace=INSTANCE_NAMESPACE)  # fmt: skip
    # getPolicyRuleForApplicationController appends the rules of the cluster's `admin` role to
    # that Role: the same as binding `admin` in the instance namespace only.
    server.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": f"{CONTROLLER_SERVICE_ACCOUNT}-admin", "namespace": INSTANCE_NAMESPACE},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "admin"},
            "subjects": [
                {"kind": "ServiceAccount", "name": CONTROLLER_SERVICE_ACCOUNT, "namespace": INSTANCE_NAMESPACE}
            ],
        }
    )


NAMESPACES = ("openshift-gitops", "openshift-machine-api", "openshift-config")


@contextlib.contextmanager
def start_world(
    kube: dict[str, Path], argocd: dict[str, Path], workdir: Path, *, inferentia: bool = False
) -> t.Iterator[ArgoCDWorld]:
    """Everything of the module docstring, until the block ends (also when it fails)."""
    redis = redis_server()
    if shutil.which("git") is None:
        raise HarnessError("git is not on PATH: Argo CD's repo-server needs it")
    phases = Phases(workdir / "start-phases.txt")
    repository = make_repository(workdir / "repository", inferentia=inferentia)
    phases.done("the tree under test committed")
    with start_api_server(kube["etcd"], kube["kube-apiserver"], workdir / "kube") as server:
        phases.done("etcd and the API server ready")
        # One batch: every CRD created, then one wait for all to be established.
        server.install_crd_documents(
            [
                *base_crd_documents(),
                *((f"built from the schema of {c['spec']['names']['kind']}", c)
                  for c in schema_crds(shared_dir()) if c["spec"]["group"] == "argoproj.io"),
            ]
        )  # fmt: skip
        phases.done("CRDs established")
        for namespace in NAMESPACES:
            server.create_namespace(namespace)
        setup_controller_identity(server)
        server.apply(configmap("argocd-cm", ARGOCD_CM_DATA))
        server.apply(
            {"apiVersion": "v1", "kind": "Secret",
             "metadata": {"name": "argocd-secret", "namespace": INSTANCE_NAMESPACE, "labels": PART_OF_ARGOCD},
             "data": {"server.secretkey": "bm90LWEtc2VjcmV0LXRlc3Qta2V5"}}  # base64 of a test key
        )  # fmt: skip
        token = server.token_for(INSTANCE_NAMESPACE, CONTROLLER_SERVICE_ACCOUNT)
        kubeconfig = server.kubeconfig_as(workdir / "controller.kubeconfig", token, "controller")
        world = ArgoCDWorld(server, repository, workdir, argocd["argocd"], argocd["kustomize"])
        phases.done("namespaces, the controller's identity, argocd-cm")
        try:
            tmp = workdir / "tmp"
            tmp.mkdir()
            env = {
                "PATH": os.pathsep.join([str(world.kustomize.parent), os.environ.get("PATH", "")]),
                "HOME": str(workdir), "TMPDIR": str(tmp), "ARGOCD_GPG_ENABLED": "false",
                "GIT_CONFIG_NOSYSTEM": "1",
            }  # fmt: skip
            redis_port, repo_port = free_port(), free_port()
            world.spawn(
                "redis",
                [redis, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                env,
            )
            _wait_port(world, "redis", redis_port)
            phases.done("redis listening")
            world.spawn(
                "repo-server",
                [str(world.argocd), "--address", "127.0.0.1", "--port", str(repo_port),
                 "--metrics-address", "127.0.0.1", "--metrics-port", str(free_port()), "--disable-tls",
                 "--redis", f"127.0.0.1:{redis_port}", "--loglevel", "info",
                 # How long the repo-server trusts a branch's resolved revision. Its default is
                 # ARGOCD_RECONCILIATION_TIMEOUT (3 min; reposerver/cache/cache.go), which a real
                 # install sets for the controller's --app-resync too: the two clocks stay equal
                 # here, or a commit would wait 3 min for the repo-server to see it.
                 "--revision-cache-expiration", f"{RESYNC_SECONDS}s"],
                {**env, "ARGOCD_BINARY_NAME": "argocd-repo-server"},
            )  # fmt: skip
            _wait_port(world, "repo-server", repo_port)
            phases.done("repo-server listening")
            world.spawn(
                "controller",
                [str(world.argocd), "--kubeconfig", str(kubeconfig), "--namespace", INSTANCE_NAMESPACE,
                 "--repo-server", f"127.0.0.1:{repo_port}", "--repo-server-plaintext",
                 "--redis", f"127.0.0.1:{redis_port}", "--metrics-port", str(free_port()),
                 "--app-resync", str(RESYNC_SECONDS), "--app-resync-jitter", "0",
                 "--status-processors", "4", "--operation-processors", "4", "--loglevel", "info"],
                # ARGOCD_FAKE_IN_CLUSTER: Argo CD's own switch for a controller outside a pod (its
                # local development setup): the in-cluster destination uses KUBECONFIG, here the
                # service account's token, where a pod would use its mounted token.
                {**env, "ARGOCD_BINARY_NAME": "argocd-application-controller", "ARGOCD_FAKE_IN_CLUSTER": "true",
                 "KUBECONFIG": str(kubeconfig)},
            )  # fmt: skip
            phases.done("controller started")
            yield world
        finally:
            world.stop()


@dataclass
class Phases:
    """How long each step of a world's start took, written to ``path`` as it goes (seconds per
    line): where the time of a world goes, for docs/validate.md's figures."""

    path: Path
    last: float = field(default_factory=time.monotonic)

    def done(self, what: str) -> None:
        now = time.monotonic()
        with self.path.open("a") as out:
            out.write(f"{now - self.last:6.2f}s {what}\n")
        self.last = now


def application_settled(app: dict[str, t.Any] | None) -> bool:
    """``ArgoCDWorld.wait_settled``'s test on one Application as Argo CD wrote it."""
    status = (app or {}).get("status") or {}
    operation = status.get("operationState") or {}
    finished, reconciled = operation.get("finishedAt"), status.get("reconciledAt")
    return (
        status_of(app) == ("Synced", "Healthy")
        and operation.get("phase") == "Succeeded"
        and not (app or {}).get("operation")
        # RFC 3339 in UTC with whole seconds: the strings order as the times do.
        and bool(finished and reconciled and reconciled > finished)
    )


def status_of(app: dict[str, t.Any] | None) -> tuple[str | None, str | None]:
    """(sync status, health status) of an Application as Argo CD wrote them."""
    status = (app or {}).get("status") or {}
    return (status.get("sync") or {}).get("status"), (status.get("health") or {}).get("status")


def watch_waves(operators: FakeOperators) -> None:
    """Record when Argo CD first said prod-operators is Healthy (``("healthy", "prod-operators")``),
    when the root created the Application prod-capacity (``("exists", "Application prod-capacity")``)
    and when the first object of prod-capacity appeared (``("exists", "prod-capacity object")``):
    the watcher runs in the fake operators' loop, every ``fake_operators.POLL_SECONDS``."""
    server = operators.server

    def watch() -> None:
        resource = server.admin.resource_for(*APPLICATION)
        app = server.admin.find(resource, "prod-operators", INSTANCE_NAMESPACE) if resource else None
        if status_of(app)[1] == "Healthy":
            operators.mark("healthy", "prod-operators")
        if resource and server.admin.find(resource, "prod-capacity", INSTANCE_NAMESPACE):
            operators.mark("exists", "Application prod-capacity")
        for api_version, kind in (MACHINE_SET, MACHINE_AUTOSCALER, CLUSTER_AUTOSCALER):
            found = server.admin.resource_for(api_version, kind)
            if found is not None and server.admin.get(found)["items"]:
                operators.mark("exists", "prod-capacity object")

    operators.watchers["waves"] = watch


#: ``with argocd_world(inferentia=..., operand_delay=...) as (world, operators)`` (conftest).
World = t.Callable[..., t.ContextManager[tuple[ArgoCDWorld, t.Any]]]
