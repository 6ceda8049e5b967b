"""``--workload``: run the pool's validation pod, read its proof, delete it again.

The pod is the render's hand-applied validation pod for the pool's accelerator (CUDA
vectoradd asks for ``nvidia.com/gpu``, neuron-ls for ``aws.amazon.com/neuron``), created
under a generated name and pinned to the pool's zone and instance type with a required node
affinity on the well-known node labels ``topology.kubernetes.io/zone`` and
``node.kubernetes.io/instance-type``; where it ran is then checked to be a node of the pool.
It gets ``activeDeadlineSeconds``, so a pod left behind by a killed run stops by itself.

The wait is bounded (``--workload-timeout``), with a progress line on standard error when its
state changes and every ``PROGRESS_SECONDS``. The pod is deleted whatever happens: done, timed
out, failed, Ctrl-C, SIGTERM or SIGHUP. Proofs: the CUDA sample's log says ``Test PASSED``
(NVIDIA's "Running a Sample GPU Application"); ``neuron-ls --json-output`` lists as many
devices as the pod asked for (the Neuron Helm chart's own test, which checks ``jq length``).

Writes go through ``accelcap.kube_client.PodWriter`` only: one Pod, created and deleted.
"""

from __future__ import annotations

import copy
import json
import re
import time
import typing as t

from ..catalog.instance_types import Accelerator
from ..errors import ExternalError, InputError
from ..kube_client import Cluster, PodWriter
from ..pod_policy import restricted_problems
from .checks import WORKLOAD
from .checks.context import PoolContext
from .expected import ValidationPod
from .live import checked, condition
from .model import Result, Status

#: Seconds between two looks at the pod, and between two progress lines at the most.
POLL_SECONDS = 2.0
PROGRESS_SECONDS = 15.0
#: Kubernetes' well-known node labels (kubelet and the cloud provider set them).
ZONE_LABEL = "topology.kubernetes.io/zone"
INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"
MANAGED_BY = {"app.kubernetes.io/managed-by": "verify-pools"}
POOL_ANNOTATION = "accel-capacity.io/pool"
FIELD_MANAGER = "verify-pools"
PASSED = "Test PASSED"


def pod_for(context: PoolContext, validation: ValidationPod, timeout: float) -> dict[str, t.Any]:
    """The validation pod to create for the pool of ``context``."""
    obj = copy.deepcopy(validation.document.obj)
    metadata = obj.setdefault("metadata", {})
    metadata["generateName"] = f"{metadata.pop('name', 'validation')}-"
    metadata["labels"] = {**(metadata.get("labels") or {}), **MANAGED_BY}
    metadata["annotations"] = {**(metadata.get("annotations") or {}), POOL_ANNOTATION: context.pool.name}
    spec = obj.setdefault("spec", {})
    spec["activeDeadlineSeconds"] = int(timeout) + 60
    wanted = [(INSTANCE_TYPE_LABEL, context.pool.instance_type), (ZONE_LABEL, context.pool.zone)]
    expressions = [{"key": key, "operator": "In", "values": [value]} for key, value in wanted if value]
    required = (
        spec.setdefault("affinity", {})
        .setdefault("nodeAffinity", {})
        .setdefault("requiredDuringSchedulingIgnoredDuringExecution", {})
    )
    terms = required.setdefault("nodeSelectorTerms", [])
    if not terms:
        terms.append({})
    for term in terms:
        term["matchExpressions"] = [*(term.get("matchExpressions") or []), *expressions]
    return obj


# --- reading the pod ------------------------------------------------------------------------


def describe(pod: dict[str, t.Any]) -> str:
    """The pod's state in a few words: phase, why it is not scheduled, what a container waits for."""
    status = pod.get("status") or {}
    phase = str(status.get("phase") or "Pending")
    scheduled = condition(pod, "PodScheduled")
    if scheduled.get("status") == "False":
        return " ".join(f"{phase}, not scheduled: {scheduled.get('message') or scheduled.get('reason')}".split())
    for container in status.get("containerStatuses") or []:
        waiting = ((container or {}).get("state") or {}).get("waiting") or {}
        if waiting.get("reason"):
            detail = f": {waiting['message']}" if waiting.get("message") else ""
            return " ".join(f"{phase}, {waiting['reason']}{detail}".split())
    return phase


def _terminated(pod: dict[str, t.Any], container: str) -> dict[str, t.Any]:
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        if (status or {}).get("name") == container:
            state = status.get("state") or {}
            last = status.get("lastState") or {}
            return dict(state.get("terminated") or last.get("terminated") or {})
    return {}


def finished(pod: dict[str, t.Any], container: str) -> bool:
    """Succeeded, failed, or its container exited non-zero (restartPolicy OnFailure retries
    forever; the first failure is the verdict)."""
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        return True
    code = _terminated(pod, container).get("exitCode")
    return isinstance(code, int) and code != 0


def neuron_devices(log: str) -> list[dict[str, t.Any]] | None:
    """The devices ``neuron-ls --json-output`` printed into ``log`` (a JSON list of objects)."""
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\[", log):
        try:
            value, _ = decoder.raw_decode(log, match.start())
        except ValueError:
            continue
        if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            return value
    return None


def proof(validation: ValidationPod, log: str) -> str | None:
    """What in the log proves the accelerator works; None when nothing does."""
    if validation.accelerator == Accelerator.NVIDIA_GPU:
        return PASSED if PASSED in log else None
    if validation.accelerator == Accelerator.NEURON:
        devices = neuron_devices(log)
        if devices is None or len(devices) != validation.devices:
            return None
        cores = sum(int(d.get("nc_count", 0)) for d in devices if str(d.get("nc_count", "")).isdigit())
        return f"neuron-ls lists {len(devices)} device(s), {cores} NeuronCore(s)"
    return None


def _last_line(log: str) -> str:
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    return lines[-1][:200] if lines else "(empty log)"


# --- running it -----------------------------------------------------------------------------


class Workload:
    """Runs the validation pod of each pool, one at a time."""

    def __init__(self, cluster: Cluster, timeout: float, progress: t.TextIO, tool: str) -> None:
        self.cluster = cluster
        self.writer = PodWriter(cluster, FIELD_MANAGER)
        self.timeout = timeout
        self.progress = progress
        self.tool = tool

    def _say(self, context: PoolContext, what: str) -> None:
        self.progress.write(f"{self.tool}: {context.pool.name}: {what}\n")
        self.progress.flush()

    def run(self, context: PoolContext) -> list[Result]:
        """The workload's result for the pool; none for a pool without an accelerator."""
        resource = context.pool.accelerator.resource
        return [] if resource is None else [self._run(context, resource)]

    def _run(self, context: PoolContext, resource: str) -> Result:
        validation = context.cluster.expectation.validation.get(context.pool.accelerator)
        if validation is None:
            return context.result(
                WORKLOAD.code, Status.CANNOT_CHECK, f"no validation pod in the render asks for {resource}"
            )
        subject = validation.document.ref
        problems = restricted_problems(validation.document.obj)
        if problems:
            # The pod would run on a pool node with the rights of whoever runs this tool:
            # refused as it is rendered, whatever lint said (accelcap.pod_policy, lint CAP037).
            path, problem = problems[0]
            raise InputError(
                f"{validation.document.file or validation.document.rendered_from}: {subject}",
                f"not created: not Pod Security restricted at {path}: {problem}"
                + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
            )
        if not context.ready_nodes:
            if context.present_machineset is not None and context.replicas == 0 and not context.options.require_nodes:
                return context.result(WORKLOAD.code, Status.ZERO, "not run: the pool is at 0 replicas", subject)
            return context.result(WORKLOAD.code, Status.NOT_DONE, "not run: the pool has no Ready node", subject)
        namespace = validation.document.namespace or "default"
        if context.live.get("v1", "Namespace", namespace) is None:
            return context.result(
                WORKLOAD.code, Status.NOT_DONE,
                f"namespace {namespace} does not exist: apply its Namespace first "
                f"(oc apply -k {validation.document.rendered_from})", subject,
            )  # fmt: skip
        # A signal (Ctrl-C, SIGTERM, SIGHUP) unwinds as the CLI frame's Interrupted, through the
        # finally below: the pod is deleted on the way out, and the exit code says which signal.
        created = checked(
            self.writer.create(namespace, pod_for(context, validation, self.timeout)),
            "Pod",
            f"POST {self.cluster.server}/api/v1/namespaces/{namespace}/pods",
        )
        name = str((created.get("metadata") or {}).get("name"))
        try:
            return self._watch(context, validation, namespace, name, [n for n, _ in context.nodes])
        finally:
            self._delete(context, namespace, name)

    def _delete(self, context: PoolContext, namespace: str, name: str) -> None:
        try:
            self.writer.delete(namespace, name)
        except ExternalError as error:
            self._say(
                context, f"could not delete {namespace}/{name} ({error.what}): oc delete pod -n {namespace} {name}"
            )

    def _watch(
        self, context: PoolContext, validation: ValidationPod, namespace: str, name: str, pool_nodes: list[str]
    ) -> Result:
        resource = self.cluster.find_resource("pods")
        subject = f"Pod/{namespace}/{name}"
        started = time.monotonic()
        said, said_at = "", 0.0
        while True:
            pod = self.cluster.find(resource, name, namespace)
            if pod is not None:
                pod = checked(pod, "Pod", f"GET {self.cluster.server}{resource.path(name, namespace)}")
            if pod is None:
                return context.result(WORKLOAD.code, Status.NOT_DONE, "the pod was deleted by someone else", subject)
            if finished(pod, validation.container):
                return self._verdict(context, validation, pod, pool_nodes, subject)
            elapsed = time.monotonic() - started
            state = describe(pod)
            if elapsed >= self.timeout:
                return context.result(
                    WORKLOAD.code, Status.NOT_DONE, f"not finished in {self.timeout:g}s: {state}", subject
                )
            if state != said or elapsed - said_at >= PROGRESS_SECONDS:
                self._say(context, f"{namespace}/{name}: {state} ({elapsed:.0f}s of {self.timeout:g}s)")
                said, said_at = state, elapsed
            time.sleep(min(POLL_SECONDS, max(0.0, self.timeout - elapsed)))

    def _verdict(
        self,
        context: PoolContext,
        validation: ValidationPod,
        pod: dict[str, t.Any],
        pool_nodes: list[str],
        subject: str,
    ) -> Result:
        node = str((pod.get("spec") or {}).get("nodeName") or "")
        namespace, name = str(pod["metadata"]["namespace"]), str(pod["metadata"]["name"])
        try:
            log = self.cluster.pod_log(namespace, name, validation.container)
        except ExternalError as error:
            return context.result(
                WORKLOAD.code, Status.CANNOT_CHECK, f"finished on {node}, but its log cannot be read: {error.what}",
                subject,
            )  # fmt: skip
        if (pod.get("status") or {}).get("phase") != "Succeeded":
            ended = _terminated(pod, validation.container)
            how = f"exited {ended.get('exitCode')}" if ended else str((pod.get("status") or {}).get("phase"))
            reason = f" ({ended['reason']})" if ended.get("reason") else ""
            return context.result(
                WORKLOAD.code, Status.NOT_DONE, f"{how}{reason} on {node}: {_last_line(log)}", subject
            )
        if node not in pool_nodes:
            return context.result(
                WORKLOAD.code, Status.NOT_DONE,
                f"ran on {node}, which is not a node of this pool (another pool with the same zone and type?)",
                subject,
            )  # fmt: skip
        shown = proof(validation, log)
        if shown is None:
            wanted = PASSED if validation.accelerator == Accelerator.NVIDIA_GPU else f"{validation.devices} device(s)"
            return context.result(
                WORKLOAD.code, Status.NOT_DONE, f"its log on {node} lacks {wanted}: {_last_line(log)}", subject
            )
        return context.result(WORKLOAD.code, Status.OK, f"{shown} on {node}", subject)
