"""CAP015: validation workloads request a pool's accelerator and tolerate its taints."""

from __future__ import annotations

import typing as t

from ...catalog.instance_types import Accelerator
from ...model import ScaledMachineSet
from ...render import Document
from ..context import LintContext
from ..examples import Remove, Set, example
from ..rule import Violation, rule
from ..tolerations import describe, is_hard, tolerated_by

#: Kind -> path of the pod spec inside it.
POD_SPECS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Job": ("spec", "template", "spec"),
    "Deployment": ("spec", "template", "spec"),
}
ACCELERATOR_RESOURCES = {a.resource for a in Accelerator if a.resource}


@rule(
    "CAP015",
    "validation-workloads",
    "Validation workloads can land on an accelerator pool",
    what=f"""Each Pod, Job or Deployment of the cluster's hand-applied `validation/` build requests
    (in limits or requests) the accelerator resource of some pool of the overlay
    ({", ".join(sorted(ACCELERATOR_RESOURCES))}), and tolerates every NoSchedule/NoExecute taint of
    at least one pool with that accelerator.""",
    why="""A validation pod that requests no accelerator proves nothing about the driver; one that asks
    for a resource no pool offers, or does not tolerate the pool's taint, stays Pending and the
    check is read as a driver failure.""",
    fix="""Request one unit of the pool's resource (e.g. `nvidia.com/gpu: 1`) and copy the pool's taints
    into the pod's tolerations (operator Exists), as base/validation/gpu does.""",
    failing=(
        example("pod does not tolerate", Remove("Pod", "/spec/tolerations")),
        example("pod requests no GPU", Remove("Pod", "/spec/containers/0/resources")),
        example(
            "pod requests Neuron, no Neuron pool",
            Set("Pod", "/spec/containers/0/resources", {"limits": {"aws.amazon.com/neuron": 1}}),
        ),
    ),
)
def check(context: LintContext) -> t.Iterator[Violation]:
    pools_by_resource: dict[str, list[ScaledMachineSet]] = {}
    for pool in context.pools:
        if pool.accelerator.resource:
            pools_by_resource.setdefault(pool.accelerator.resource, []).append(pool)
    for document in context.validation:
        where = POD_SPECS.get(document.kind)
        if where is None or document.group not in ("", "batch", "apps"):
            continue
        spec = document.get(*where, default={})
        yield from _check_pod(
            document, spec if isinstance(spec, dict) else {}, "/" + "/".join(where), pools_by_resource
        )


def _check_pod(
    document: Document, spec: dict[str, t.Any], path: str, pools_by_resource: dict[str, list[ScaledMachineSet]]
) -> t.Iterator[Violation]:
    requested = _accelerator_requests(spec)
    if not requested:
        yield Violation(
            f"requests no accelerator resource ({', '.join(sorted(ACCELERATOR_RESOURCES))})",
            document,
            f"{path}/containers",
        )
        return
    tolerations = spec.get("tolerations")
    for resource in sorted(requested):
        pools = pools_by_resource.get(resource, [])
        if not pools:
            yield Violation(
                f"requests {resource} but no pool of this overlay offers it", document, f"{path}/containers"
            )
            continue
        if any(all(tolerated_by(tolerations, taint) for taint in pool.taints if is_hard(taint)) for pool in pools):
            continue
        missing = sorted(
            {
                describe(taint)
                for pool in pools
                for taint in pool.taints
                if is_hard(taint) and not tolerated_by(tolerations, taint)
            }
        )
        yield Violation(
            f"requests {resource} but tolerates no pool offering it (untolerated: {', '.join(missing)})",
            document,
            f"{path}/tolerations",
        )


def _accelerator_requests(spec: dict[str, t.Any]) -> set[str]:
    found: set[str] = set()
    containers = spec.get("containers")
    for container in containers if isinstance(containers, list) else []:
        resources = container.get("resources") if isinstance(container, dict) else None
        if not isinstance(resources, dict):
            continue
        for section in ("limits", "requests"):
            values = resources.get(section)
            if isinstance(values, dict):
                found.update(key for key, value in values.items() if key in ACCELERATOR_RESOURCES and value)
    return found
