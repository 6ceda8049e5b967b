"""Misbehaving peers on loopback for the hostile-input tests: a server that accepts and never
answers, one that answers a byte at a time forever, and a scripted AWS endpoint (STS, EC2,
Service Quotas) whose answers a test can break one by one.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import typing as t
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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
    """Answers HTTP 200 and then one byte a second, forever (a read timeout never fires)."""

    def __init__(self) -> None:
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
                time.sleep(0.5)
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
