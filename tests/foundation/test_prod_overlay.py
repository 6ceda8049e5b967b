"""The prod overlay, rendered as Argo CD will sync it, has every property the mission asks for."""

from __future__ import annotations

import typing as t

import pytest

from accelcap.config import load_settings
from accelcap.facts import ClusterFacts, load_facts
from accelcap.model import find_machinesets
from accelcap.render import Document, RenderedOverlay
from support import PROD_POOL, REPO, one


@pytest.fixture
def gpu_machineset(prod: RenderedOverlay) -> Document:
    return one(prod, "MachineSet", PROD_POOL)


@pytest.fixture
def facts(prod: RenderedOverlay) -> ClusterFacts:
    assert prod.facts is not None
    return prod.facts


def test_facts_are_the_mission_cluster() -> None:
    facts = load_facts("prod", load_settings(REPO))
    assert (facts.account_id, facts.region, facts.zones) == ("153526447089", "us-west-2", ("us-west-2a",))


def test_gpu_pool_identity_and_role(gpu_machineset: Document, facts: ClusterFacts) -> None:
    infra = facts.infra_id
    assert gpu_machineset.name == f"{infra}-gpu-us-west-2a"
    assert gpu_machineset.namespace == "openshift-machine-api"
    assert gpu_machineset.api_version == "machine.openshift.io/v1beta1"
    labels = gpu_machineset.get("spec", "template", "metadata", "labels")
    # Never "worker": the clusters repo converts every worker MachineSet to Spot.
    assert labels["machine.openshift.io/cluster-api-machine-role"] == "gpu"
    assert labels["machine.openshift.io/cluster-api-machine-type"] == "gpu"


def test_infra_id_in_every_place(gpu_machineset: Document, facts: ClusterFacts) -> None:
    infra = facts.infra_id
    name = gpu_machineset.name
    cluster_label = "machine.openshift.io/cluster-api-cluster"
    machineset_label = "machine.openshift.io/cluster-api-machineset"
    provider = gpu_machineset.get("spec", "template", "spec", "providerSpec", "value")
    assert gpu_machineset.labels[cluster_label] == infra
    assert gpu_machineset.get("spec", "selector", "matchLabels") == {cluster_label: infra, machineset_label: name}
    template_labels = gpu_machineset.get("spec", "template", "metadata", "labels")
    assert (template_labels[cluster_label], template_labels[machineset_label]) == (infra, name)
    assert provider["iamInstanceProfile"] == {"id": f"{infra}-worker-profile"}
    sg_names = [v for sg in provider["securityGroups"] for f in sg["filters"] for v in f["values"]]
    assert sg_names == [f"{infra}-node", f"{infra}-lb"]  # prod was installed with 4.16+
    assert provider["subnet"]["filters"][0]["values"] == [f"{infra}-subnet-private-us-west-2a"]
    assert provider["tags"] == [{"name": f"kubernetes.io/cluster/{infra}", "value": "owned"}]
    assert provider["placement"] == {"region": "us-west-2", "availabilityZone": "us-west-2a"}
    assert provider["ami"] == {"id": facts.ami}


def test_the_gpu_pool_is_the_worker_with_the_pool_yaml_settings(gpu_machineset: Document, facts: ClusterFacts) -> None:
    """prod's pool renders exactly as before the worker capture existed (prod's facts hold the
    values its pools had then), plus the three annotations that name its pool.yaml, zone and market."""
    infra = facts.infra_id
    assert gpu_machineset.get("spec", "template", "spec", "providerSpec", "value") == {
        "apiVersion": "machine.openshift.io/v1beta1",
        "kind": "AWSMachineProviderConfig",
        "ami": {"id": "ami-0870c7a3d5ef4d2b3"},
        "instanceType": "g5.2xlarge",
        "iamInstanceProfile": {"id": f"{infra}-worker-profile"},
        "securityGroups": [
            {"filters": [{"name": "tag:Name", "values": [f"{infra}-node"]}]},
            {"filters": [{"name": "tag:Name", "values": [f"{infra}-lb"]}]},
        ],
        "subnet": {"filters": [{"name": "tag:Name", "values": [f"{infra}-subnet-private-us-west-2a"]}]},
        "placement": {"region": "us-west-2", "availabilityZone": "us-west-2a"},
        "tags": [{"name": f"kubernetes.io/cluster/{infra}", "value": "owned"}],
        "blockDevices": [
            {"ebs": {"encrypted": True, "iops": 0, "kmsKey": {"arn": ""}, "volumeSize": 120, "volumeType": "gp3"}}
        ],
        "credentialsSecret": {"name": "aws-cloud-credentials"},
        "userDataSecret": {"name": "worker-user-data"},
        "deviceIndex": 0,
        "metadataServiceOptions": {"authentication": "Required"},  # IMDSv2 (CAP023)
        "spotMarketOptions": {},
    }
    assert gpu_machineset.annotations == {
        "argocd.argoproj.io/sync-options": "Prune=false,Delete=false",
        "argocd.argoproj.io/sync-wave": "3",
        "accel-capacity.io/pool": "gpu-us-west-2a",
        "accel-capacity.io/zone": "us-west-2a",
        "accel-capacity.io/market": "Spot",
    }


def test_gpu_pool_node_labels_taint_size_market(gpu_machineset: Document) -> None:
    spec = gpu_machineset.get("spec", "template", "spec")
    assert spec["metadata"]["labels"] == {"node-role.kubernetes.io/gpu": "", "cluster-api/accelerator": "nvidia-a10g"}
    assert spec["taints"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}]
    assert spec["providerSpec"]["value"]["instanceType"] == "g5.2xlarge"
    assert spec["providerSpec"]["value"]["spotMarketOptions"] == {}


def test_replicas_explicit_zero_and_no_prune(gpu_machineset: Document) -> None:
    assert "replicas" in gpu_machineset.obj["spec"] and gpu_machineset.obj["spec"]["replicas"] == 0
    options = {o.strip() for o in gpu_machineset.annotations["argocd.argoproj.io/sync-options"].split(",")}
    assert {"Prune=false", "Delete=false"} <= options


def test_no_placeholder_survives(prod: RenderedOverlay) -> None:
    import json

    text = json.dumps([d.obj for d in prod.documents])
    for token in ("INFRAID", "AMI_ID", "REGION", "ZONE", "CLUSTER"):
        assert token not in text


def test_autoscaling(prod: RenderedOverlay, gpu_machineset: Document) -> None:
    autoscaler = one(prod, "ClusterAutoscaler")
    assert autoscaler.name == "default" and autoscaler.namespace is None
    # 2 Spot nodes and the 2 of the On-Demand fallback, one GPU each
    assert autoscaler.get("spec", "resourceLimits", "gpus") == [{"type": "nvidia-a10g", "min": 0, "max": 4}]
    pool, fallback = find_machinesets(prod.documents)
    assert (pool.name, fallback.name) == (PROD_POOL, f"{PROD_POOL}-ondemand")
    assert fallback.market == "on-demand" and fallback.max_replicas == 2
    assert pool.autoscaler is not None
    assert pool.autoscaler.get("spec", "scaleTargetRef") == {
        "apiVersion": "machine.openshift.io/v1beta1",
        "kind": "MachineSet",
        "name": gpu_machineset.name,
    }
    assert (pool.autoscaler.get("spec", "minReplicas"), pool.max_replicas) == (0, 2)


def test_operators_split_and_pinned(prod: RenderedOverlay) -> None:
    gpu = one(prod, "Subscription", "gpu-operator-certified")
    assert (gpu.namespace, gpu.get("spec", "source"), gpu.get("spec", "channel")) == (
        "nvidia-gpu-operator",
        "certified-operators",
        "v25.10",
    )
    assert gpu.get("spec", "installPlanApproval") == "Automatic"
    nfd = one(prod, "Subscription", "nfd")
    assert (nfd.namespace, nfd.get("spec", "source")) == ("openshift-nfd", "redhat-operators")
    nfd_instance = one(prod, "NodeFeatureDiscovery")
    assert "image" not in nfd_instance.get("spec", "operand", default={})
    assert "customConfig" not in nfd_instance.obj["spec"]


def test_cluster_policy(prod: RenderedOverlay) -> None:
    policy = one(prod, "ClusterPolicy")
    assert policy.namespace is None
    assert policy.get("spec", "operator", "defaultRuntime") == "crio"
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in policy.get(
        "spec", "daemonsets", "tolerations"
    )


def _wave(document: Document) -> int:
    return int(document.annotations.get("argocd.argoproj.io/sync-wave", "0"))


def test_sync_waves_and_dry_run(prod: RenderedOverlay) -> None:
    olm = [d for d in prod.documents if d.kind in ("Namespace", "OperatorGroup", "Subscription") and d.application]
    crs = [one(prod, "NodeFeatureDiscovery"), one(prod, "ClusterPolicy")]
    pools = [d for d in prod.documents if d.kind in ("MachineSet", "MachineAutoscaler", "ClusterAutoscaler")]
    assert max(map(_wave, olm)) < min(map(_wave, crs)) <= max(map(_wave, crs)) < min(map(_wave, pools))
    for cr in crs:
        assert "SkipDryRunOnMissingResource=true" in cr.annotations["argocd.argoproj.io/sync-options"]


def _application(prod: RenderedOverlay, concern: str) -> Document:
    return one(prod, "Application", f"prod-{concern}")


def test_argocd_applications(prod: RenderedOverlay) -> None:
    project = one(prod, "AppProject", "accelerator-capacity")
    capacity, operators = _application(prod, "capacity"), _application(prod, "operators")
    for app in (capacity, operators):
        assert app.get("spec", "project") == project.name
        assert app.get("spec", "syncPolicy", "automated", "prune") is False
        # The root Application syncs them, so their waves order something.
        assert app.application == "prod-root"
    assert capacity.get("spec", "source", "path") == "overlays/prod/capacity"
    assert operators.get("spec", "source", "path") == "overlays/prod/operators"
    assert capacity.get("spec", "destination", "namespace") == "openshift-machine-api"
    # Operators before pools.
    assert _wave(operators) < _wave(capacity)
    # The GPU pool is autoscaled: Argo CD must leave replicas to the autoscaler; on 4.19+ the
    # boot image is the Machine Config Operator's.
    assert capacity.get("spec", "ignoreDifferences") == [
        {"group": "machine.openshift.io", "kind": "MachineSet", "jsonPointers": ["/spec/replicas"]},
        {
            "group": "machine.openshift.io",
            "kind": "MachineSet",
            "jsonPointers": [
                "/spec/template/spec/providerSpec/value/ami",
                "/spec/template/spec/providerSpec/value/userDataSecret/name",
            ],
        },
    ]
    assert capacity.get("spec", "syncPolicy", "syncOptions") == ["RespectIgnoreDifferences=true"]


def test_bootstrap_is_the_overlay_itself(prod: RenderedOverlay) -> None:
    """What a cluster-admin applies once: projects, controller RBAC, health check, root Application."""
    bootstrap = {d.ref for d in prod.documents if d.application is None and d.rendered_from == "overlays/prod"}
    assert bootstrap == {
        "AppProject/openshift-gitops/default",
        "AppProject/openshift-gitops/accelerator-capacity",
        "AppProject/openshift-gitops/accelerator-capacity-apps",
        "ClusterRole/accelerator-capacity-argocd-sync",
        "ClusterRoleBinding/accelerator-capacity-argocd-sync",
        "ArgoCD/openshift-gitops/openshift-gitops",
        "Application/openshift-gitops/prod-root",
    }
    root = one(prod, "Application", "prod-root")
    assert root.get("spec", "sources") == [
        {
            "repoURL": "https://github.com/example-org/accelerator-capacity.git",
            "targetRevision": "main",
            "path": "overlays/prod/apps",
        }
    ]
    assert root.get("spec", "project") == "accelerator-capacity-apps"
    assert "argocd.argoproj.io/sync-wave" not in root.annotations


def test_each_application_syncs_only_its_concern(prod: RenderedOverlay) -> None:
    synced: dict[str, set[str]] = {}
    for followed in prod.applications:
        synced[followed.application.name] = {d.kind for d in followed.documents}
    # ConfigMap: the cluster autoscaler's priority expander (Spot before On-Demand)
    assert synced["prod-capacity"] == {"MachineSet", "MachineAutoscaler", "ClusterAutoscaler", "ConfigMap"}
    assert not synced["prod-operators"] & {"MachineSet", "MachineAutoscaler", "ClusterAutoscaler", "Pod"}


def test_validation_pod_is_outside_argocd(prod: RenderedOverlay) -> None:
    pod = one(prod, "Pod", "cuda-vectoradd")
    assert pod.application is None and pod.rendered_from == "overlays/prod/validation"
    container: dict[str, t.Any] = pod.get("spec", "containers", 0)
    assert container["resources"]["limits"] == {"nvidia.com/gpu": 1}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod.get("spec", "tolerations")


def test_every_object_names_its_source(prod: RenderedOverlay) -> None:
    """kustomize's origin annotation becomes the file and line of each object, and is removed."""
    for document in prod.documents:
        assert document.file and (REPO / document.file).is_file(), document.ref
        assert document.line and "config.kubernetes.io/origin" not in document.annotations, document.ref
    machineset = one(prod, "MachineSet", PROD_POOL)
    assert (machineset.file, machineset.rendered_from) == (
        "base/pools/gpu/kustomization.yaml",
        "overlays/prod/capacity",
    )
