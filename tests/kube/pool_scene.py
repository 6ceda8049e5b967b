"""A cluster's pools as the controllers would leave them, written into the test API server.

``PoolScene`` writes what OpenShift's controllers write on a real cluster, for the pool of a
render: Argo CD's Application status, the MachineSet and MachineAutoscaler (from the render)
with the cluster-autoscaler-operator's annotations, Machines with phase, errors and the AWS
provider status, Nodes with conditions, labels, taints and allocatable, the GPU Operator's
ClusterPolicy status and driver pods, the Neuron stack's DeviceConfig, KMM node label and
device plugin pods. ``healthy()`` makes a pool done; each test then breaks one thing.

Every object it writes is removed again by ``clean()`` (the API server is shared by the
whole session).
"""

from __future__ import annotations

import copy
import typing as t

from kube_support import LocalApiServer

from accelcap.catalog.accelerator_stack import kmm_module_ready_label
from accelcap.catalog.instance_types import Accelerator
from accelcap.model import ScaledMachineSet, find_machinesets
from accelcap.render import Document, RenderedOverlay, is_application

#: Marks the Nodes and Pods a scene writes, so clean() finds them.
SCENE_LABEL = {"accelcap.test/scene": "verify-pools"}
GPU_NAMESPACE = "nvidia-gpu-operator"
NOW = "2026-01-01T00:00:00Z"


def ready_condition(ready: bool, reason: str = "", message: str = "") -> dict[str, str]:
    return {
        "type": "Ready",
        "status": "True" if ready else "False",
        "reason": reason or ("KubeletReady" if ready else "KubeletNotReady"),
        "message": message or ("kubelet is posting ready status" if ready else "container runtime is down"),
        "lastTransitionTime": NOW,
    }


class PoolScene:
    def __init__(self, server: LocalApiServer, rendered: RenderedOverlay, accelerator: Accelerator) -> None:
        self.server = server
        self.rendered = rendered
        self.pool: ScaledMachineSet = next(
            p for p in find_machinesets(rendered.documents) if p.accelerator == accelerator
        )
        self.accelerator = accelerator
        self.kubelet_port = 10250

    # --- the rendered objects --------------------------------------------------------------

    def rendered_of(self, kind: str) -> list[Document]:
        return [d for d in self.rendered.documents if d.kind == kind]

    @property
    def applications(self) -> list[Document]:
        return [d for d in self.rendered.documents if is_application(d)]

    @property
    def namespace(self) -> str:
        return self.pool.machineset.namespace or "openshift-machine-api"

    @property
    def zone(self) -> str:
        return str(self.pool.provider["placement"]["availabilityZone"])

    # --- writing -----------------------------------------------------------------------------

    def application(self, name: str, sync: str = "Synced", health: str = "Healthy", **status: t.Any) -> None:
        document = next(d for d in self.applications if d.name == name)
        obj = copy.deepcopy(document.obj)
        obj["status"] = {
            "sync": {"status": sync, "revision": "0123456789abcdef"},
            "health": {"status": health},
            **status,
        }
        self.server.apply(obj)

    def machineset(self, replicas: int = 1, change: t.Callable[[dict[str, t.Any]], None] | None = None) -> None:
        obj = copy.deepcopy(self.pool.machineset.obj)
        obj["spec"]["replicas"] = replicas
        autoscaler = self.pool.autoscaler
        if autoscaler is not None:  # what the cluster-autoscaler-operator writes on its target
            obj["metadata"].setdefault("annotations", {}).update(
                {
                    "machine.openshift.io/cluster-api-autoscaler-node-group-min-size": str(
                        autoscaler.get("spec", "minReplicas")
                    ),
                    "machine.openshift.io/cluster-api-autoscaler-node-group-max-size": str(
                        autoscaler.get("spec", "maxReplicas")
                    ),
                    "autoscaling.openshift.io/machineautoscaler": f"{autoscaler.namespace}/{autoscaler.name}",
                }
            )
        if change:
            change(obj)
        self.server.apply(obj)

    def autoscaler(self, change: t.Callable[[dict[str, t.Any]], None] | None = None) -> None:
        assert self.pool.autoscaler is not None
        obj = copy.deepcopy(self.pool.autoscaler.obj)
        if change:
            change(obj)
        self.server.apply(obj)

    def machine(self, name: str, phase: str = "Running", node: str | None = None, **status: t.Any) -> None:
        labels = dict(self.pool.machineset.get("spec", "selector", "matchLabels"))
        obj = {
            "apiVersion": "machine.openshift.io/v1beta1",
            "kind": "Machine",
            "metadata": {"name": name, "namespace": self.namespace, "labels": labels},
            "spec": {"providerSpec": {"value": copy.deepcopy(self.pool.provider)}},
        }
        self.server.apply(obj)
        fields: dict[str, t.Any] = {"phase": phase, **status}
        if node:
            fields["nodeRef"] = {"kind": "Node", "name": node}
        self.server.apply_status({**obj, "status": fields})

    def node(
        self,
        name: str,
        ready: bool = True,
        labels: dict[str, str] | None = None,
        taints: list[dict[str, str]] | None = None,
        devices: int | None = None,
        unschedulable: bool = False,
    ) -> None:
        """A node of the pool, as the machine API, kubelet, NFD and the device plugin leave it."""
        wanted = {
            **{str(k): str(v) for k, v in self.pool.node_labels.items()},
            "topology.kubernetes.io/zone": self.zone,
            "node.kubernetes.io/instance-type": str(self.pool.instance_type),
            **SCENE_LABEL,
            **self.nfd_labels(),
        }
        resource = str(self.accelerator.resource)
        obj = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": name, "labels": wanted if labels is None else {**labels, **SCENE_LABEL}},
            "spec": {"taints": self.pool.taints if taints is None else taints, "unschedulable": unschedulable},
        }
        self.server.apply(obj)
        count = str(1 if devices is None else devices)
        self.server.apply_status(
            {
                **obj,
                "status": {
                    "conditions": [ready_condition(ready)],
                    "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
                    "daemonEndpoints": {"kubeletEndpoint": {"Port": self.kubelet_port}},
                    "capacity": {resource: count, "cpu": "8", "memory": "32Gi", "pods": "250"},
                    "allocatable": {resource: count, "cpu": "7500m", "memory": "31Gi", "pods": "250"},
                },
            }
        )

    def nfd_labels(self) -> dict[str, str]:
        if self.accelerator == Accelerator.NVIDIA_GPU:
            return {"feature.node.kubernetes.io/pci-10de.present": "true"}
        device_config = self.rendered_of("DeviceConfig")[0]
        return {
            "feature.node.kubernetes.io/pci-1d0f.present": "true",
            **device_config.get("spec", "selector"),
            kmm_module_ready_label(str(device_config.namespace), device_config.name): "",
        }

    def cluster_policy(self, state: str = "ready", conditions: list[dict[str, str]] | None = None) -> None:
        obj = copy.deepcopy(self.rendered_of("ClusterPolicy")[0].obj)
        self.server.apply(obj)
        status: dict[str, t.Any] = {"state": state, "namespace": GPU_NAMESPACE}
        if conditions is not None:
            status["conditions"] = conditions
        self.server.apply_status({**obj, "status": status})

    def device_config(self) -> None:
        obj = copy.deepcopy(self.rendered_of("DeviceConfig")[0].obj)
        # The pinned CRD's CEL rules read draDriverImage unguarded and refuse an object without
        # it (docs/validate.md, the known defect); an empty one satisfies them unchanged.
        obj["spec"]["draDriverImage"] = ""
        self.server.apply(obj)

    def operand_pod(self, name: str, node: str, ready: bool = True, reason: str = "CrashLoopBackOff") -> None:
        """The pod that runs the pool's driver (GPU) or device plugin (Neuron) on ``node``."""
        if self.accelerator == Accelerator.NVIDIA_GPU:
            namespace, labels = GPU_NAMESPACE, {"app.kubernetes.io/component": "nvidia-driver"}
        else:
            device_config = self.rendered_of("DeviceConfig")[0]
            namespace = str(device_config.namespace)
            labels = {
                "kmm.node.kubernetes.io/module.name": device_config.name,
                "kmm.node.kubernetes.io/role": "device-plugin",
            }
        container = "operand"
        obj = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "labels": {**labels, **SCENE_LABEL}},
            "spec": {"nodeName": node, "containers": [{"name": container, "image": "registry.example/operand:1"}]},
        }
        self.server.apply(obj)
        state = {"running": {"startedAt": NOW}} if ready else {"waiting": {"reason": reason}}
        self.server.apply_status(
            {
                **obj,
                "status": {
                    "phase": "Running",
                    "conditions": [
                        {"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": NOW}
                    ],
                    "containerStatuses": [
                        {
                            "name": container,
                            "image": "registry.example/operand:1",
                            "imageID": "",
                            "ready": ready,
                            "restartCount": 0 if ready else 3,
                            "state": state,
                        }
                    ],
                },
            }
        )

    def healthy(self, nodes: t.Sequence[str] = ("node-a",)) -> None:
        """Everything of the pool done, with ``nodes`` Running and Ready."""
        for application in self.applications:
            self.application(application.name)
        self.machineset(replicas=len(nodes))
        if self.pool.autoscaler is not None:
            self.autoscaler()
        if self.accelerator == Accelerator.NVIDIA_GPU:
            self.cluster_policy()
        else:
            self.device_config()
        for number, node in enumerate(nodes):
            self.machine(f"{self.pool.name}-{number}", node=node)
            self.node(node)
            self.operand_pod(f"operand-{node}", node)

    # --- removing ------------------------------------------------------------------------

    def clean(self) -> None:
        server = self.server
        for application in self.applications:
            server.delete(application.api_version, application.kind, application.name, application.namespace)
        for document in [*self.rendered_of("ClusterPolicy"), *self.rendered_of("DeviceConfig")]:
            if server.admin.resource_for(document.api_version, document.kind):
                server.delete(document.api_version, document.kind, document.name, document.namespace)
        for pool in find_machinesets(self.rendered.documents):
            server.delete(pool.machineset.api_version, "MachineSet", pool.name, pool.machineset.namespace)
            if pool.autoscaler is not None:
                server.delete(
                    pool.autoscaler.api_version, "MachineAutoscaler", pool.autoscaler.name, pool.autoscaler.namespace
                )
            server.delete("machine.openshift.io/v1beta1", "Machine", None, pool.machineset.namespace,
                          f"machine.openshift.io/cluster-api-machineset={pool.name}")  # fmt: skip
        selector = ",".join(f"{k}={v}" for k, v in SCENE_LABEL.items())
        server.delete("v1", "Node", None, None, selector)
        for namespace in ("nvidia-gpu-operator", "aws-neuron-operator", "gpu-validation", "neuron-validation"):
            server.delete("v1", "Pod", None, namespace, None)
