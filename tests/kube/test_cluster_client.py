"""accelcap.kube_client against a real API server: reads, and every way a call can fail."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import typing as t
from pathlib import Path

import pytest
import yaml
from kube_support import LocalApiServer, free_port, write_kubeconfig

from accelcap import kube_client, set_infra_id
from accelcap.cli import run_tool
from accelcap.config import load_settings
from accelcap.errors import ExternalError, InputError
from accelcap.facts import load_facts
from accelcap.validate import crd_schemas

FOUNDATION_DATA = Path(__file__).resolve().parents[1] / "foundation" / "data"


def test_get_reads_objects_and_lists(openshift_cluster: LocalApiServer) -> None:
    live = kube_client.connect(openshift_cluster.connection())
    # Dumped and read back: what a tool would print is plain JSON and YAML.
    infrastructure = json.loads(json.dumps(live.get("infrastructures.config.openshift.io", "cluster")))
    assert infrastructure["status"]["infrastructureName"] == "prod-x7k2p"
    crd = yaml.safe_load(yaml.safe_dump(live.get("crd", "machinesets.machine.openshift.io")))
    assert crd["kind"] == "CustomResourceDefinition" and crd["spec"]["group"] == "machine.openshift.io"
    namespaces = json.loads(json.dumps(live.get("namespaces")))
    assert namespaces["kind"] == "List" and {"openshift-gitops", "default"} <= {
        n["metadata"]["name"] for n in namespaces["items"]
    }
    assert all(n["kind"] == "Namespace" for n in namespaces["items"])
    version = openshift_cluster.admin.get("clusterversion", "version")  # singular name, as oc takes it
    assert version["status"]["desired"]["version"].startswith("4.20.")


def _run(tool: str, argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    module = {"set-infra-id": set_infra_id, "crd-schemas": crd_schemas}[tool]
    capsys.readouterr()
    code = run_tool(tool, module.build_parser, module.execute, argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_set_infra_id_from_cluster(
    openshift_cluster: LocalApiServer,
    repo_copy: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The worker MachineSets, the Infrastructure and the ClusterVersion, read for real."""
    facts = repo_copy / "overlays" / "prod" / "facts" / "cluster.yaml"
    facts.write_text(facts.read_text().replace("infraID: prod-x7k2p", "infraID: INFRAID"))
    saved = (FOUNDATION_DATA / "worker-machineset-terraform.yaml").read_text().replace("ocp-legacy-b2c4d", "prod-x7k2p")
    for worker in yaml.safe_load(saved)["items"]:  # what `oc get machineset -o yaml` printed there
        openshift_cluster.apply(worker)
    monkeypatch.setenv("KUBECONFIG", str(openshift_cluster.kubeconfig))
    code, _out, err = _run("set-infra-id", ["prod", "--from-cluster"], capsys)
    assert code == 0, err
    learned = load_facts("prod", load_settings(repo_copy))
    assert (learned.infra_id, learned.openshift_version, learned.install_naming) == ("prod-x7k2p", "4.20", "terraform")
    # The worker settings every pool copies, and the subnet of each zone with workers (us-west-2b
    # runs workers but is not a zone of the cluster's pools: its subnet is kept anyway).
    assert learned.worker["iamInstanceProfile"] == {"id": "prod-x7k2p-worker-profile"}
    assert set(learned.subnets) == {"us-west-2a", "us-west-2b"} and learned.zones == ("us-west-2a",)


def test_crd_schemas_from_cluster(
    openshift_cluster: LocalApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = _run(
        "crd-schemas",
        [
            "--from-cluster",
            "clusterautoscalers.autoscaling.openshift.io",
            "--kubeconfig",
            str(openshift_cluster.kubeconfig),
            "-o",
            str(tmp_path),
        ],
        capsys,
    )
    assert code == 0, err
    assert (tmp_path / "autoscaling.openshift.io" / "clusterautoscaler_v1.json").is_file()


# --- failures: one line, exit 3 for the cluster, exit 2 for the kubeconfig ------------------


def _refused(
    connection: kube_client.Connection, call: t.Callable[[kube_client.Cluster], t.Any] = lambda c: c.get("namespaces")
) -> str:
    with pytest.raises(ExternalError) as raised, kube_client.Cluster(connection) as live:
        call(live)
    message = f"{raised.value.where}: {raised.value.what}"
    assert "\n" not in message
    return message


def test_unreachable_server(api_server: LocalApiServer, tmp_path: Path) -> None:
    port = free_port()
    config = write_kubeconfig(
        tmp_path / "kubeconfig", f"https://127.0.0.1:{port}", api_server.workdir / "certs" / "apiserver.crt", "x"
    )
    message = _refused(kube_client.Connection(config))
    assert message.startswith(f"GET https://127.0.0.1:{port}/api:") and "cannot connect" in message


def test_credentials_refused_401(api_server: LocalApiServer, tmp_path: Path) -> None:
    message = _refused(kube_client.Connection(api_server.kubeconfig_as(tmp_path / "kubeconfig", "not-a-token")))
    assert "HTTP 401 Unauthorized" in message and "log in again" in message


def test_dry_run_credentials_refused_401(api_server: LocalApiServer, tmp_path: Path) -> None:
    connection = kube_client.Connection(api_server.kubeconfig_as(tmp_path / "kubeconfig", "not-a-token"))
    namespaces = kube_client.ApiResource("", "v1", "namespaces", "Namespace", namespaced=False)
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}
    message = _refused(connection, lambda c: c.dry_run_create(namespace, namespaces, None, "test"))
    assert message.startswith(f"POST {api_server.url}/api/v1/namespaces: HTTP 401 Unauthorized")
    assert message.endswith("has no valid credentials (log in again)")


def test_access_refused_403(api_server: LocalApiServer, tmp_path: Path) -> None:
    token = api_server.token_for("default", "nobody")
    connection = kube_client.Connection(api_server.kubeconfig_as(tmp_path / "kubeconfig", token))
    message = _refused(connection, lambda c: c.get("infrastructures.config.openshift.io", "cluster"))
    assert "/apis/config.openshift.io/v1/infrastructures/cluster: HTTP 403 Forbidden" in message
    assert "system:serviceaccount:default:nobody" in message


def test_a_server_that_never_answers_times_out(api_server: LocalApiServer, tmp_path: Path) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        config = write_kubeconfig(
            tmp_path / "kubeconfig", f"https://127.0.0.1:{port}", api_server.workdir / "certs" / "apiserver.crt", "x"
        )
        message = _refused(kube_client.Connection(config, timeout=0.2, connect_timeout=0.2))
    assert message.startswith(f"GET https://127.0.0.1:{port}/api:") and "in 0.2s" in message


class _Nonsense(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html>proxy login</html>" if self.path == "/api" else b"[1, 2]"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: t.Any) -> None:
        pass


def test_answers_that_are_not_kubernetes_objects(tmp_path: Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Nonsense)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        config = write_kubeconfig(tmp_path / "kubeconfig", url, tmp_path / "unused-ca", "x")
        config.write_text(
            config.read_text().replace(
                f"certificate-authority: {tmp_path / 'unused-ca'}", "insecure-skip-tls-verify: true"
            )
        )
        assert "the answer is not JSON: <html>proxy login</html>" in _refused(kube_client.Connection(config))
        assert "not a Kubernetes object" in _refused(kube_client.Connection(config), lambda c: c._get("/version"))
    finally:
        server.shutdown()
        server.server_close()


def test_bad_kubeconfig_or_context_is_bad_input(api_server: LocalApiServer, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        kube_client.Cluster(kube_client.Connection(tmp_path / "missing"))  # fails before any connection
    with pytest.raises(InputError, match="no context 'other' \\(contexts: test\\)"):
        kube_client.Cluster(kube_client.Connection(api_server.kubeconfig, context="other"))
    broken = tmp_path / "broken"
    broken.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\n")
    with pytest.raises(InputError):
        kube_client.Cluster(kube_client.Connection(broken))


def test_tools_print_one_line_and_exit_3(
    api_server: LocalApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = api_server.kubeconfig_as(tmp_path / "kubeconfig", "not-a-token")
    code, _, err = _run("crd-schemas", ["--from-cluster", "x.example.com", "--kubeconfig", str(config)], capsys)
    assert code == 3 and err.startswith("crd-schemas: GET https://127.0.0.1:") and err.count("\n") == 1
    code, _, err = _run(
        "crd-schemas", ["--from-cluster", "x.example.com", "--kubeconfig", str(tmp_path / "nope")], capsys
    )
    assert code == 2 and "no such file" in err and err.count("\n") == 1


def test_the_client_never_writes(api_server: LocalApiServer) -> None:
    with pytest.raises(AssertionError, match="read-only"):
        api_server.admin.request("PATCH", "/api/v1/namespaces/default", body={})
    with pytest.raises(AssertionError, match="read-only"):
        api_server.admin.request("DELETE", "/api/v1/namespaces/default", [("dryRun", "All")])
