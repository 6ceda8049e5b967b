"""The failing fixtures: rule ID -> small mutations of the real prod render.

Each mutation changes a deep copy of the rendered prod overlay so that exactly one rule
(the key) fires. Helpers find objects by kind so the table stays readable.
"""

from __future__ import annotations

import copy
import dataclasses
import typing as t

from accelcap.render import Document, RenderedOverlay

Mutation = t.Callable[[RenderedOverlay], None]



def codes(findings: t.Iterable[t.Any]) -> set[str]:
    return {f.code for f in findings}


SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
SYNC_WAVE = "argocd.argoproj.io/sync-wave"


# --- finding and adding objects -------------------------------------------------------


def one(overlay: RenderedOverlay, kind: str, name: str | None = None) -> Document:
    found = [d for d in overlay.documents if d.kind == kind and (name is None or d.name == name)]
    assert found, f"prod render has no {kind} {name or ''}: the fixture needs updating"
    return found[0]


def machineset(overlay: RenderedOverlay) -> Document:
    return one(overlay, "MachineSet")


def application(overlay: RenderedOverlay, label: str) -> Document:
    """The Application with label accel-capacity.io/application=<label>."""
    for document in overlay.documents:
        if document.kind == "Application" and document.labels.get("accel-capacity.io/application") == label:
            return document
    raise AssertionError(f"prod render has no {label} Application")


def validation_pod(overlay: RenderedOverlay) -> Document:
    for document in overlay.documents:
        if document.kind == "Pod" and document.rendered_from.endswith("/validation"):
            return document
    raise AssertionError("prod render has no validation Pod")


def provider(document: Document) -> dict[str, t.Any]:
    return t.cast(dict[str, t.Any], document.obj["spec"]["template"]["spec"]["providerSpec"]["value"])


def add(overlay: RenderedOverlay, obj: dict[str, t.Any], like: Document) -> Document:
    """Add ``obj`` as if rendered next to ``like`` (same Application and build)."""
    document = Document(obj, like.overlay, like.rendered_from, like.application, like.file, like.line)
    overlay.documents.append(document)
    for followed in overlay.applications:
        if followed.application.name == like.application:
            followed.documents.append(document)
    return document


def subscription(overlay: RenderedOverlay, package: str, like: Document) -> Document:
    return add(
        overlay,
        {
            "apiVersion": "operators.coreos.com/v1alpha1",
            "kind": "Subscription",
            "metadata": {"name": package, "namespace": package, "annotations": {SYNC_WAVE: "0"}},
            "spec": {"name": package, "channel": "stable", "source": "redhat-operators"},
        },
        like,
    )


def neuron_pool(overlay: RenderedOverlay, taints: list[dict[str, t.Any]]) -> Document:
    """A second pool: a copy of the GPU MachineSet turned into an inf2.xlarge pool."""
    gpu = machineset(overlay)
    obj = copy.deepcopy(gpu.obj)
    name = gpu.name.replace("-gpu-", "-inferentia-")
    obj["metadata"]["name"] = name
    obj["spec"]["selector"]["matchLabels"]["machine.openshift.io/cluster-api-machineset"] = name
    labels = obj["spec"]["template"]["metadata"]["labels"]
    labels["machine.openshift.io/cluster-api-machineset"] = name
    labels["machine.openshift.io/cluster-api-machine-role"] = "inferentia"
    labels["machine.openshift.io/cluster-api-machine-type"] = "inferentia"
    obj["spec"]["template"]["spec"]["metadata"]["labels"] = {
        "node-role.kubernetes.io/inferentia": "",
        "cluster-api/accelerator": "aws-inferentia2",
    }
    obj["spec"]["template"]["spec"]["taints"] = taints
    obj["spec"]["template"]["spec"]["providerSpec"]["value"]["instanceType"] = "inf2.xlarge"
    return add(overlay, obj, gpu)


def device_config(overlay: RenderedOverlay) -> None:
    operators = one(overlay, "ClusterPolicy")
    subscription(overlay, "aws-neuron-operator", operators)
    add(
        overlay,
        {
            "apiVersion": "k8s.aws/v1beta1",
            "kind": "DeviceConfig",
            "metadata": {
                "name": "neuron",
                "namespace": "aws-neuron-operator",
                "annotations": {SYNC_OPTIONS: "SkipDryRunOnMissingResource=true", SYNC_WAVE: "4"},
            },
            "spec": {"driversImage": "example", "nodeMetricsImage": "example"},
        },
        operators,
    )


def kmm_module(overlay: RenderedOverlay, tolerations: list[dict[str, t.Any]]) -> None:
    operators = one(overlay, "ClusterPolicy")
    subscription(overlay, "kernel-module-management", operators)
    add(
        overlay,
        {
            "apiVersion": "kmm.sigs.x-k8s.io/v1beta1",
            "kind": "Module",
            "metadata": {
                "name": "neuron",
                "namespace": "openshift-kmm",
                "annotations": {SYNC_OPTIONS: "SkipDryRunOnMissingResource=true", SYNC_WAVE: "4"},
            },
            "spec": {"tolerations": tolerations},
        },
        operators,
    )


NEURON_TAINT = {"key": "aws.amazon.com/neuron", "value": "true", "effect": "NoSchedule"}


def set_facts(overlay: RenderedOverlay, **changes: t.Any) -> None:
    assert overlay.facts is not None
    overlay.facts = dataclasses.replace(overlay.facts, **changes)


def second_gpu_pool_same_selector(overlay: RenderedOverlay) -> None:
    gpu = machineset(overlay)
    obj = copy.deepcopy(gpu.obj)
    obj["metadata"]["name"] = gpu.name.replace("-gpu-", "-gpu2-")
    add(overlay, obj, gpu)


def set_annotation(document: Document, key: str, value: str) -> None:
    document.obj["metadata"].setdefault("annotations", {})[key] = value


# --- the table ----------------------------------------------------------------------------


def _m(description: str, mutate: Mutation) -> tuple[str, Mutation]:
    return description, mutate


MUTATIONS: dict[str, list[tuple[str, Mutation]]] = {
    "CAP001": [
        _m("Delete=false dropped", lambda o: set_annotation(machineset(o), SYNC_OPTIONS, "Prune=false")),
        _m("no sync-options", lambda o: machineset(o).obj["metadata"]["annotations"].pop(SYNC_OPTIONS)),
    ],
    "CAP002": [
        _m("capacity app prunes", lambda o: application(o, "capacity").obj["spec"]["syncPolicy"]["automated"].update(prune=True)),
    ],
    "CAP003": [
        _m("replicas removed", lambda o: machineset(o).obj["spec"].pop("replicas")),
        _m("replicas a string", lambda o: machineset(o).obj["spec"].update(replicas="1")),
    ],
    "CAP004": [
        _m("no ignoreDifferences", lambda o: application(o, "capacity").obj["spec"].pop("ignoreDifferences")),
        _m(
            "no RespectIgnoreDifferences",
            lambda o: application(o, "capacity").obj["spec"]["syncPolicy"].update(syncOptions=["PruneLast=true"]),
        ),
        _m(
            "MachineSet opts out of RespectIgnoreDifferences",
            lambda o: set_annotation(machineset(o), SYNC_OPTIONS, "Prune=false,Delete=false,RespectIgnoreDifferences=false"),
        ),
        _m("min above max", lambda o: one(o, "MachineAutoscaler").obj["spec"].update(minReplicas=3)),
        _m(
            "target missing",
            lambda o: one(o, "MachineAutoscaler").obj["spec"]["scaleTargetRef"].update(name=machineset(o).name + "x"),
        ),
    ],
    "CAP005": [
        _m("taint removed", lambda o: machineset(o).obj["spec"]["template"]["spec"].pop("taints")),
        _m(
            "role label removed",
            lambda o: machineset(o).obj["spec"]["template"]["spec"]["metadata"]["labels"].pop("node-role.kubernetes.io/gpu"),
        ),
        _m("accelerator label wrong for type", lambda o: provider(machineset(o)).update(instanceType="g6.2xlarge")),
        _m("taint only PreferNoSchedule", lambda o: machineset(o).obj["spec"]["template"]["spec"]["taints"][0].update(effect="PreferNoSchedule")),
    ],
    "CAP006": [
        _m(
            "role worker",
            lambda o: machineset(o).obj["spec"]["template"]["metadata"]["labels"].update(
                {"machine.openshift.io/cluster-api-machine-role": "worker"}
            ),
        ),
    ],
    "CAP007": [
        _m(
            "metadata cluster label differs",
            lambda o: machineset(o).obj["metadata"]["labels"].update({"machine.openshift.io/cluster-api-cluster": "other-abc12"}),
        ),
        _m("facts name another infraID", lambda o: set_facts(o, infra_id="prod-zzzzz")),
        _m("facts infraID unset", lambda o: set_facts(o, infra_id="INFRAID")),
        _m("AMI placeholder survives", lambda o: provider(machineset(o))["ami"].update(id="AMI_ID")),
        _m(
            "CLUSTER in an Application path",
            lambda o: application(o, "capacity").obj["spec"]["source"].update(path="overlays/CLUSTER/capacity"),
        ),
        _m("terraform install, capi names", lambda o: set_facts(o, install_naming="terraform")),
        _m(
            "terraform security group on a capi cluster",
            lambda o: provider(machineset(o)).update(
                securityGroups=[{"filters": [{"name": "tag:Name", "values": [f"{o.facts.infra_id}-worker-sg"]}]}]  # type: ignore[union-attr]
            ),
        ),
        _m("instance profile", lambda o: provider(machineset(o))["iamInstanceProfile"].update(id="other-worker-profile")),
    ],
    "CAP008": [
        _m("selector label not on template", lambda o: machineset(o).obj["spec"]["selector"]["matchLabels"].update(extra="x")),
        _m("two MachineSets, one selector", second_gpu_pool_same_selector),
    ],
    "CAP009": [
        _m("zone not the cluster's", lambda o: set_facts(o, zones=("us-west-2b",))),
        _m(
            "subnet in another zone",
            lambda o: provider(machineset(o))["subnet"]["filters"][0].update(
                values=[f"{o.facts.infra_id}-subnet-private-us-west-2b"]  # type: ignore[union-attr]
            ),
        ),
        _m("region not the cluster's", lambda o: provider(machineset(o))["placement"].update(region="us-east-1")),
        _m("subnet by id", lambda o: provider(machineset(o)).update(subnet={"id": "subnet-0123"})),
    ],
    "CAP010": [
        _m(
            "custom toleration only",
            lambda o: one(o, "ClusterPolicy").obj["spec"]["daemonsets"].update(
                tolerations=[{"key": "nvidia-gpu-only", "operator": "Exists", "effect": "NoSchedule"}]
            ),
        ),
        _m("no ClusterPolicy", lambda o: o.documents.remove(one(o, "ClusterPolicy"))),
    ],
    "CAP011": [
        _m("not named default", lambda o: one(o, "ClusterAutoscaler").obj["metadata"].update(name="cluster")),
        _m("GPU max too low", lambda o: one(o, "ClusterAutoscaler").obj["spec"]["resourceLimits"]["gpus"][0].update(max=1)),
        _m(
            "stale gpus type",
            lambda o: one(o, "ClusterAutoscaler").obj["spec"]["resourceLimits"]["gpus"][0].update(type="nvidia.com/gpu"),
        ),
        _m("unknown instance type", lambda o: provider(machineset(o)).update(instanceType="g5.3xlarge")),
        _m("16xlarge has one GPU, 12xlarge four", lambda o: provider(machineset(o)).update(instanceType="g5.12xlarge")),
        _m("no ClusterAutoscaler", lambda o: o.documents.remove(one(o, "ClusterAutoscaler"))),
    ],
    "CAP012": [
        _m("ClusterPolicy namespaced", lambda o: one(o, "ClusterPolicy").obj["metadata"].update(namespace="nvidia-gpu-operator")),
        _m("ClusterAutoscaler namespaced", lambda o: one(o, "ClusterAutoscaler").obj["metadata"].update(namespace="openshift-machine-api")),
    ],
    "CAP013": [
        _m("NFD without SkipDryRun", lambda o: one(o, "NodeFeatureDiscovery").obj["metadata"]["annotations"].pop(SYNC_OPTIONS)),
        _m("ClusterPolicy in the Subscription's wave", lambda o: set_annotation(one(o, "ClusterPolicy"), SYNC_WAVE, "0")),
        _m("no GPU operator Subscription", lambda o: o.documents.remove(one(o, "Subscription", "gpu-operator-certified"))),
        _m("wave not a number", lambda o: set_annotation(one(o, "ClusterPolicy"), SYNC_WAVE, "two")),
    ],
    "CAP014": [
        _m("tainted Neuron pool with DeviceConfig", lambda o: (neuron_pool(o, [NEURON_TAINT]), device_config(o))),
        _m("NoExecute taint, no driver component", lambda o: neuron_pool(o, [{**NEURON_TAINT, "effect": "NoExecute"}])),
        _m("KMM Module does not tolerate", lambda o: (neuron_pool(o, [NEURON_TAINT]), kmm_module(o, []))),
    ],
    "CAP015": [
        _m("pod does not tolerate", lambda o: validation_pod(o).obj["spec"].pop("tolerations")),
        _m("pod requests no GPU", lambda o: validation_pod(o).obj["spec"]["containers"][0].pop("resources")),
        _m(
            "pod requests Neuron, no Neuron pool",
            lambda o: validation_pod(o).obj["spec"]["containers"][0].update(resources={"limits": {"aws.amazon.com/neuron": 1}}),
        ),
    ],
    "CAP016": [
        _m("operand image", lambda o: one(o, "NodeFeatureDiscovery").obj["spec"]["operand"].update(image="quay.io/nfd:latest")),
        _m("customConfig", lambda o: one(o, "NodeFeatureDiscovery").obj["spec"].update(customConfig={"configMapName": "x"})),
    ],
    "CAP017": [
        _m("cluster upgraded past the channel", lambda o: setattr(o, "facts", dataclasses.replace(o.facts, openshift_version="4.21"))),
        _m("stable channel", lambda o: one(o, "Subscription", "gpu-operator-certified").obj["spec"].update(channel="stable")),
        _m(
            "Neuron pool below 4.19",
            lambda o: (neuron_pool(o, []), setattr(o, "facts", dataclasses.replace(o.facts, openshift_version="4.18"))),
        ),
    ],
    "CAP101": [
        _m("ignore without reason", lambda o: set_annotation(machineset(o), "lint.accel-capacity.io/ignore-CAP003", " ")),
        _m("ignore of an unknown rule", lambda o: set_annotation(machineset(o), "lint.accel-capacity.io/ignore-CAP999", "why")),
        _m("ignore of CAP101 itself", lambda o: set_annotation(machineset(o), "lint.accel-capacity.io/ignore-CAP101", "why")),
    ],
    "CAP102": [
        _m("no facts", lambda o: setattr(o, "facts", None)),
    ],
}

#: Mutations after which the overlay must still lint clean (the "passing" fixtures).
PASSING: list[tuple[str, Mutation]] = [
    _m("untainted Neuron pool with DeviceConfig", lambda o: (neuron_pool(o, []), device_config(o))),
    _m("Neuron pool PreferNoSchedule with DeviceConfig", lambda o: (neuron_pool(o, [{**NEURON_TAINT, "effect": "PreferNoSchedule"}]), device_config(o))),
    _m("tainted Neuron pool, KMM Module tolerates", lambda o: (neuron_pool(o, [NEURON_TAINT]), kmm_module(o, [{"key": "aws.amazon.com/neuron", "operator": "Exists"}]))),
    _m("GPU max raised", lambda o: one(o, "ClusterAutoscaler").obj["spec"]["resourceLimits"]["gpus"][0].update(max=100)),
    _m("sync options with spaces", lambda o: set_annotation(machineset(o), SYNC_OPTIONS, " Delete=false , Prune=false ")),
    _m("SkipDryRun on the Application instead", lambda o: (
        one(o, "NodeFeatureDiscovery").obj["metadata"]["annotations"].pop(SYNC_OPTIONS),
        application(o, "operators").obj["spec"]["syncPolicy"].setdefault("syncOptions", []).append("SkipDryRunOnMissingResource=true"),
    )),
    _m("ignore annotation with a reason on a clean object", lambda o: set_annotation(machineset(o), "lint.accel-capacity.io/ignore-CAP003", "test")),
]
