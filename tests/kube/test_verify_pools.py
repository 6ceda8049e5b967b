"""tools/verify-pools against the real API server: every verdict, each way a pool falls short,
--workload, and every bad input.

The cluster is the session's test API server made to look like prod (``openshift_cluster``);
``PoolScene`` writes what the controllers would (``pool_scene``). For ``--workload`` the test
plays the scheduler and the kubelet: it binds the tool's pod to the pool's node, writes the
pod's status, and serves its log from a kubelet endpoint the Node advertises, which the API
server's ``pods/log`` relays to the tool.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import signal
import subprocess
import sys
import threading
import time
import typing as t
from pathlib import Path

import pytest
from kube_support import FakeKubelet, LocalApiServer, free_port, service_account_user, write_kubeconfig
from pool_scene import NOW, PoolScene

from accelcap.catalog.instance_types import Accelerator
from accelcap.catalog.machine_api import FAILURE_CAUSES, failure_cause
from accelcap.config import Settings, load_settings
from accelcap.errors import InputError
from accelcap.kube_client import Cluster, PodWriter
from accelcap.model import render_model
from accelcap.render import RenderedOverlay
from accelcap.verify_pools import cli
from accelcap.verify_pools import workload as workload_module
from accelcap.verify_pools.access import READ_RULES, WORKLOAD_RULES
from accelcap.verify_pools.workload import neuron_devices
from support import REPO, REPO_PARTS, Result, copy_repository, enable_inferentia, run_in_process, without_fallback

GPU_POOL = "prod-x7k2p-gpu-us-west-2a"
NEURON_POOL = "prod-x7k2p-inferentia-us-west-2a"
MANAGED = "app.kubernetes.io/managed-by=verify-pools"


@pytest.fixture(scope="module")
def single_pool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """These tests are about one pool: prod without its On-Demand fallback (support.without_fallback)."""
    return without_fallback(copy_repository(tmp_path_factory.mktemp("single-pool") / "repo"))


@pytest.fixture(autouse=True)
def on_single_pool(single_pool: Path, monkeypatch: pytest.MonkeyPatch) -> t.Iterator[None]:
    monkeypatch.setenv("ACCELCAP_REPO", str(single_pool))
    load_settings.cache_clear()
    yield
    load_settings.cache_clear()


@pytest.fixture(scope="module")
def renders() -> dict[tuple[t.Any, ...], RenderedOverlay]:
    return {}


@pytest.fixture(autouse=True)
def render_once_per_repository(
    renders: dict[tuple[t.Any, ...], RenderedOverlay], monkeypatch: pytest.MonkeyPatch
) -> None:
    """verify-pools renders the cluster on every run (kustomize: half a second of CPU); these
    tests run it some sixty times on a few repositories. A render depends only on the
    repository's files and the arguments, so it is reused (a deep copy) while every file under
    the repository is byte for byte the same: each repository a test makes renders for real once,
    through the tool's own call."""
    real = cli.render_overlay

    def render_overlay(path: Path, settings: Settings, *args: t.Any, **kwargs: t.Any) -> RenderedOverlay:
        key = (path.resolve(), settings.root, args, tuple(sorted((k, v) for k, v in kwargs.items() if k != "cache")),
               _content(settings.root))  # fmt: skip
        if key not in renders:
            renders[key] = real(path, settings, *args, **kwargs)
        return copy.deepcopy(renders[key])

    monkeypatch.setattr(cli, "render_overlay", render_overlay)


def _content(root: Path) -> str:
    """A digest of every file of the repository at ``root`` (paths and bytes)."""
    digest = hashlib.sha256()
    for path in sorted(p for part in REPO_PARTS for p in [root / part, *(root / part).rglob("*")] if p.is_file()):
        digest.update(f"{path.relative_to(root)}\0{path.stat().st_size}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    """The workload's poll of its pod every 50 ms, not 2 s: the tests' scheduler finishes the pod
    within 100 ms of its creation, which the tool's first look, right after, rarely sees."""
    monkeypatch.setattr(workload_module, "POLL_SECONDS", 0.05)


@pytest.fixture(scope="module")
def prod_render(single_pool: Path) -> RenderedOverlay:
    return render_model(single_pool / "overlays" / "prod", load_settings(single_pool)).overlay


@pytest.fixture
def gpu(openshift_cluster: LocalApiServer, prod_render: RenderedOverlay) -> t.Iterator[PoolScene]:
    scene = PoolScene(openshift_cluster, prod_render, Accelerator.NVIDIA_GPU)
    scene.clean()
    yield scene
    scene.clean()


@pytest.fixture
def kubelet(api_server: LocalApiServer, tmp_path: Path) -> t.Iterator[FakeKubelet]:
    with FakeKubelet(tmp_path) as endpoint:
        yield endpoint


def verify(server: LocalApiServer, *argv: str, kubeconfig: Path | None = None) -> Result:
    return run_in_process(cli, *argv, "--kubeconfig", str(kubeconfig or server.kubeconfig))


def checks(result: Result) -> dict[str, list[dict[str, t.Any]]]:
    """The JSON report's results by check code."""
    by_code: dict[str, list[dict[str, t.Any]]] = {}
    for item in json.loads(result.out)["summary"]["checks"]:
        by_code.setdefault(item["check"], []).append(item)
    return by_code


def only(result: Result, code: str) -> dict[str, t.Any]:
    (found,) = checks(result)[code]
    return found


def failed(result: Result) -> set[str]:
    return {item["check"] for items in checks(result).values() for item in items if item["status"] != "ok"}


# --- all done, and scaled to zero ------------------------------------------------------------


def test_a_done_pool_passes_every_check(gpu: PoolScene) -> None:
    gpu.healthy(nodes=("node-a", "node-b"))
    result = verify(gpu.server, "prod", "--format", "json")
    assert result.code == 0, result.out + result.err
    found = checks(result)
    assert {code: [i["status"] for i in items] for code, items in found.items()} == {
        "application": ["ok", "ok", "ok"],  # the root and its two children
        "operator": ["ok"],
        "machineset": ["ok"],
        "replicas": ["ok"],
        "machines": ["ok"],
        "nodes": ["ok"],
        "node-labels": ["ok"],
        "node-taints": ["ok"],
        "accelerator": ["ok"],
        "nfd-labels": ["ok"],
        "driver": ["ok"],
    }
    assert only(result, "machines")["message"] == "2 of 2 Running"
    assert only(result, "replicas")["message"] == "2 replica(s), within the MachineAutoscaler's 0..2"
    assert only(result, "accelerator")["message"] == "2 node(s) with allocatable nvidia.com/gpu 1"
    assert json.loads(result.out)["ok"] is True and result.err == ""


def test_text_has_one_line_per_check_and_a_summary(gpu: PoolScene) -> None:
    gpu.healthy()
    result = verify(gpu.server, "prod")
    lines = result.out.splitlines()
    assert lines[0].startswith("verify-pools: cluster prod (infraID prod-x7k2p), context test at https://127.0.0.1:")
    assert lines[1].split() == ["RESULT", "POOL", "CHECK", "DETAIL"]
    body = lines[2:-1]
    assert len(body) == 13 and all(line.startswith("ok ") for line in body)
    assert any(f"{GPU_POOL}  driver" in line and "driver pod Ready on 1 node(s)" in line for line in body)
    assert lines[-1] == "verify-pools: all done: 13 ok"
    assert "\033[" not in result.out  # no colour off a terminal


def test_a_pool_scaled_to_zero_is_reported_not_failed(gpu: PoolScene) -> None:
    gpu.healthy(nodes=())
    result = verify(gpu.server, "prod", "--format", "json")
    assert result.code == 0, result.out
    assert (only(result, "machines")["status"], only(result, "nodes")["status"]) == ("scaled to zero",) * 2
    assert only(result, "nodes")["message"] == "scaled to zero: nothing to check on nodes"
    assert not {"node-labels", "accelerator", "driver"} & set(checks(result))

    required = verify(gpu.server, "prod", "--format", "json", "--require-nodes")
    assert required.code == 1
    assert failed(required) == {"machines", "nodes"}
    assert "--require-nodes" in only(required, "nodes")["message"]


# --- Argo CD ----------------------------------------------------------------------------------


def test_an_application_out_of_sync(gpu: PoolScene) -> None:
    gpu.healthy()
    gpu.application(
        "prod-capacity", sync="OutOfSync", health="Healthy",
        conditions=[{"type": "SyncError", "message": "Failed sync attempt: one or more objects failed to apply",
                     "lastTransitionTime": NOW}],
        operationState={"phase": "Failed", "message": "one or more objects failed to apply", "startedAt": NOW,
                        "operation": {"sync": {"revision": "0123456789abcdef"}}},
    )  # fmt: skip
    result = verify(gpu.server, "prod", "--format", "json")
    assert result.code == 1
    capacity = next(i for i in checks(result)["application"] if i["subject"].endswith("/prod-capacity"))
    assert capacity["status"] == "not done"
    assert capacity["message"].startswith("OutOfSync, Healthy: SyncError: Failed sync attempt")
    assert "last sync Failed: one or more objects failed to apply" in capacity["message"]
    assert failed(result) == {"application"}


def test_an_application_degraded_or_missing(gpu: PoolScene) -> None:
    gpu.healthy()
    gpu.application("prod-operators", sync="Synced", health="Degraded")
    gpu.server.delete("argoproj.io/v1alpha1", "Application", "prod-capacity", "openshift-gitops")
    result = verify(gpu.server, "prod", "--format", "json")
    assert result.code == 1
    messages = {i["subject"].rsplit("/", 1)[1]: i["message"] for i in checks(result)["application"]}
    assert messages == {
        "prod-capacity": "not on the cluster: bootstrap it (docs/runbook.md)",
        "prod-operators": "Synced, Degraded",
        "prod-root": "Synced, Healthy at 0123456789ab",
    }


# --- MachineSet, replicas, Machines ------------------------------------------------------------


def test_a_machineset_that_differs_from_the_render(gpu: PoolScene) -> None:
    gpu.healthy()

    def drift(obj: dict[str, t.Any]) -> None:
        spec = obj["spec"]["template"]["spec"]
        spec["taints"] = []
        spec["providerSpec"]["value"]["instanceType"] = "g5.4xlarge"
        del spec["providerSpec"]["value"]["spotMarketOptions"]

    gpu.machineset(replicas=1, change=drift)
    result = verify(gpu.server, "prod", "--format", "json")
    assert result.code == 1
    message = only(result, "machineset")["message"]
    assert message == (
        "differs from the render: taint nvidia.com/gpu=true:NoSchedule missing; instanceType g5.4xlarge, the render "
        "says g5.2xlarge; market on-demand, the render says spot"
    )


def test_a_machineset_that_is_missing(gpu: PoolScene) -> None:
    gpu.healthy()
    gpu.server.delete("machine.openshift.io/v1beta1", "MachineSet", GPU_POOL, "openshift-machine-api")
    result = verify(gpu.server, "prod", "--format", "json")
    assert result.code == 1
    assert only(result, "machineset")["message"].startswith("not on the cluster")
    assert failed(result) == {"machineset"}  # nothing else to look at without it


def test_replicas_outside_the_autoscaler_bounds_and_an_autoscaler_not_taken_on(gpu: PoolScene) -> None:
    gpu.healthy(nodes=("node-a", "node-b", "node-c"))

    def untaken(obj: dict[str, t.Any]) -> None:
        del obj["metadata"]["annotations"]["autoscaling.openshift.io/machineautoscaler"]

    gpu.machineset(replicas=3, change=untaken)
    result = verify(gpu.server, "prod", "--format", "json")
    message = only(result, "replicas")["message"]
    assert "the autoscaler has not taken the MachineSet on" in message and "owner none" in message
    assert "3 replica(s), outside the MachineAutoscaler's 0..2" in message
    assert result.code == 1


@pytest.mark.parametrize(
    ("phase", "status", "shown"),
    [
        pytest.param(
            "Provisioning",
            {
                "providerStatus": {
                    "conditions": [
                        {
                            "type": "MachineCreation",
                            "status": "False",
                            "reason": "MachineCreationFailed",
                            "message": FAILURE_CAUSES[0].example,
                        }
                    ]
                }
            },
            "insufficient Spot capacity (error creating EC2 instance: InsufficientInstanceCapacity: There is no "
            "Spot capacity available that matches your request.)",
            id="insufficient-spot-capacity",
        ),
        pytest.param(
            "Failed",
            {"errorReason": "InvalidConfiguration", "errorMessage": FAILURE_CAUSES[1].example},
            "quota (InvalidConfiguration: error launching instance: You have requested more vCPU capacity than your "
            "current vCPU limit of 32 allows for the instance bucket that the specified instance type belongs to.)",
            id="quota",
        ),
        pytest.param(
            "Failed",
            {
                "errorReason": "InvalidConfiguration",
                "errorMessage": "error getting subnet IDs: no subnet IDs were found",
            },
            "bad subnet (InvalidConfiguration: error getting subnet IDs: no subnet IDs were found)",
            id="bad-subnet",
        ),
        pytest.param("Provisioned", {}, "the instance runs, but its node has not joined", id="no-node-yet"),
    ],
)
def test_a_machine_that_does_not_run_says_why(gpu: PoolScene, phase: str, status: dict[str, t.Any], shown: str) -> None:
    gpu.healthy()
    gpu.machineset(replicas=2)
    gpu.machine(f"{GPU_POOL}-1", phase=phase, **status)
    result = verify(gpu.server, "prod", "--format", "json")
    assert result.code == 1
    terminal = " (terminal: delete the Machine once fixed)" if phase == "Failed" else ""
    assert only(result, "machines")["message"] == f"1 of 2 Running: {GPU_POOL}-1 {phase}{terminal}: {shown}"
    assert only(result, "nodes")["message"] == "1 of 2 Ready"


def test_fewer_machines_than_replicas_and_the_machinesets_own_error(gpu: PoolScene) -> None:
    gpu.healthy()

    def errored(obj: dict[str, t.Any]) -> None:
        obj["spec"]["replicas"] = 2

    gpu.machineset(replicas=2, change=errored)
    ms = {"apiVersion": "machine.openshift.io/v1beta1", "kind": "MachineSet",
          "metadata": {"name": GPU_POOL, "namespace": "openshift-machine-api"}}  # fmt: skip
    gpu.server.apply_status({**ms, "status": {"replicas": 1, "errorReason": "InvalidConfiguration",
                                              "errorMessage": "selector does not match template labels"}})  # fmt: skip
    result = verify(gpu.server, "prod", "--format", "json")
    assert only(result, "machines")["message"] == (
        "1 of 2 Running: MachineSet: InvalidConfiguration selector does not match template labels; 1 of 2 Machines exist"
    )


# --- nodes -------------------------------------------------------------------------------------


def test_a_node_not_ready(gpu: PoolScene) -> None:
    gpu.healthy(nodes=("node-a", "node-b"))
    gpu.node("node-b", ready=False)
    result = verify(gpu.server, "prod", "--format", "json")
    assert result.code == 1
    assert only(result, "nodes")["message"] == (
        "1 of 2 Ready; node-b NotReady (KubeletNotReady: container runtime is down)"
    )


def test_a_cordoned_node(gpu: PoolScene) -> None:
    gpu.healthy()
    gpu.node("node-a", unschedulable=True)
    result = verify(gpu.server, "prod", "--format", "json")
    assert "node-a is cordoned (unschedulable)" in only(result, "nodes")["message"]


def test_a_node_without_the_taint_or_labels(gpu: PoolScene) -> None:
    gpu.healthy(nodes=("node-a", "node-b"))
    gpu.node("node-b", taints=[], labels={"node-role.kubernetes.io/gpu": ""})
    result = verify(gpu.server, "prod", "--format", "json")
    assert result.code == 1
    assert only(result, "node-taints")["message"] == (
        "node-b lacks taint nvidia.com/gpu=true:NoSchedule (taints reach only nodes created after the MachineSet "
        "changed: roll the pool)"
    )
    assert only(result, "node-labels")["message"].startswith("node-b lacks cluster-api/accelerator=nvidia-a10g")
    assert only(result, "nfd-labels")["message"].startswith(
        "node-b lacks feature.node.kubernetes.io/pci-10de.present=true or "
    )
    assert failed(result) == {"node-taints", "node-labels", "nfd-labels"}


def test_allocatable_zero(gpu: PoolScene) -> None:
    gpu.healthy()
    gpu.node("node-a", devices=0)
    result = verify(gpu.server, "prod", "--format", "json")
    assert result.code == 1
    assert only(result, "accelerator")["message"] == (
        "node-a allocatable nvidia.com/gpu none, g5.2xlarge has 1 (is the device plugin running?)"
    )


# --- operators ---------------------------------------------------------------------------------


def test_cluster_policy_not_ready_and_its_driver_pod(gpu: PoolScene) -> None:
    gpu.healthy()
    gpu.cluster_policy(
        state="notReady",
        conditions=[
            {"type": "Ready", "status": "False", "reason": "OperandNotReady", "message": "ClusterPolicy is not ready, "
             "states not ready: [state-driver]", "lastTransitionTime": NOW},
            {"type": "Error", "status": "True", "reason": "DriverNotReady", "message": "Waiting for driver pod to be "
             "ready", "lastTransitionTime": NOW},
        ],
    )  # fmt: skip
    gpu.operand_pod("operand-node-a", "node-a", ready=False)
    result = verify(gpu.server, "prod", "--format", "json")
    assert result.code == 1
    assert only(result, "operator")["message"] == (
        "state notReady: OperandNotReady: ClusterPolicy is not ready, states not ready: [state-driver]; "
        "DriverNotReady: Waiting for driver pod to be ready"
    )
    assert only(result, "driver")["message"] == (
        "driver pod operand-node-a on node-a not Ready (Running, operand: CrashLoopBackOff)"
    )


def test_no_driver_pod_on_a_node(gpu: PoolScene) -> None:
    gpu.healthy(nodes=("node-a", "node-b"))
    gpu.server.delete("v1", "Pod", "operand-node-b", "nvidia-gpu-operator")
    result = verify(gpu.server, "prod", "--format", "json")
    assert only(result, "driver")["message"] == "no driver pod on node-b"
    assert failed(result) == {"driver"}


def test_no_gpu_operator_yet(gpu: PoolScene) -> None:
    """The ClusterPolicy is missing (its CRD is installed here, so: not on the cluster)."""
    gpu.healthy()
    gpu.server.delete("nvidia.com/v1", "ClusterPolicy", "gpu-cluster-policy")
    result = verify(gpu.server, "prod", "--format", "json")
    assert only(result, "operator")["message"] == "not on the cluster (see the operators Application)"
    assert only(result, "driver")["message"].startswith("ClusterPolicy/gpu-cluster-policy has no status.namespace")


def _render(root: Path) -> RenderedOverlay:
    return render_model(root / "overlays" / "prod", load_settings(root))


def test_an_instance_type_the_catalog_lacks_cannot_be_checked(
    openshift_cluster: LocalApiServer, repo_copy: Path
) -> None:
    pool = repo_copy / "overlays" / "prod" / "capacity" / "gpu-us-west-2a" / "pool.yaml"
    pool.write_text(pool.read_text().replace("instanceType: g5.2xlarge", "instanceType: g9.xlarge"))
    scene = PoolScene(openshift_cluster, _render(repo_copy), Accelerator.NVIDIA_GPU)
    scene.clean()
    try:
        scene.healthy()
        result = verify(openshift_cluster, "prod", "--format", "json")
    finally:
        scene.clean()
    assert result.code == 1
    accelerator = only(result, "accelerator")
    assert (accelerator["status"], accelerator["message"]) == (
        "cannot check",
        (
            "g9.xlarge is not in the instance table (accelcap.catalog.instance_types): how many nvidia.com/gpu it has "
            "is unknown"
        ),
    )


def test_a_kind_the_cluster_does_not_serve(openshift_cluster: LocalApiServer, repo_copy: Path) -> None:
    """The render's ClusterPolicy is of a version no installed GPU Operator serves."""
    policy = repo_copy / "base" / "instances" / "gpu-operator" / "clusterpolicy.yaml"
    policy.write_text(policy.read_text().replace("apiVersion: nvidia.com/v1", "apiVersion: nvidia.com/v2"))
    scene = PoolScene(openshift_cluster, _render(repo_copy), Accelerator.NVIDIA_GPU)
    scene.clean()
    try:
        for application in scene.applications:
            scene.application(application.name)
        scene.machineset(replicas=1)
        scene.autoscaler()
        scene.machine(f"{GPU_POOL}-0", node="node-a")
        scene.node("node-a")
        result = verify(openshift_cluster, "prod", "--format", "json")
    finally:
        scene.clean()
    assert only(result, "operator")["message"] == (
        "the cluster does not serve nvidia.com/v2 ClusterPolicy: the GPU Operator is not installed"
    )
    assert only(result, "driver")["message"] == "no GPU Operator on the cluster (see operator)"


# --- Inferentia --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def inferentia_on(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RenderedOverlay]:
    """A repository of prod with Inferentia on and its pool scaled to 1 in Git, as the runbook
    does, and its render (the tests only read both)."""
    root = copy_repository(tmp_path_factory.mktemp("inferentia-on") / "repo")
    enable_inferentia(root)
    pool = root / "overlays" / "prod" / "inferentia" / "capacity" / "inf2-us-west-2a" / "kustomization.yaml"
    pool.write_text(
        pool.read_text() + "patches:\n  - target: {kind: MachineSet}\n    patch: |-\n"
        "      - {op: replace, path: /spec/replicas, value: 1}\n"
    )
    return root, _render(root)


@pytest.fixture
def neuron(
    openshift_cluster: LocalApiServer, inferentia_on: tuple[Path, RenderedOverlay], monkeypatch: pytest.MonkeyPatch
) -> t.Iterator[PoolScene]:
    """The Inferentia pool of prod with Inferentia on (``inferentia_on``), the repository the tools read."""
    root, rendered = inferentia_on
    monkeypatch.setenv("ACCELCAP_REPO", str(root))
    load_settings.cache_clear()
    scene = PoolScene(openshift_cluster, rendered, Accelerator.NEURON)
    scene.clean()
    yield scene
    scene.clean()


def _healthy_neuron(scene: PoolScene) -> None:
    scene.healthy()
    gpu_pool = PoolScene(scene.server, scene.rendered, Accelerator.NVIDIA_GPU)
    gpu_pool.machineset(replicas=0)
    gpu_pool.autoscaler()
    gpu_pool.cluster_policy()


def test_an_inferentia_pool_done(neuron: PoolScene) -> None:
    _healthy_neuron(neuron)
    result = verify(neuron.server, "prod", "--pool", NEURON_POOL, "--format", "json")
    assert result.code == 0, result.out
    assert {i["subject"].split("/")[-1] for i in checks(result)["application"]} == {
        "prod-root", "prod-capacity", "prod-operators", "prod-neuron-operators", "prod-inferentia-capacity",
    }  # fmt: skip
    assert only(result, "replicas")["message"] == "1 replica(s), as rendered (no MachineAutoscaler)"
    assert only(result, "accelerator")["message"] == "1 node(s) with allocatable aws.amazon.com/neuron 1"
    assert only(result, "driver")["message"] == "module neuron loaded and device plugin Ready on 1 node(s)"
    operators = {i["subject"]: i["status"] for i in checks(result)["operator"]}
    assert operators == {"ClusterPolicy/gpu-cluster-policy": "ok", "DeviceConfig/aws-neuron-operator/neuron": "ok"}


def test_an_inferentia_node_kmm_has_not_loaded(neuron: PoolScene) -> None:
    _healthy_neuron(neuron)
    neuron.node(
        "node-a", labels={"node-role.kubernetes.io/inferentia": "", "feature.node.kubernetes.io/aws-neuron": "true"}
    )
    neuron.server.delete("v1", "Pod", "operand-node-a", "aws-neuron-operator")
    result = verify(neuron.server, "prod", "--pool", NEURON_POOL, "--format", "json")
    assert result.code == 1
    assert only(result, "driver")["message"] == (
        "KMM has not loaded module neuron on node-a (no kmm.node.kubernetes.io/aws-neuron-operator.neuron.ready "
        "label); no device plugin pod on node-a"
    )


def test_an_inferentia_pool_scaled_by_hand(neuron: PoolScene) -> None:
    _healthy_neuron(neuron)
    neuron.machineset(replicas=2)
    result = verify(neuron.server, "prod", "--pool", NEURON_POOL, "--format", "json")
    assert only(result, "replicas")["message"].startswith("2 replica(s), the render says 1 (scaled by hand")


# --- --workload --------------------------------------------------------------------------------


@contextlib.contextmanager
def scheduler(
    server: LocalApiServer, kubelet: FakeKubelet, node: str, namespace: str, outcome: tuple[str, int, str]
) -> t.Iterator[list[dict[str, t.Any]]]:
    """Plays the scheduler and the kubelet for the tool's validation pods: binds each to
    ``node``, then (phase, exit code, log) of ``outcome``. Yields the pods it saw."""
    seen: list[dict[str, t.Any]] = []
    stop = threading.Event()
    phase, code, log = outcome

    def run() -> None:
        with Cluster(server.connection()) as reader:
            pods = reader.find_resource("pods")
            while not stop.is_set():
                for pod in reader.get(pods, None, namespace, MANAGED)["items"]:
                    name = pod["metadata"]["name"]
                    if pod["spec"].get("nodeName") or pod["metadata"].get("deletionTimestamp"):
                        continue
                    seen.append(pod)
                    container = pod["spec"]["containers"][0]["name"]
                    kubelet.logs[(namespace, name, container)] = log
                    server.bind(namespace, name, node)
                    ended = {"exitCode": code, "reason": "Completed" if code == 0 else "Error"}
                    server.apply_status(
                        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace},
                         "status": {"phase": phase, "containerStatuses": [
                             {"name": container, "image": pod["spec"]["containers"][0]["image"], "imageID": "",
                              "ready": False, "restartCount": 0, "state": {"terminated": ended}}]}}
                    )  # fmt: skip
                stop.wait(0.05)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        stop.set()
        thread.join(timeout=10)


def validation_pods(server: LocalApiServer, namespace: str) -> list[dict[str, t.Any]]:
    return list(server.admin.get("pods", None, namespace, MANAGED)["items"])


CUDA_LOG = (
    "[Vector addition of 50000 elements]\nCopy input data from the host memory to the CUDA device\nTest PASSED\nDone\n"
)


def test_workload_passes_and_is_deleted(gpu: PoolScene, kubelet: FakeKubelet) -> None:
    gpu.kubelet_port = kubelet.port
    gpu.healthy()
    with scheduler(gpu.server, kubelet, "node-a", "gpu-validation", ("Succeeded", 0, CUDA_LOG)) as seen:
        result = verify(gpu.server, "prod", "--workload", "--format", "json")
    assert result.code == 0, result.out + result.err
    workload = only(result, "workload")
    assert workload["status"] == "ok" and workload["message"] == "Test PASSED on node-a"
    (pod,) = seen
    assert pod["metadata"]["generateName"] == "cuda-vectoradd-"
    assert pod["spec"]["activeDeadlineSeconds"] == 660
    term = pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"
    ]
    assert term == [{"matchExpressions": [
        {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["g5.2xlarge"]},
        {"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["us-west-2a"]},
    ]}]  # fmt: skip
    # The rendered toleration (admission adds the not-ready and unreachable ones after it).
    assert pod["spec"]["tolerations"][0] == {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    assert any(
        path.startswith(f"/containerLogs/gpu-validation/{pod['metadata']['name']}/cuda-vectoradd")
        for path in kubelet.requests
    )
    assert validation_pods(gpu.server, "gpu-validation") == []  # deleted again


def test_workload_whose_log_lacks_the_proof(gpu: PoolScene, kubelet: FakeKubelet) -> None:
    gpu.kubelet_port = kubelet.port
    gpu.healthy()
    with scheduler(gpu.server, kubelet, "node-a", "gpu-validation", ("Succeeded", 0, "Test FAILED\n")):
        result = verify(gpu.server, "prod", "--workload", "--format", "json")
    assert result.code == 1
    assert only(result, "workload")["message"] == "its log on node-a lacks Test PASSED: Test FAILED"
    assert validation_pods(gpu.server, "gpu-validation") == []


def test_workload_that_fails(gpu: PoolScene, kubelet: FakeKubelet) -> None:
    gpu.kubelet_port = kubelet.port
    gpu.healthy()
    log = "Failed to allocate device vector A (error code no CUDA-capable device is detected)!\n"
    with scheduler(gpu.server, kubelet, "node-a", "gpu-validation", ("Failed", 1, log)):
        result = verify(gpu.server, "prod", "--workload", "--format", "json")
    assert result.code == 1
    assert only(result, "workload")["message"] == f"exited 1 (Error) on node-a: {log.strip()}"
    assert validation_pods(gpu.server, "gpu-validation") == []


def test_workload_that_runs_on_another_pool(gpu: PoolScene, kubelet: FakeKubelet) -> None:
    gpu.kubelet_port = kubelet.port
    gpu.healthy()
    gpu.node("stranger")  # same zone and type, but no Machine of this pool names it
    with scheduler(gpu.server, kubelet, "stranger", "gpu-validation", ("Succeeded", 0, CUDA_LOG)):
        result = verify(gpu.server, "prod", "--workload", "--format", "json")
    assert only(result, "workload")["message"].startswith("ran on stranger, which is not a node of this pool")


def test_workload_times_out_with_progress_and_is_deleted(gpu: PoolScene) -> None:
    gpu.healthy()
    result = verify(gpu.server, "prod", "--workload", "--workload-timeout", "0.3", "--format", "json")
    assert result.code == 1
    assert only(result, "workload")["message"] == "not finished in 0.3s: Pending"
    progress = result.err.splitlines()
    assert progress and all(
        line.startswith(f"verify-pools: {GPU_POOL}: gpu-validation/cuda-vectoradd-") for line in progress
    )
    assert validation_pods(gpu.server, "gpu-validation") == []


def test_workload_not_run_on_a_pool_at_zero(gpu: PoolScene) -> None:
    gpu.healthy(nodes=())
    result = verify(gpu.server, "prod", "--workload", "--format", "json")
    assert result.code == 0
    assert (only(result, "workload")["status"], only(result, "workload")["message"]) == (
        "scaled to zero", "not run: the pool is at 0 replicas",
    )  # fmt: skip


def test_neuron_workload_lists_its_device(neuron: PoolScene, kubelet: FakeKubelet) -> None:
    neuron.kubelet_port = kubelet.port
    _healthy_neuron(neuron)
    log = (
        "crw-rw-rw-. 1 root root 239, 0 Jan  1 00:00 /dev/neuron0\n"
        "+--------+--------+--------+\n| NEURON | NEURON | NEURON |\n+--------+--------+--------+\n"
        '[\n  {"neuron_device": 0, "bdf": "00:1f.0", "connected_to": null, "nc_count": 2, "memory_size": 34359738368}\n]\n'
    )
    with scheduler(neuron.server, kubelet, "node-a", "neuron-validation", ("Succeeded", 0, log)):
        result = verify(neuron.server, "prod", "--pool", NEURON_POOL, "--workload", "--format", "json")
    assert result.code == 0, result.out
    assert only(result, "workload")["message"] == "neuron-ls lists 1 device(s), 2 NeuronCore(s) on node-a"


@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_workload_interrupted_deletes_its_pod(gpu: PoolScene, sent: signal.Signals) -> None:
    """The tool as a process: its pod waits (no scheduler), the signal arrives, the pod goes."""
    gpu.healthy()
    command = [sys.executable, "-m", "accelcap.toolbox", "verify-pools", "prod", "--workload",
               "--kubeconfig", str(gpu.server.kubeconfig)]  # fmt: skip
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not validation_pods(gpu.server, "gpu-validation"):
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()
            time.sleep(0.2)
        process.send_signal(sent)
        _out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    # The CLI frame's rule (README, Tools): 128 + the signal's number, naming the signal.
    assert process.returncode == 128 + sent
    assert err.splitlines()[-1] == f"verify-pools: interrupted: {sent.name}" and "Traceback" not in err
    assert validation_pods(gpu.server, "gpu-validation") == []


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("namespace: gpu-validation", "namespace: openshift-machine-api",
         "at /metadata/namespace: namespace openshift-machine-api is not one of gpu-validation, neuron-validation"),
        ("  automountServiceAccountToken: false\n",
         "  automountServiceAccountToken: false\n  hostPID: true\n  serviceAccountName: machine-api-controllers\n",
         "at /spec/hostPID: hostPID: true shares the node's namespaces (and 1 more)"),
        ("        allowPrivilegeEscalation: false\n", "        privileged: true\n",
         "at /spec/containers/0/securityContext/privileged: container cuda-vectoradd is privileged (and 1 more)"),
    ],
    ids=["another-namespace", "host-pid-and-service-account", "privileged"],
)  # fmt: skip
def test_workload_refuses_a_pod_that_is_not_restricted(
    gpu: PoolScene, repo_copy: Path, old: str, new: str, says: str
) -> None:
    """verify-pools creates the validation pod as rendered, with the rights of whoever runs it:
    a pod that is not Pod Security restricted (issue 19) is refused before anything is created."""
    pod = repo_copy / "base" / "validation" / "gpu" / "cuda-vectoradd.yaml"
    text = pod.read_text()
    assert old in text
    pod.write_text(text.replace(old, new, 1))
    gpu.healthy()
    result = verify(gpu.server, "prod", "--workload", "--format", "json")
    assert result.code == 2 and result.out == ""
    assert result.err == (
        "verify-pools: base/validation/gpu/cuda-vectoradd.yaml: Pod/gpu-validation/cuda-vectoradd: not created: "
        f"not Pod Security restricted {says}\n"
    ).replace(
        "Pod/gpu-validation/", "Pod/openshift-machine-api/" if "openshift-machine-api" in new else "Pod/gpu-validation/"
    )
    assert validation_pods(gpu.server, "gpu-validation") == []


# --- access ------------------------------------------------------------------------------------


def test_the_documented_access_is_enough(gpu: PoolScene, kubelet: FakeKubelet, tmp_path: Path) -> None:
    """A service account with the docs' rules and nothing else: the reads pass; --workload is
    refused (exit 3, one line) until the workload rules are bound in the validation namespace."""
    gpu.kubelet_port = kubelet.port
    gpu.healthy()
    server = gpu.server
    user = service_account_user("default", "verify-pools-reader")
    server.grant(user, "verify-pools-reader", [dict(rule) for rule in READ_RULES])
    config = server.kubeconfig_as(tmp_path / "kubeconfig", server.token_for("default", "verify-pools-reader"))
    assert verify(server, "prod", kubeconfig=config).code == 0

    refused = verify(server, "prod", "--workload", kubeconfig=config)
    assert refused.code == 3 and "Traceback" not in refused.err
    assert refused.err.splitlines()[-1].startswith("verify-pools: GET https://127.0.0.1:")
    assert "/api/v1/namespaces/gpu-validation: HTTP 403 Forbidden" in refused.err

    server.grant(user, "verify-pools-workload", [dict(rule) for rule in WORKLOAD_RULES], namespace="gpu-validation")
    with scheduler(server, kubelet, "node-a", "gpu-validation", ("Succeeded", 0, CUDA_LOG)):
        done = verify(server, "prod", "--workload", "--format", "json", kubeconfig=config)
    assert done.code == 0, done.out + done.err
    assert only(done, "workload")["message"] == "Test PASSED on node-a"


def test_the_pod_writer_writes_one_pod_and_nothing_else(api_server: LocalApiServer) -> None:
    writer = PodWriter(api_server.admin, "verify-pools")
    with pytest.raises(AssertionError, match="Pods only"):
        writer.create("default", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
    with pytest.raises(InputError):
        writer.delete("default", "../secrets/x")
    assert writer.delete("default", "no-such-pod") is False


# --- formats -----------------------------------------------------------------------------------


def test_github_and_markdown(gpu: PoolScene) -> None:
    gpu.healthy()
    gpu.node("node-a", devices=0)
    github = verify(gpu.server, "prod", "--format", "github")
    assert github.code == 1
    assert github.out.splitlines() == [
        (
            "::error file=base/pools/gpu/kustomization.yaml,line=16,title=verify-pools accelerator::overlays/prod "
            f"MachineSet/openshift-machine-api/{GPU_POOL}: node-a allocatable nvidia.com/gpu none, g5.2xlarge has 1 "
            "(is the device plugin running?)"
        )
    ]
    markdown = verify(gpu.server, "prod", "--format", "markdown").out
    assert markdown.startswith("### verify-pools `prod`: :x: 1 not done\n")
    assert "| Result | Pool | Check | Detail |" in markdown
    assert "  - what to do: The device plugin has not advertised the devices" in markdown


# --- bad input: one line, the right exit code --------------------------------------------------


def one_line(result: Result, code: int) -> str:
    assert result.code == code, result.out + result.err
    assert result.out == "" and len(result.err.splitlines()) == 1 and "Traceback" not in result.err
    return result.err


def test_unknown_cluster(api_server: LocalApiServer) -> None:
    err = one_line(verify(api_server, "staging"), 2)
    assert err.startswith("verify-pools: staging: no such cluster in overlays/ (known: prod)")


def test_unknown_pool(gpu: PoolScene) -> None:
    err = one_line(verify(gpu.server, "prod", "--pool", "nope"), 2)
    assert err == f"verify-pools: --pool nope: no such pool in overlays/prod (pools: {GPU_POOL})\n"


def test_unreachable_api_server(api_server: LocalApiServer, tmp_path: Path) -> None:
    port = free_port()
    config = write_kubeconfig(tmp_path / "kubeconfig", f"https://127.0.0.1:{port}", api_server.workdir / "certs" / "apiserver.crt", "x")  # fmt: skip
    err = one_line(verify(api_server, "prod", kubeconfig=config), 3)
    assert err.startswith(f"verify-pools: GET https://127.0.0.1:{port}/api") and "cannot connect" in err


def test_expired_credentials(openshift_cluster: LocalApiServer, tmp_path: Path) -> None:
    """A token the API server no longer accepts (its service account is gone): 401."""
    token = openshift_cluster.token_for("default", "verify-pools-gone")
    openshift_cluster.delete("v1", "ServiceAccount", "verify-pools-gone", "default")
    config = openshift_cluster.kubeconfig_as(tmp_path / "kubeconfig", token)
    err = one_line(verify(openshift_cluster, "prod", kubeconfig=config), 3)
    assert "HTTP 401 Unauthorized: context 'test' has no valid credentials (log in again)" in err


def test_access_denied(openshift_cluster: LocalApiServer, tmp_path: Path) -> None:
    token = openshift_cluster.token_for("default", "verify-pools-nobody")
    err = one_line(
        verify(openshift_cluster, "prod", kubeconfig=openshift_cluster.kubeconfig_as(tmp_path / "k", token)), 3
    )
    assert "/apis/config.openshift.io/v1/infrastructures/cluster: HTTP 403 Forbidden" in err


def test_a_context_for_another_cluster(openshift_cluster: LocalApiServer, repo_copy: Path) -> None:
    facts = repo_copy / "overlays" / "prod" / "facts" / "cluster.yaml"
    facts.write_text(facts.read_text().replace("infraID: prod-x7k2p", "infraID: prod-other"))
    err = one_line(verify(openshift_cluster, "prod"), 3)
    assert err == (
        f"verify-pools: context test ({openshift_cluster.url}): is cluster 'prod-x7k2p', but the facts of "
        "overlays/prod say infraID 'prod-other': refusing to check against another cluster\n"
    )


def test_no_such_context(api_server: LocalApiServer) -> None:
    err = one_line(verify(api_server, "prod", "--context", "prod-admin"), 2)
    assert "no context 'prod-admin' (contexts: test)" in err


def test_infra_id_unset(api_server: LocalApiServer, repo_copy: Path) -> None:
    facts = repo_copy / "overlays" / "prod" / "facts" / "cluster.yaml"
    facts.write_text(facts.read_text().replace("infraID: prod-x7k2p", "infraID: INFRAID"))
    err = one_line(verify(api_server, "prod"), 2)
    assert "infraID is unset" in err


def test_bad_workload_timeout(api_server: LocalApiServer) -> None:
    err = one_line(verify(api_server, "prod", "--workload-timeout", "0"), 2)
    assert err.startswith("verify-pools: usage: argument --workload-timeout: 0 is not a positive number")


# --- the catalog's causes ----------------------------------------------------------------------


@pytest.mark.parametrize("cause", FAILURE_CAUSES, ids=[c.name for c in FAILURE_CAUSES])
def test_each_cause_recognises_its_example(cause: t.Any) -> None:
    assert failure_cause(cause.example) is cause


def test_neuron_ls_json_is_found_in_a_log() -> None:
    assert neuron_devices('ls: /dev/neuron0\n[{"nc_count": 2}, {"nc_count": 2}]\n') == [{"nc_count": 2}] * 2
    assert neuron_devices("[INFO] no devices\n[]\n") is None
