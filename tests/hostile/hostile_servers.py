"""Misbehaving peers on loopback for the hostile-input tests: a server that accepts and never
answers, one that answers a byte at a time forever, a scripted AWS endpoint (STS, EC2,
Service Quotas) and a scripted Kubernetes API server (discovery, reads, dry runs) whose
answers a test can break one by one.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import typing as t
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ACCOUNT = "153526447089"  # overlays/prod/facts/cluster.yaml


class SilentServer:
    """Listens on loopback and never answers: connects succeed, reads wait forever."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self) -> None:
        self.sock.close()


class TrickleServer:
    """Answers HTTP 200 and then one byte every ``interval`` seconds, forever (a read timeout
    longer than the interval never fires)."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._trickle, args=(connection,), daemon=True).start()

    def _trickle(self, connection: socket.socket) -> None:
        try:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n")
            while not self.stopped.is_set():
                connection.sendall(b" ")
                time.sleep(self.interval)
        except OSError:
            pass
        finally:
            connection.close()

    def close(self) -> None:
        self.stopped.set()
        self.sock.close()


# --- a scripted AWS endpoint ---------------------------------------------------------------

EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"


def _sts_identity(account: str = ACCOUNT) -> str:
    return (
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
        f"<Arn>arn:aws:iam::{account}:user/ci</Arn><UserId>AIDA</UserId><Account>{account}</Account>"
        "</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>"
        "</GetCallerIdentityResponse>"
    )


def _ec2(action: str, inner: str) -> str:
    return f'<{action}Response xmlns="{EC2_NS}"><requestId>1</requestId>{inner}</{action}Response>'


def _instance_types(types: list[str], vcpus: str = "<defaultVCpus>8</defaultVCpus>") -> str:
    items = "".join(f"<item><instanceType>{name}</instanceType><vCpuInfo>{vcpus}</vCpuInfo></item>" for name in types)
    return _ec2("DescribeInstanceTypes", f"<instanceTypeSet>{items}</instanceTypeSet>")


#: One answer: (HTTP status, body, content type).
Answer = tuple[int, str, str]
#: What the server answers an operation: a fixed answer, or one computed from the request.
Script = t.Callable[[dict[str, list[str]]], Answer]


def default_answers() -> dict[str, Script]:
    xml, js = "text/xml", "application/x-amz-json-1.1"
    return {
        "GetCallerIdentity": lambda _: (200, _sts_identity(), xml),
        "DescribeInstances": lambda _: (200, _ec2("DescribeInstances", "<reservationSet/>"), xml),
        # verify-quotas asks whether the pools' AMI exists (issue 19): every asked image does.
        "DescribeImages": lambda form: (
            200,
            _ec2(
                "DescribeImages",
                "<imagesSet>"
                + "".join(
                    f"<item><imageId>{v[0]}</imageId></item>" for k, v in form.items() if k.startswith("ImageId.")
                )
                + "</imagesSet>",
            ),
            xml,
        ),
        "DescribeSpotInstanceRequests": lambda _: (
            200,
            _ec2("DescribeSpotInstanceRequests", "<spotInstanceRequestSet/>"),
            xml,
        ),
        "DescribeInstanceTypes": lambda form: (
            200,
            _instance_types([v[0] for k, v in form.items() if k.startswith("InstanceType.")]),
            xml,
        ),
        # verify-quotas' capacity checks (accelcap.quotas.offerings): prod's zone, every asked type
        # offered there, a good Spot placement score.
        "DescribeAvailabilityZones": lambda _: (
            200,
            _ec2(
                "DescribeAvailabilityZones",
                "<availabilityZoneInfo><item><zoneName>us-west-2a</zoneName><zoneId>usw2-az1</zoneId></item>"
                "</availabilityZoneInfo>",
            ),
            xml,
        ),
        "DescribeInstanceTypeOfferings": lambda form: (
            200,
            _ec2(
                "DescribeInstanceTypeOfferings",
                "<instanceTypeOfferingSet>"
                + "".join(
                    f"<item><instanceType>{v[0]}</instanceType><locationType>availability-zone</locationType>"
                    "<location>us-west-2a</location></item>"
                    for k, v in form.items()
                    if k.startswith("Filter.1.Value.")
                )
                + "</instanceTypeOfferingSet>",
            ),
            xml,
        ),
        "GetSpotPlacementScores": lambda _: (
            200,
            _ec2(
                "GetSpotPlacementScores",
                "<spotPlacementScoreSet><item><region>us-west-2</region><availabilityZoneId>usw2-az1"
                "</availabilityZoneId><score>9</score></item></spotPlacementScoreSet>",
            ),
            xml,
        ),
        "ListServiceQuotas": lambda _: (200, json.dumps({"Quotas": []}), js),
        "GetAWSDefaultServiceQuota": lambda form: (
            200,
            json.dumps({"Quota": {"QuotaCode": form.get("QuotaCode", ["?"])[0], "Value": 64.0}}),
            js,
        ),
    }


class ScriptedAws:
    """STS and EC2 (query protocol) and Service Quotas (JSON protocol) on one loopback port.

    ``answers`` maps an operation name to its script; a test replaces one to break it.
    """

    def __init__(self, overrides: dict[str, Script] | None = None) -> None:
        self.answers = {**default_answers(), **(overrides or {})}
        self.seen: list[str] = []
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: t.Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0)).decode()
                target = self.headers.get("X-Amz-Target", "")
                if target:
                    operation = target.rsplit(".", 1)[-1]
                    form = {k: [str(v)] for k, v in (json.loads(body or "{}") or {}).items()}
                else:
                    form = urllib.parse.parse_qs(body)
                    operation = form.get("Action", ["?"])[0]
                scripted.seen.append(operation)
                script = scripted.answers.get(operation)
                status, text, kind = script(form) if script else (400, "unknown operation", "text/plain")
                payload = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def ec2_types_with(vcpu_info: str) -> Script:
    """DescribeInstanceTypes answering every asked type with ``vcpu_info`` inside vCpuInfo."""
    return lambda form: (
        200,
        _instance_types([v[0] for k, v in form.items() if k.startswith("InstanceType.")], vcpu_info),
        "text/xml",
    )


def fixed(status: int, body: str, kind: str = "text/xml") -> Script:
    return lambda _: (status, body, kind)


def sts_identity(account: str) -> Script:
    return fixed(200, _sts_identity(account))


def instance_reservation(item: str) -> Script:
    return fixed(
        200,
        _ec2("DescribeInstances", f"<reservationSet><item><instancesSet>{item}</instancesSet></item></reservationSet>"),
    )


# --- a fake Kubernetes API server ----------------------------------------------------------

#: The kinds the fake API server serves: (group, version, resource, kind, namespaced, short names).
API_RESOURCES = (
    ("", "v1", "namespaces", "Namespace", False, ("ns",)),
    ("", "v1", "nodes", "Node", False, ("no",)),
    ("", "v1", "pods", "Pod", True, ("po",)),
    ("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", False, ("crd", "crds")),
    ("config.openshift.io", "v1", "infrastructures", "Infrastructure", False, ()),
    ("config.openshift.io", "v1", "clusterversions", "ClusterVersion", False, ()),
    ("machine.openshift.io", "v1beta1", "machinesets", "MachineSet", True, ("ms",)),
    ("machine.openshift.io", "v1beta1", "machines", "Machine", True, ("ma",)),
    ("autoscaling.openshift.io", "v1beta1", "machineautoscalers", "MachineAutoscaler", True, ()),
    ("autoscaling.openshift.io", "v1", "clusterautoscalers", "ClusterAutoscaler", False, ()),
    ("argoproj.io", "v1alpha1", "applications", "Application", True, ("app", "apps")),
    ("argoproj.io", "v1alpha1", "appprojects", "AppProject", True, ("appproj",)),
    ("nvidia.com", "v1", "clusterpolicies", "ClusterPolicy", False, ()),
)


def discovery(core: bool) -> dict[str, t.Any]:
    """The aggregated discovery document of ``/api`` (core) or ``/apis``, as the API serves it."""
    groups: dict[str, dict[str, list[dict[str, t.Any]]]] = {}
    for group, version, resource, kind, namespaced, short in API_RESOURCES:
        if (group == "") != core:
            continue
        groups.setdefault(group, {}).setdefault(version, []).append(
            {
                "resource": resource,
                "responseKind": {"group": group, "version": version, "kind": kind},
                "scope": "Namespaced" if namespaced else "Cluster",
                "singularResource": kind.lower(),
                "shortNames": list(short),
                "verbs": ["get", "list", "patch"],
            }
        )
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "items": [
            {"metadata": {"name": group}, "versions": [{"version": v, "resources": r} for v, r in versions.items()]}
            for group, versions in groups.items()
        ],
    }


#: What a route answers: (HTTP status, body), ``SILENT`` (never answers), or a script of the request.
Reply = tuple[int, t.Any] | str | t.Callable[[str, str], tuple[int, t.Any]]
SILENT = "silent"


def body_of(value: t.Any) -> bytes:
    return value if isinstance(value, bytes) else json.dumps(value).encode()


def not_found(path: str) -> tuple[int, t.Any]:
    return 404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
                 "message": f"{path} not found", "code": 404}  # fmt: skip


class FakeApiServer:
    """A Kubernetes API server on loopback that answers what a test scripts, over HTTP.

    ``routes`` maps a URL path (without the query) to a ``Reply``; a path ending in ``/``
    answers every path below it. Unscripted: discovery answers what ``API_RESOURCES`` says,
    GET anything else 404, PATCH and POST (dry runs) accept the object as sent. ``seen`` lists
    the requests (method and path). ``kubeconfig`` writes a kubeconfig whose current context
    points at it.
    """

    def __init__(self, routes: dict[str, Reply] | None = None) -> None:
        self.routes: dict[str, Reply] = {"/api": (200, discovery(True)), "/apis": (200, discovery(False))}
        self.routes.update(routes or {})
        self.seen: list[str] = []
        self.stopped = threading.Event()
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: t.Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length", "0") or 0)
                sent = self.rfile.read(length) if length else b""
                path = urllib.parse.urlsplit(self.path).path
                scripted.seen.append(f"{self.command} {path}")
                reply = scripted.reply(self.command, path, sent)
                if reply == SILENT:
                    scripted.stopped.wait(120)
                    return
                status, value = t.cast(tuple[int, t.Any], reply)
                payload = body_of(value)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_PATCH = do_POST = do_DELETE = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reply(self, method: str, path: str, sent: bytes) -> Reply:
        found = self.routes.get(path)
        if found is None:
            prefixes = [p for p in self.routes if p.endswith("/") and path.startswith(p)]
            found = self.routes[max(prefixes, key=len)] if prefixes else None
        if callable(found):
            return found(method, path)
        if found is not None:
            return found
        if method in ("PATCH", "POST"):
            return 200, json.loads(sent or b"{}")
        return not_found(path)

    def kubeconfig(self, path: Path) -> Path:
        return write_kubeconfig(path, self.url)

    def close(self) -> None:
        self.stopped.set()
        self.server.shutdown()
        self.server.server_close()


def write_kubeconfig(path: Path, server: str) -> Path:
    """A kubeconfig at ``path`` whose current context is ``server`` with a token."""
    path.write_text(
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: fake\n  cluster:\n    server: {server}\n"
        "users:\n- name: fake\n  user:\n    token: not-a-secret\n"
        "contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\n"
        "current-context: fake\n"
    )
    return path
