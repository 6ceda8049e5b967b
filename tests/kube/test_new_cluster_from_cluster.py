"""Issue 22, part 1: tools/new-cluster --from-cluster against a real API server."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from kube_support import LocalApiServer

from accelcap import new_cluster
from accelcap.config import load_settings
from accelcap.facts import load_facts
from support import run_in_process

FOUNDATION_DATA = Path(__file__).resolve().parents[1] / "foundation" / "data"
ARGV = ("--region", "us-west-2", "--account", "153526447089", "--zone", "us-west-2a", "--instance-type", "g5.2xlarge")


@pytest.fixture
def cluster_with_workers(openshift_cluster: LocalApiServer, monkeypatch: pytest.MonkeyPatch) -> LocalApiServer:
    saved = (FOUNDATION_DATA / "worker-machineset-terraform.yaml").read_text().replace("ocp-legacy-b2c4d", "prod-x7k2p")
    for worker in yaml.safe_load(saved)["items"]:
        openshift_cluster.apply(worker)
    monkeypatch.setenv("KUBECONFIG", str(openshift_cluster.kubeconfig))
    return openshift_cluster


def test_new_cluster_from_cluster_captures_the_facts(cluster_with_workers: LocalApiServer, repo_copy: Path) -> None:
    shutil.rmtree(repo_copy / "overlays" / "prod")  # the API server is prod's: here it is a cluster new to the repo
    result = run_in_process(new_cluster, "blue", *ARGV, "--from-cluster")
    assert result.code == 0, result.err
    facts = load_facts("blue", load_settings(repo_copy))
    assert (facts.infra_id, facts.openshift_version, facts.install_naming) == ("prod-x7k2p", "4.20", "terraform")
    assert facts.unconfirmed is None
    assert facts.worker["iamInstanceProfile"] == {"id": "prod-x7k2p-worker-profile"}


def test_new_cluster_from_another_clusters_kubeconfig_is_refused(
    cluster_with_workers: LocalApiServer, repo_copy: Path
) -> None:
    result = run_in_process(new_cluster, "blue", *ARGV, "--from-cluster")
    assert result.code == 2
    assert "refused: infraID prod-x7k2p is also cluster prod's" in result.err
    assert not (repo_copy / "overlays" / "blue").exists()
