"""Just enough of OLM and the operators for Argo CD to have something to wait for.

A thread polls the API server (as the admin) and does what the real thing would, no more:

- a ``Subscription`` appears: install the CRDs of its package (``accelcap.catalog.operators``
  ``OLM_PACKAGES`` names the API groups; the files are the pinned upstream CRDs of the shared
  data, or built from the schema where the mirror has none), then set its status as OLM does
  when the install is done: ``state: AtLatestKnown``, ``currentCSV``/``installedCSV``;
- a ``ClusterPolicy`` or ``NodeFeatureDiscovery`` exists: after ``operand_delay`` seconds (the
  test chooses) set its status to ready, as the GPU Operator (``state: ready``) and the NFD
  operator (conditions ``Available`` True, ``Degraded`` False) write it;
- a ``DeviceConfig`` exists: the Neuron operator's finalizer, which its reconcile adds first.

It also records when things happened (``events``), so a test can compare the order in which
Argo CD created objects with the order in which it reported health.
"""

from __future__ import annotations

import functools
import threading
import time
import typing as t
from dataclasses import dataclass, field

import yaml
from kube_support import LocalApiServer
from schema_crds import schema_crds

from accelcap.catalog.operators import OLM_PACKAGES
from support import shared_dir

DEVICE_CONFIG_FINALIZER = "awslabs.node.kubernetes.io/deviceconfig-finalizer"
POLL_SECONDS = 0.25


@functools.cache
def package_crds(package: str) -> list[tuple[str, dict[str, t.Any]]]:
    """(where, CRD) of every CRD whose group the package installs, from the shared data. Once per
    process: parsing the shared data's 11 MB of CRDs took 15 to 19 s a package on 2 loaded cores,
    during which Argo CD waited for the Subscription; only files that name a group are parsed."""
    groups = set(OLM_PACKAGES[package].crd_groups)
    found: dict[str, tuple[str, dict[str, t.Any]]] = {}
    for path in sorted((shared_dir() / "crds").rglob("*.yaml")):
        if path.parent.name.startswith("argoproj__"):
            continue
        text = path.read_text()
        if not any(group in text for group in groups):
            continue
        for document in yaml.load_all(text, Loader=yaml.CSafeLoader):
            if (
                isinstance(document, dict)
                and document.get("kind") == "CustomResourceDefinition"
                and document["spec"]["group"] in groups
            ):
                found.setdefault(document["metadata"]["name"], (str(path), document))
    for crd in schema_crds(shared_dir()):
        if crd["spec"]["group"] in groups:
            found.setdefault(crd["metadata"]["name"], (f"built from the schema of {crd['spec']['names']['kind']}", crd))
    assert found, f"no CRD in the shared data for OLM package {package} ({sorted(groups)})"
    return list(found.values())


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _condition(kind: str, status: str, reason: str) -> dict[str, str]:
    return {"type": kind, "status": status, "reason": reason, "message": "", "lastTransitionTime": _now()}


@dataclass
class FakeOperators:
    server: LocalApiServer
    #: Seconds from an operand's first sighting to its ready status.
    operand_delay: float = 5.0
    #: What happened, by key (e.g. ("ready", "ClusterPolicy/gpu-cluster-policy")): monotonic time.
    events: dict[tuple[str, str], float] = field(default_factory=dict)
    installed: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    #: Extra probes run on every poll (the tests' watchers): name -> callable.
    watchers: dict[str, t.Callable[[], None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Clients of its own: the thread must not share the test's connections.
        self.server = LocalApiServer(self.server.url, self.server.kubeconfig, self.server.token, self.server.workdir)

    def __enter__(self) -> t.Self:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.server.forget_discovery()

    def mark(self, what: str, name: str) -> float:
        return self.events.setdefault((what, name), time.monotonic())

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.reconcile()
                for watch in list(self.watchers.values()):
                    watch()
            except Exception as error:  # noqa: BLE001 (a thread: the test reads errors and fails on them)
                # A CRD just installed makes the API server answer 429 "storage is (re)initializing"
                # for a moment: the next poll tries again, as an operator's informer would.
                if "HTTP 429" not in str(error):
                    self.errors.append(repr(error))
            self._stop.wait(POLL_SECONDS)

    def _list(self, api_version: str, kind: str) -> list[dict[str, t.Any]]:
        resource = self.server.admin.resource_for(api_version, kind)
        if resource is None:
            self.server.forget_discovery()
            return []
        return list(self.server.admin.get(resource)["items"])

    def reconcile(self) -> None:
        for subscription in self._list("operators.coreos.com/v1alpha1", "Subscription"):
            self._subscription(subscription)
        for policy in self._list("nvidia.com/v1", "ClusterPolicy"):
            self._operand(policy, {"state": "ready", "namespace": "nvidia-gpu-operator"})
        for nfd in self._list("nfd.openshift.io/v1", "NodeFeatureDiscovery"):
            self._operand(
                nfd,
                {"conditions": [_condition("Available", "True", "AllInstanceComponentsAreDeployedSuccessfuly"),
                                _condition("Degraded", "False", "ConditionNotBeingMetCurrently")]},
            )  # fmt: skip
        for config in self._list("k8s.aws/v1beta1", "DeviceConfig"):
            meta = config["metadata"]
            if DEVICE_CONFIG_FINALIZER not in (meta.get("finalizers") or []):
                self.server.apply(
                    {"apiVersion": config["apiVersion"], "kind": "DeviceConfig",
                     "metadata": {"name": meta["name"], "namespace": meta["namespace"],
                                  "finalizers": [DEVICE_CONFIG_FINALIZER]}}
                )  # fmt: skip

    def _subscription(self, subscription: dict[str, t.Any]) -> None:
        meta, package = subscription["metadata"], subscription["spec"]["name"]
        self.mark("exists", f"Subscription/{meta['name']}")
        if (subscription.get("status") or {}).get("state") == "AtLatestKnown":
            return
        if package not in self.installed:
            self.server.install_crd_documents(package_crds(package))
            self.installed.add(package)
        csv = f"{package}.v0.0.0-test"
        self.server.apply_status(
            {"apiVersion": subscription["apiVersion"], "kind": "Subscription",
             "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
             "status": {"state": "AtLatestKnown", "currentCSV": csv, "installedCSV": csv, "lastUpdated": _now(),
                        "conditions": [{"type": "CatalogSourcesUnhealthy", "status": "False",
                                        "reason": "AllCatalogSourcesHealthy", "lastTransitionTime": _now()}]}}
        )  # fmt: skip
        self.mark("installed", f"Subscription/{meta['name']}")

    def _operand(self, obj: dict[str, t.Any], ready: dict[str, t.Any]) -> None:
        meta = obj["metadata"]
        name = f"{obj['kind']}/{meta['name']}"
        seen = self.mark("exists", name)
        if ("ready", name) in self.events or time.monotonic() - seen < self.operand_delay:
            return
        target = {"name": meta["name"], **({"namespace": meta["namespace"]} if meta.get("namespace") else {})}
        self.server.apply_status({"apiVersion": obj["apiVersion"], "kind": obj["kind"], "metadata": target,
                                  "status": ready})  # fmt: skip
        self.mark("ready", name)
