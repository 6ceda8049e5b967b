"""CAP009: placement zone and region agree with the subnet and the cluster's facts."""

from __future__ import annotations

import typing as t

from ...catalog.install_naming import tag_names
from ..context import LintContext
from ..examples import Facts, Remove, Set, example
from ..provider import PROVIDER
from ..rule import Violation, cannot_check, rule


@rule(
    "CAP009",
    "zone-region",
    "Zone and region agree with the subnet and the cluster",
    what="""`placement.region` equals the cluster's region, `placement.availabilityZone` is one of the
    cluster's zones and lies in that region, and the subnet is the one the cluster's workers use in
    that zone (facts `spec.subnets`, in whatever form they reference it: `tag:Name` filter, id or
    arn). Without facts, a subnet selected by a `tag:Name` filter must have a value that ends with
    `-<availabilityZone>`, and one referenced by ID cannot be checked (reported at the cannot-check
    level, not failing).""",
    why="""A subnet in another zone than the placement, or a zone the cluster has no subnet in, gives
    machines that fail to launch (`InvalidSubnet`/`no subnet found`), and the autoscaler keeps retrying
    the pool. On a bring-your-own-VPC install a subnet filter by the installer's names matches
    nothing: the subnet must be the workers' own.""",
    fix="""Set the pool's zone in its `pool.yaml`. A zone must be in `spec.zones` of
    `overlays/<cluster>/facts/cluster.yaml` with its subnet in `spec.subnets`:
    `tools/set-infra-id <cluster> --from-cluster` captures the subnet of every zone with workers,
    and `.venv/bin/python -m accelcap.generate` wires it into the pools (`facts/worker/kustomization.yaml`).""",
    needs_facts=True,
    failing=(
        example("zone not the cluster's", Facts(zones=("us-west-2b",))),
        example(
            "subnet in another zone",
            Set("MachineSet", f"{PROVIDER}/subnet/filters/0/values", ["{infraID}-subnet-private-us-west-2b"]),
        ),
        example("region not the cluster's", Set("MachineSet", f"{PROVIDER}/placement/region", "us-east-1")),
        example("subnet by id", Set("MachineSet", f"{PROVIDER}/subnet", {"id": "subnet-0123"})),
        example("no subnet (facts/worker/ stale)", Remove("MachineSet", f"{PROVIDER}/subnet")),
    ),
    passing=(
        example(
            "subnet by id, as the workers have it",
            Set("MachineSet", f"{PROVIDER}/subnet", {"id": "subnet-0123"}),
            Facts(subnets={"us-west-2a": {"id": "subnet-0123"}}),
        ),
    ),
)
def check(context: LintContext) -> t.Iterator[Violation]:
    facts = context.facts
    for pool in context.pools:
        machineset = pool.machineset
        placement = pool.provider.get("placement")
        placement = placement if isinstance(placement, dict) else {}
        region, zone = placement.get("region"), placement.get("availabilityZone")
        path = f"{PROVIDER}/placement"
        if not isinstance(region, str) or not isinstance(zone, str) or not region or not zone:
            yield Violation("placement needs both region and availabilityZone", machineset, path)
            continue
        if not zone.startswith(region):
            yield Violation(f"zone {zone} is not in region {region}", machineset, path)
        if facts is not None:
            if region != facts.region:
                yield Violation(f"region {region} is not the cluster's region {facts.region}", machineset, path)
            if zone not in facts.zones:
                yield Violation(f"zone {zone} is not one of the cluster's zones {list(facts.zones)}", machineset, path)
        subnet = pool.provider.get("subnet")
        if facts is not None and zone in facts.subnets:
            if subnet is None:
                yield Violation(
                    f"no subnet, though the facts have one for {zone}: overlays/{facts.name}/facts/worker/kustomization.yaml "
                    "is stale; run .venv/bin/python -m accelcap.generate",
                    machineset,
                    f"{PROVIDER}/subnet",
                )
            elif subnet != facts.subnets[zone]:
                yield Violation(
                    f"subnet {subnet!r} is not the workers' subnet in {zone}, {facts.subnets[zone]!r} "
                    "(facts spec.subnets)",
                    machineset,
                    f"{PROVIDER}/subnet",
                )
            continue
        if facts is not None:
            yield Violation(
                f"the facts have no subnet for zone {zone} (spec.subnets); capture it with tools/set-infra-id "
                f"{facts.name} --from-cluster",
                machineset,
                f"{PROVIDER}/subnet",
            )
            continue
        names = tag_names(subnet.get("filters")) if isinstance(subnet, dict) else None
        if names is None:
            # By ID (bring-your-own VPC): its zone is AWS's to know. A wrong one fails the
            # machine visibly (InvalidSubnet), so the run does not fail here.
            yield cannot_check(
                "subnet is referenced by ID or ARN, not a tag:Name filter, so its zone cannot be checked",
                machineset,
                f"{PROVIDER}/subnet",
                blocking=False,
            )
            continue
        for name in names:
            if not name.endswith(f"-{zone}"):
                yield Violation(f"subnet {name} is not in placement zone {zone}", machineset, f"{PROVIDER}/subnet")
