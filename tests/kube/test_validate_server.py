"""validate --server against the test API server (made to look like cluster prod), and one
API-server mutant: a cluster-scoped object for a controller that may only write in one
namespace. The other mutants (the bootstrap RBAC removed, a field the CRD lacks, a broken CEL
rule, a default the project cares about) run through the conformance suite
(test_conformance.py)."""

from __future__ import annotations

import copy
import json
import socket
import typing as t
from pathlib import Path

import pytest
from kube_support import (
    ARGOCD_CONTROLLER,
    LocalApiServer,
    object_of,
    rendered_file,
    service_account_user,
    write_kubeconfig,
)

from accelcap.render import RenderedOverlay

#: Rights enough for every kind prod renders: the stand-in for the bootstrap RBAC (issue 10).
ALLOWED = service_account_user("openshift-gitops", "test-allowed-controller")
ALL_RIGHTS = [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "list", "watch", "create", "patch", "update"]}]


@pytest.fixture(scope="module")
def prod_cluster(openshift_cluster: LocalApiServer) -> LocalApiServer:
    openshift_cluster.grant(ALLOWED, "test-allowed-controller", ALL_RIGHTS)
    return openshift_cluster


def test_prod_passes_as_a_controller_with_the_rights(
    prod_cluster: LocalApiServer, validate: t.Callable[..., tuple[int, str, str]]
) -> None:
    code, out, err = validate(
        "prod", "--server", "--kubeconfig", str(prod_cluster.kubeconfig), "--as", ALLOWED, "--format", "json"
    )
    report = json.loads(out)
    assert code == 0, out + err
    summary = report["summary"]
    assert summary["engine"] == "server" and summary["as"] == ALLOWED and summary["context"] == "test"
    assert summary["validated"] == summary["objects"] > 10
    # Nothing was written: a dry run only.
    machineset = prod_cluster.resource("machine.openshift.io/v1beta1", "MachineSet")
    assert not prod_cluster.admin.exists(machineset, "prod-x7k2p-gpu-us-west-2a", "openshift-machine-api")


def test_the_default_controller_without_rbac_is_forbidden(
    prod_cluster: LocalApiServer, validate: t.Callable[..., tuple[int, str, str]]
) -> None:
    code, out, _ = validate("prod", "--server", "--kubeconfig", str(prod_cluster.kubeconfig), "--format", "json")
    report = json.loads(out)
    assert code == 1 and report["summary"]["as"] == service_account_user(*ARGOCD_CONTROLLER)
    forbidden = {f["object"] for f in report["findings"] if f["code"] == "server-forbidden"}
    assert "MachineSet/openshift-machine-api/prod-x7k2p-gpu-us-west-2a" in forbidden
    assert "ClusterPolicy/gpu-cluster-policy" in forbidden
    # The hand-applied validation build is checked as the kubeconfig's user (the admin here).
    assert not any(f["object"].startswith("Pod/gpu-validation") for f in report["findings"])
    message = next(f["message"] for f in report["findings"] if f["object"].startswith("MachineSet/"))
    assert message.startswith(f"Forbidden (as {service_account_user(*ARGOCD_CONTROLLER)}):")


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_findings_in_every_format(
    prod_cluster: LocalApiServer, validate: t.Callable[..., tuple[int, str, str]], fmt: str
) -> None:
    code, out, _ = validate("prod", "--server", "--kubeconfig", str(prod_cluster.kubeconfig), "--format", fmt)
    assert (
        code == 1 and "server-forbidden" in out and "MachineSet/openshift-machine-api/prod-x7k2p-gpu-us-west-2a" in out
    )
    if fmt == "github":
        assert "::error file=" in out and "title=validate server-forbidden::" in out


def test_another_cluster_is_refused(
    prod_cluster: LocalApiServer,
    repo_copy: Path,
    validate: t.Callable[..., tuple[int, str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    facts = repo_copy / "overlays" / "prod" / "facts" / "cluster.yaml"
    facts.write_text(facts.read_text().replace("infraID: prod-x7k2p", "infraID: stage-a1b2c"))
    monkeypatch.chdir(repo_copy)
    code, out, err = validate("prod", "--server", "--kubeconfig", str(prod_cluster.kubeconfig), "--as", ALLOWED)
    assert code == 3 and out == "" and err.count("\n") == 1
    assert "is cluster 'prod-x7k2p', but the facts of overlays/prod say infraID 'stage-a1b2c'" in err


def test_a_cluster_that_never_answers_times_out(
    prod_cluster: LocalApiServer, tmp_path: Path, validate: t.Callable[..., tuple[int, str, str]]
) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        config = write_kubeconfig(
            tmp_path / "kubeconfig", f"https://127.0.0.1:{port}", prod_cluster.workdir / "certs" / "apiserver.crt", "x"
        )
        code, _, err = validate("prod", "--server", "--kubeconfig", str(config), "--timeout", "0.2")
    assert code == 3 and err.count("\n") == 1 and "in 0.2s" in err


def test_one_cluster_at_a_time_and_facts_needed(
    prod_cluster: LocalApiServer, tmp_path: Path, validate: t.Callable[..., tuple[int, str, str]]
) -> None:
    code, _, err = validate("prod", "prod", "--server", "--kubeconfig", str(prod_cluster.kubeconfig))
    assert code == 2 and "one cluster at a time" in err
    path = tmp_path / "x.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: default}\n")
    code, _, err = validate(str(path), "--server", "--kubeconfig", str(prod_cluster.kubeconfig))
    assert code == 2 and "--cluster NAME" in err


def test_kinds_the_cluster_does_not_serve(
    prod_cluster: LocalApiServer, tmp_path: Path, validate: t.Callable[..., tuple[int, str, str]]
) -> None:
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "default"}}
    later = copy.deepcopy(widget)
    later["metadata"]["name"] = "later"
    later["metadata"]["annotations"] = {"argocd.argoproj.io/sync-options": "SkipDryRunOnMissingResource=true"}
    code, out, _ = validate(
        rendered_file(tmp_path, widget, later),
        "--cluster",
        "prod",
        "--server",
        "--kubeconfig",
        str(prod_cluster.kubeconfig),
        "--format",
        "json",
    )
    codes = {f["object"]: (f["code"], f["severity"]) for f in json.loads(out)["findings"]}
    assert code == 1 and codes == {
        "Widget/default/w": ("server-kind-unknown", "error"),
        "Widget/default/later": ("server-not-checked", "warning"),
    }


# --- a mutant the API server must refuse (no bootstrap RBAC needed) ---------------------------


def test_mutant_a_cluster_scoped_object_for_a_namespaced_controller(
    prod_cluster: LocalApiServer, prod_render: RenderedOverlay
) -> None:
    """A controller that may write only in openshift-machine-api (a namespace-scoped
    Application's rights) is refused the cluster-scoped ClusterAutoscaler."""
    confined = service_account_user("openshift-gitops", "test-confined-controller")
    prod_cluster.grant(confined, "test-confined", ALL_RIGHTS, namespace="openshift-machine-api")
    assert prod_cluster.dry_run_apply(object_of(prod_render, "MachineSet"), confined).accepted
    answer = prod_cluster.dry_run_apply(object_of(prod_render, "ClusterAutoscaler"), confined)
    assert not answer.accepted and answer.reason == "Forbidden" and "at the cluster scope" in answer.message
