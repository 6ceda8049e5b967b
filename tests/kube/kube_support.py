"""A real Kubernetes API server on loopback for the tests (as controller-runtime's envtest).

``start_api_server`` starts etcd and kube-apiserver (built by ``binaries``) on free loopback
ports, with RBAC on, a static admin token (group ``system:masters``), service-account keys
generated into a temporary directory, a self-signed serving certificate (the API server
writes it into ``--cert-dir``; the kubeconfig trusts it) and a kubeconfig for the tools. It
waits for ``/readyz`` with a bounded timeout and fails with the server's last log lines.

``LocalApiServer`` has the helpers tests use to set a cluster up (these write for real,
through the ``kubernetes`` client: the project's ``accelcap.kube_client`` is read-only):
install CRDs, create namespaces, create or server-side apply objects, grant RBAC; and to
check objects the way Argo CD's application controller would send them: a server-side apply
with ``dryRun=All`` and ``fieldValidation=Strict``, impersonating a service account.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import http.server
import json
import secrets
import signal
import socket
import ssl
import subprocess
import threading
import time
import typing as t
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from schema_crds import schema_crds

from accelcap.errors import InputError
from accelcap.kube_client import ApiResource, Cluster, Connection, DryRun
from accelcap.render import Document, RenderedOverlay
from accelcap.validate import Validator
from accelcap.validate.pinned import pinned_crds
from mirror import crd_rows
from support import first, shared_dir

DATA = Path(__file__).resolve().parent / "data"
START_SECONDS = 120
STOP_SECONDS = 5
ADMIN = "admin"
#: The identity that server-side dry runs of rendered objects are sent as by default.
ARGOCD_CONTROLLER = ("openshift-gitops", "openshift-gitops-argocd-application-controller")
TEST_FIELD_MANAGER = "accelcap-tests"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def service_account_user(namespace: str, name: str) -> str:
    return f"system:serviceaccount:{namespace}:{name}"


class StartError(Exception):
    """etcd or kube-apiserver did not come up; the message has their last log lines."""


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(text[-lines:])


def _wait(what: str, probe: t.Callable[[], bool], process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StartError(f"{what} exited with {process.returncode}:\n{_tail(log)}")
        try:
            if probe():
                return
        except (OSError, urllib.error.URLError, ssl.SSLError):
            pass
        time.sleep(0.25)
    raise StartError(f"{what} not ready in {START_SECONDS}s:\n{_tail(log)}")


def _service_account_keys(directory: Path) -> tuple[Path, Path]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private, public = directory / "sa.key", directory / "sa.pub"
    private.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    public.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return private, public


@dataclass
class LocalApiServer:
    url: str
    kubeconfig: Path
    token: str
    workdir: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _client: t.Any = None
    _admin: Cluster | None = None

    # --- reading, through the project's client --------------------------------------

    def connection(self, **overrides: t.Any) -> Connection:
        return Connection(kubeconfig=self.kubeconfig, **overrides)

    @property
    def admin(self) -> Cluster:
        """The project's read-only client, as the admin (fresh discovery after CRD installs)."""
        if self._admin is None:
            self._admin = Cluster(self.connection())
        return self._admin

    def forget_discovery(self) -> None:
        if self._admin is not None:
            self._admin.close()
        self._admin = None

    def resource(self, api_version: str, kind: str) -> ApiResource:
        found = self.admin.resource_for(api_version, kind)
        if found is None:
            self.forget_discovery()  # a CRD installed since the last look
            found = self.admin.resource_for(api_version, kind)
        assert found is not None, f"the test API server does not serve {api_version} {kind}"
        return found

    def dry_run_apply(self, obj: dict[str, t.Any], as_user: str | None = None, namespace: str | None = None) -> DryRun:
        """Server-side apply with dryRun=All and fieldValidation=Strict, as ``as_user``
        (a ``system:serviceaccount:NS:NAME``) or the admin."""
        resource = self.resource(str(obj.get("apiVersion")), str(obj.get("kind")))
        namespace = namespace or (obj.get("metadata") or {}).get("namespace") or "default"
        return self.admin.dry_run_apply(obj, resource, namespace, TEST_FIELD_MANAGER, as_user)

    def dry_run_as_controller(self, obj: dict[str, t.Any], namespace: str | None = None) -> DryRun:
        return self.dry_run_apply(obj, service_account_user(*ARGOCD_CONTROLLER), namespace)

    # --- setting the cluster up (writes, test-only) -----------------------------------

    @property
    def client(self) -> t.Any:
        if self._client is None:
            from kubernetes import config

            self._client = config.new_client_from_config(str(self.kubeconfig), persist_config=False)
        return self._client

    def _write(
        self,
        method: str,
        path: str,
        body: t.Any,
        query: t.Sequence[tuple[str, str]] = (),
        content_type: str = "application/json",
    ) -> tuple[int, dict[str, t.Any]]:
        method, url, headers, _, _ = self.client.param_serialize(
            method, path, query_params=list(query), auth_settings=["BearerToken"],
            header_params={"Accept": "application/json", "Content-Type": content_type},
        )  # fmt: skip
        payload = body if "json" in content_type else json.dumps(body)  # the client encodes JSON itself
        response = self.client.call_api(method, url, header_params=headers, body=payload, _request_timeout=(5, 60))
        return int(response.status), json.loads(response.read() or b"{}")

    def apply(self, obj: dict[str, t.Any]) -> dict[str, t.Any]:
        """Server-side apply for real (as the admin); the object as stored."""
        meta = obj.get("metadata") or {}
        return self._apply(obj, meta.get("namespace") or "default", "", "apply")

    def apply_status(self, obj: dict[str, t.Any]) -> None:
        """Set ``obj``'s status through its status subresource."""
        self._apply(obj, obj["metadata"].get("namespace"), "/status", "status of")

    def _apply(self, obj: dict[str, t.Any], namespace: str | None, subresource: str, what: str) -> dict[str, t.Any]:
        resource = self.resource(str(obj["apiVersion"]), str(obj["kind"]))
        name = obj["metadata"]["name"]
        status, answer = self._write(
            "PATCH",
            resource.path(name, namespace) + subresource,
            obj,
            [("fieldManager", TEST_FIELD_MANAGER), ("force", "true")],
            "application/apply-patch+yaml",
        )
        assert 200 <= status < 300, f"{what} {obj['kind']}/{name}: HTTP {status} {answer.get('message')}"
        return t.cast(dict[str, t.Any], answer)

    def create_namespace(self, name: str) -> None:
        """A namespace and its ``default`` service account (which kube-controller-manager,
        not running here, would create; the ServiceAccount admission plugin wants it)."""
        self.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
        self.apply({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": name}})

    def install_crds(self, files: t.Iterable[Path]) -> list[str]:
        """Create every CRD in ``files`` (YAML, one or more documents) and wait until each is
        established; their names."""
        return self.install_crd_documents((str(path), document) for path in files for document in crd_file(path))

    def install_crd_documents(self, documents: t.Iterable[tuple[str, t.Any]]) -> list[str]:
        """Create every CRD of ``documents`` ((where it came from, object) pairs; other kinds
        are skipped) and wait until each is established; their names.

        All are created first, then each poll lists the CRDs once and reads every one's
        conditions: the server establishes them side by side, one wait covers them all."""
        names = []
        for where, document in documents:
            if isinstance(document, dict) and document.get("kind") == "CustomResourceDefinition":
                status, answer = self._write(
                    "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", document
                )
                assert status in (201, 409), f"CRD {where}: HTTP {status} {answer.get('message')}"
                names.append(document["metadata"]["name"])
        deadline = time.monotonic() + 60
        pending = set(names)
        while pending:
            listed = self.admin.get("customresourcedefinitions.apiextensions.k8s.io")
            for crd in listed.get("items") or []:
                conditions = {c.get("type"): c.get("status") for c in (crd.get("status") or {}).get("conditions") or []}
                if conditions.get("Established") == "True":
                    pending.discard(crd["metadata"]["name"])
            if not pending or time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        assert not pending, f"CRDs not established in 60s: {sorted(pending)}"
        self.forget_discovery()
        return names

    def grant(self, user: str, name: str, rules: list[dict[str, t.Any]], namespace: str | None = None) -> None:
        """A (Cluster)Role with ``rules`` bound to ``user`` (a service account's user name)."""
        kind = "Role" if namespace else "ClusterRole"
        meta: dict[str, t.Any] = {"name": name, **({"namespace": namespace} if namespace else {})}
        self.apply({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": meta, "rules": rules})
        _, sa_namespace, sa_name = user.rsplit(":", 2)
        self.apply(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": f"{kind}Binding",
                "metadata": meta,
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name},
                "subjects": [{"kind": "ServiceAccount", "name": sa_name, "namespace": sa_namespace}],
            }
        )

    def delete(self, api_version: str, kind: str, name: str | None = None, namespace: str | None = None,
               label_selector: str | None = None) -> None:  # fmt: skip
        """Delete one object, or (without ``name``) every object of the kind the selector
        selects, at once (grace period 0: no kubelet runs here to finish a graceful delete)."""
        resource = self.resource(api_version, kind)
        path = resource.path(name, namespace if resource.namespaced else None)
        query = [("gracePeriodSeconds", "0")] + ([("labelSelector", label_selector)] if label_selector else [])
        status, answer = self._write("DELETE", path, None, query)
        assert status in (200, 202, 404), (
            f"delete {kind} {name or label_selector}: HTTP {status} {answer.get('message')}"
        )

    def bind(self, namespace: str, pod: str, node: str) -> None:
        """Bind a pod to a node, as the scheduler does (the pods/binding subresource)."""
        status, answer = self._write(
            "POST", f"/api/v1/namespaces/{namespace}/pods/{pod}/binding",
            {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": pod},
             "target": {"apiVersion": "v1", "kind": "Node", "name": node}},
        )  # fmt: skip
        assert status == 201, f"bind {namespace}/{pod} to {node}: HTTP {status} {answer.get('message')}"

    def token_for(self, namespace: str, name: str) -> str:
        """A token of the service account NAMESPACE/NAME (created when missing)."""
        self.apply({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": namespace}})
        status, answer = self._write(
            "POST", f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token",
            {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}},
        )  # fmt: skip
        assert status == 201, f"token of {namespace}/{name}: HTTP {status} {answer.get('message')}"
        return str(answer["status"]["token"])

    def kubeconfig_as(self, path: Path, token: str, context: str = "test") -> Path:
        """A kubeconfig for this server with another token."""
        return write_kubeconfig(path, self.url, self.workdir / "certs" / "apiserver.crt", token, context)

    def stop(self) -> None:
        """Stop the processes in the reverse of their start order, each given ``STOP_SECONDS``
        after a SIGTERM before a kill: kube-apiserver before the etcd its graceful shutdown
        still writes to (stopped together, it waits out its timeout on a gone etcd)."""
        self.forget_discovery()
        if self._client is not None:
            self._client.close()
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_SECONDS)


class FakeKubelet:
    """The part of a kubelet the API server calls for ``pods/log``: an HTTPS endpoint on
    loopback that answers ``GET /containerLogs/<namespace>/<pod>/<container>`` with the log a
    test sets in ``logs``. A Node whose ``status.addresses`` is ``127.0.0.1`` and whose
    ``status.daemonEndpoints.kubeletEndpoint.Port`` is ``port`` makes the real API server
    relay its pods' logs from here (it does not verify a kubelet's certificate unless
    ``--kubelet-certificate-authority`` is set, and this one is self-signed)."""

    def __init__(self, workdir: Path) -> None:
        self.logs: dict[tuple[str, str, str], str] = {}
        self.requests: list[str] = []
        certificate, key = _self_signed(workdir, "fake-kubelet")
        logs, requests = self.logs, self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                requests.append(self.path)
                parts = urllib.parse.urlparse(self.path).path.strip("/").split("/")
                found = logs.get(tuple(parts[1:4])) if len(parts) == 4 and parts[0] == "containerLogs" else None
                body = (found if found is not None else "no such container log").encode()
                self.send_response(200 if found is not None else 404)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: t.Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certificate, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = int(self.server.server_address[1])
        # shutdown() waits for serve_forever to notice: every 50 ms, not every 0.5 s.
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> t.Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _self_signed(directory: Path, name: str) -> tuple[Path, Path]:
    """A self-signed serving certificate for 127.0.0.1 and its key (PEM files)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / f"{name}.crt", directory / f"{name}.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


def write_kubeconfig(path: Path, server: str, ca: Path, token: str, context: str = "test", user: str = ADMIN) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": context, "cluster": {"server": server, "certificate-authority": str(ca)}}],
                "users": [{"name": user, "user": {"token": token}}],
                "contexts": [{"name": context, "context": {"cluster": context, "user": user}}],
                "current-context": context,
            }
        )
    )
    return path


def _spawn(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:  # the child keeps its own descriptor
        return subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


@contextlib.contextmanager
def start_api_server(etcd: Path, kube_apiserver: Path, workdir: Path) -> t.Iterator[LocalApiServer]:
    """etcd and kube-apiserver on loopback until the block ends (also when it fails)."""
    workdir.mkdir(parents=True, exist_ok=True)
    server: LocalApiServer | None = None
    processes: list[subprocess.Popen[bytes]] = []
    try:
        etcd_port, peer_port, api_port = free_port(), free_port(), free_port()
        etcd_url, peer_url = f"http://127.0.0.1:{etcd_port}", f"http://127.0.0.1:{peer_port}"
        etcd_log = workdir / "etcd.log"
        processes.append(
            _spawn(
                [
                    str(etcd), "--name", "test", "--data-dir", str(workdir / "etcd"),
                    "--listen-client-urls", etcd_url, "--advertise-client-urls", etcd_url,
                    "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
                    "--initial-cluster", f"test={peer_url}", "--unsafe-no-fsync", "--log-level", "warn",
                ],
                etcd_log,
            )
        )  # fmt: skip

        def etcd_healthy() -> bool:
            with urllib.request.urlopen(f"{etcd_url}/health", timeout=2) as response:
                return bool(json.loads(response.read()).get("health") == "true")

        _wait("etcd", etcd_healthy, processes[0], etcd_log)

        token = secrets.token_hex(16)
        (workdir / "tokens.csv").write_text(f'{token},{ADMIN},{ADMIN},"system:masters"\n')
        private, public = _service_account_keys(workdir)
        certs = workdir / "certs"
        api_log = workdir / "kube-apiserver.log"
        processes.append(
            _spawn(
                [
                    str(kube_apiserver), f"--etcd-servers={etcd_url}",
                    "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", f"--secure-port={api_port}",
                    f"--cert-dir={certs}", f"--token-auth-file={workdir / 'tokens.csv'}",
                    "--authorization-mode=RBAC", "--anonymous-auth=false",
                    f"--service-account-key-file={public}", f"--service-account-signing-key-file={private}",
                    "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                    "--service-cluster-ip-range=10.0.0.0/24", "--allow-privileged=true", "-v=1",
                ],
                api_log,
            )
        )  # fmt: skip
        url = f"https://127.0.0.1:{api_port}"
        ca = certs / "apiserver.crt"

        def api_ready() -> bool:
            if not ca.is_file():
                return False
            context = ssl.create_default_context(cafile=str(ca))
            request = urllib.request.Request(f"{url}/readyz", headers={"Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(request, timeout=5, context=context) as response:
                return bool(response.status == 200)

        _wait("kube-apiserver", api_ready, processes[1], api_log)
        kubeconfig = write_kubeconfig(workdir / "kubeconfig", url, ca, token)
        server = LocalApiServer(url, kubeconfig, token, workdir, processes)
        yield server
    finally:
        (server or LocalApiServer("", Path(), "", workdir, processes)).stop()


#: Corpus documents labelled valid for a newer upstream than the project pins, which the pinned
#: CRD refuses, each with why: the project validates for the platform it targets.
NEWER_THAN_PINNED: dict[str, str] = {
    "valid/argo-cd-docs-appproject.yaml": (
        "Argo CD's docs at a later release: sourceIntegrity, name in the resource white/blacklists and "
        "syncOverrun are not in the AppProject CRD of v3.1.16, the pinned Argo CD (OpenShift GitOps 1.19 "
        "ships v3.1.15)"
    ),
}


def corpus(shared: Path) -> list[tuple[Path, bool]]:
    """Every document of the shared real-world corpus and whether it is valid (its label: its
    folder, ``valid/`` or ``invalid/``, as an API server with the pinned CRDs judges it; the
    documents of ``NEWER_THAN_PINNED`` are refused by the pinned CRDs)."""
    root = shared / "corpus" / "realworld"
    found = [(p, p.parent.name == "valid") for p in sorted(root.glob("*/*.yaml"))]
    assert found, f"the tests need the shared real-world corpus: no */*.yaml under {root}"
    names = {f"{p.parent.name}/{p.name}" for p, _ in found}
    assert set(NEWER_THAN_PINNED) <= names, f"NEWER_THAN_PINNED names no corpus file: {set(NEWER_THAN_PINNED) - names}"
    return [(p, valid and f"{p.parent.name}/{p.name}" not in NEWER_THAN_PINNED) for p, valid in found]


def rendered_file(directory: Path, *objects: dict[str, t.Any]) -> str:
    """``objects`` as one multi-document file ``directory/rendered.yaml`` (JSON is YAML); its path."""
    path = directory / "rendered.yaml"
    path.write_text("\n---\n".join(json.dumps(o) for o in objects))
    return str(path)


def object_of(rendered: RenderedOverlay, kind: str) -> dict[str, t.Any]:
    """A private deep copy of the first ``kind`` object of ``rendered`` (a session render)."""
    return copy.deepcopy(first(rendered, kind).obj)


#: The Kubernetes of the test API server and of OpenShift 4.20 (prod's facts).
KUBERNETES = "1.33"


def verdict(validator: Validator, documents: t.Sequence[Document], version: str = KUBERNETES) -> tuple[bool, str]:
    """A validator's word on ``documents``: (valid, why); invalid when an error is found or
    the input is refused (exit 2)."""
    try:
        outcome = validator.validate_documents(documents, version)
    except InputError as error:
        return False, f"exit 2: {error}"
    errors = [f"{f.path}: {f.message}" for f in outcome.findings if f.severity == "error"]
    return not errors, "; ".join(errors)


def shared_crd_files() -> list[Path]:
    """The shared copies of the upstream CRDs the project pins (``src/accelcap/validate/crds.yaml``),
    each at its pinned commit: the shared data holds some paths at several commits."""
    copies = {(repo, path, commit): source for repo, commit, path, source in crd_rows(shared_dir())}
    return [copies[(crd.repo, crd.path, crd.commit)] for crd in pinned_crds()]


@functools.cache
def _parsed(path: Path, size: int, mtime_ns: int) -> tuple[t.Any, ...]:
    return tuple(yaml.load_all(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))


def crd_file(path: Path) -> tuple[t.Any, ...]:
    """The documents of a CRD file, parsed with libyaml once per process (a file changed since
    is read anew); the callers must not change them (they are sent as they are)."""
    stat = path.stat()
    return _parsed(path, stat.st_size, stat.st_mtime_ns)


def install_cluster_crds(server: LocalApiServer) -> None:
    """Every CRD a cluster of the project serves: the mirror's, the OpenShift config and Machine
    kinds of ``data/``, and those built from schemas for kinds the mirror lacks (``schema_crds``)."""
    server.install_crds([*shared_crd_files(), DATA / "openshift-config-crds.yaml", DATA / "machine-crds.yaml"])
    server.install_crd_documents(
        (f"built from the schema of {c['spec']['names']['kind']}", c) for c in schema_crds(shared_dir())
    )
