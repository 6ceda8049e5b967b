"""The cluster's worker MachineSet, which every pool copies: what is captured, and how it is wired.

A pool is the cluster's worker MachineSet with only what the pool needs changed. So the
provider settings a real install gives its workers (AMI, instance profile, IMDSv2, EBS type,
encryption and KMS key, user-defined tags, security groups and subnets in whichever form the
cluster uses, the secrets' names) are captured from the worker MachineSets into the cluster's
facts, ``spec.worker`` (AWSMachineProviderConfig field names) and ``spec.subnets`` (per zone),
by ``capture``; ``tools/set-infra-id`` writes them.

kustomize copies them into every pool: ``wiring`` writes, from the facts, one replacement per
captured field (a replacement needs its source field to exist, and a worker may lack any
optional field, so the list is made from what the facts hold) and one per zone's subnet,
aimed at the MachineSets whose ``accel-capacity.io/zone`` annotation names that zone. The list
is generated (``.venv/bin/python -m accelcap.generate``) into the Component
``overlays/<cluster>/facts/worker/``, which the cluster's facts Component lists.
"""

from __future__ import annotations

import copy
import functools
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema

from .catalog.install_naming import naming_of, tag_names
from .catalog.machine_api import CLUSTER_LABEL, ROLE_LABELS
from .errors import InputError
from .identifiers import AMI_ID, AVAILABILITY_ZONE, INFRA_ID, OBJECT_NAME, REGION, with_ecma_patterns
from .pool_file import ZONE_ANNOTATION
from .yamlload import package_schema, value_at

PROVIDER_PATH = "spec.template.spec.providerSpec.value"
WIRING_FILE = Path("worker") / "kustomization.yaml"

#: Fields a worker may have that the facts keep (AWSMachineProviderConfig order).
CAPTURED = (
    "ami",
    "tags",
    "iamInstanceProfile",
    "userDataSecret",
    "credentialsSecret",
    "keyName",
    "deviceIndex",
    "publicIp",
    "securityGroups",
    "placement",
    "blockDevices",
    "metadataServiceOptions",
)
#: Fields each pool or zone sets itself (``metadata`` is the webhook's): never copied from a
#: worker, and nothing said about it.
POOL_OWNED = frozenset(
    # capacityReservationId: pool.yaml's (components/pool/reservation, rule CAP042)
    {"apiVersion", "kind", "metadata", "instanceType", "placement", "subnet", "spotMarketOptions", "marketType"}
    | {"capacityReservationId"}
)
#: Fields a worker may have that are not the cluster's but would be wrong on another instance
#: type or pool: not copied, and said so.
NOT_COPIED = {
    "capacityReservationId": "a capacity reservation is for one instance type in one zone",
    "placementGroupName": "a placement group is chosen per pool",
    "placementGroupPartition": "a placement group is chosen per pool",
    "networkInterfaceType": "EFA depends on the instance type",
    "cpuOptions": "confidential computing depends on the instance type",
    "loadBalancers": "pools serve no load balancer",
}
#: The provider settings' schema (``accelcap/schemas``): what a worker's fields may be.
PROVIDER_SCHEMA = "awsmachineproviderconfig.schema.json"


# --- capture ------------------------------------------------------------------------------


@dataclass
class Capture:
    """What the worker MachineSets of one cluster say."""

    infra_id: str
    region: str | None
    #: ``capi``, ``terraform``, or None when the names cannot tell (references by id).
    install_naming: str | None
    worker: dict[str, t.Any]
    subnets: dict[str, dict[str, t.Any]]
    #: The MachineSets it was read from.
    sources: list[str]
    #: One line each: what was not copied, and why.
    notes: list[str] = field(default_factory=list)


def worker_machinesets(documents: t.Iterable[t.Any], where: str | None = None) -> list[dict[str, t.Any]]:
    """The MachineSets with machine role ``worker``, expanding ``List``/``MachineSetList`` items.

    Input is data: with ``where`` (the source), a list or a MachineSet of the wrong shape is an
    ``InputError`` naming it; without, what cannot be a worker is passed over.
    """
    found: list[t.Any] = []
    for document in documents:
        if isinstance(document, dict) and document.get("kind") in ("List", "MachineSetList"):
            items = value_at(document, "items", default=[])
            if not isinstance(items, list):
                if where is not None:
                    raise InputError(where, f"items of the {document['kind']} is a {type(items).__name__}, not a list")
                continue
            found.extend(items)
        else:
            found.append(document)
    machinesets = [ms for ms in found if isinstance(ms, dict) and ms.get("kind") == "MachineSet"]
    return [ms for ms in machinesets if _role(ms, where) == "worker"]


def _role(machineset: dict[str, t.Any], where: str | None) -> t.Any:
    at = None if where is None else f"{where}: MachineSet {_name(machineset)}"
    return value_at(machineset, "spec", "template", "metadata", "labels", ROLE_LABELS[0], where=at)


def _name(machineset: dict[str, t.Any]) -> str:
    """The MachineSet's name, for messages (``capture`` checks it in full)."""
    name = value_at(machineset, "metadata", "name")
    return name if isinstance(name, str) and name else "(unnamed)"


def _strip_unknown(value: t.Any, schema: dict[str, t.Any], path: str, notes: list[str]) -> t.Any:
    """``value`` without the keys the project's AWSMachineProviderConfig schema does not know.

    The machine API decodes providerSpec leniently and ignores such keys, so dropping them keeps
    what the workers really get; each is named on one line.
    """
    if "$ref" in schema:
        schema = package_schema(PROVIDER_SCHEMA)["$defs"][schema["$ref"].rsplit("/", 1)[1]]
    if isinstance(value, dict) and isinstance(schema.get("properties"), dict):
        known = schema["properties"]
        kept = {}
        for key, item in value.items():
            if key in known:
                kept[key] = _strip_unknown(item, known[key], f"{path}.{key}", notes)
            else:
                notes.append(
                    f"{path}.{key}: not an AWSMachineProviderConfig field (openshift/api), so the machine API "
                    "ignores it; not copied"
                )
        return kept
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_strip_unknown(item, schema["items"], f"{path}[{n}]", notes) for n, item in enumerate(value)]
    return value


#: The providerSpec fields capture reads: what it copies, and each zone's placement and subnet.
READ_FIELDS = (*CAPTURED, "subnet")


@functools.cache
def _read_fields_validator() -> t.Any:
    """The AWSMachineProviderConfig schema of the fields capture reads (ECMA 262 patterns)."""
    provider = package_schema(PROVIDER_SCHEMA)
    schema = {
        "type": "object",
        "properties": {key: provider["properties"][key] for key in READ_FIELDS},
        "$defs": provider["$defs"],
    }
    return with_ecma_patterns(jsonschema.Draft202012Validator)(schema)


def _check_read_fields(provider: dict[str, t.Any], where: str) -> None:
    """The fields capture reads are of the types the machine API decodes them into, so what
    lands in the facts is what the workers really have, and nothing below trips over them."""
    error = jsonschema.exceptions.best_match(_read_fields_validator().iter_errors(provider))
    if error is not None:
        field = ".".join(str(p) for p in error.absolute_path)
        raise InputError(where, f"providerSpec.value.{field}: {error.message}")


def _settings_of(provider: dict[str, t.Any], where: str) -> dict[str, t.Any]:
    """The captured part of one worker's providerSpec.value (unknown keys stripped, checked)."""
    settings: dict[str, t.Any] = {}
    for key in CAPTURED:
        if key not in provider:
            continue
        value = copy.deepcopy(provider[key])
        if key == "placement":
            value = {k: v for k, v in value.items() if k == "tenancy"}
            if not value:
                continue
        if key == "blockDevices":
            value = _root_first_without_size(value, where)
        settings[key] = value
    return settings


def _root_first_without_size(devices: list[dict[str, t.Any]], where: str) -> list[dict[str, t.Any]]:
    roots = [d for d in devices if "deviceName" not in d]
    if len(roots) != 1 or "ebs" not in roots[0]:
        raise InputError(
            where,
            f"blockDevices has {len(roots)} root devices (without deviceName) with ebs; a pool sets its root "
            "volume size on exactly one",
        )
    root = copy.deepcopy(roots[0])
    root["ebs"].pop("volumeSize", None)
    return [root, *(d for d in devices if d is not roots[0])]


@dataclass
class _Worker:
    """What one worker MachineSet says, read and checked."""

    name: str
    infra_id: str
    region: str | None
    zone: str
    subnet: dict[str, t.Any]
    settings: dict[str, t.Any]


def _read_worker(machineset: dict[str, t.Any], where: str, notes: list[str]) -> _Worker:
    """One worker MachineSet, read as data: every value it gives is checked where it enters."""
    name = OBJECT_NAME.check(value_at(machineset, "metadata", "name", where=where), f"{where}: metadata.name")
    at = f"{where}: MachineSet {name}"
    infra_id = INFRA_ID.check(
        value_at(machineset, "metadata", "labels", CLUSTER_LABEL, where=at), f"{at}: metadata.labels.{CLUSTER_LABEL}"
    )
    provider = value_at(machineset, *PROVIDER_PATH.split("."), where=at)
    if not isinstance(provider, dict):
        raise InputError(at, "has no providerSpec.value")
    for key, reason in NOT_COPIED.items():
        if provider.get(key) not in (None, "", [], {}):
            notes.append(f"MachineSet {name}: {key} not copied into the pools: {reason}")
    provider = _strip_unknown(
        provider, package_schema(PROVIDER_SCHEMA), f"MachineSet {name}: providerSpec.value", notes
    )
    _check_read_fields(provider, at)
    if "host" in provider.get("placement", {}):
        notes.append(f"MachineSet {name}: providerSpec.value.placement.host: not copied: dedicated hosts are chosen "
                     "per instance type")  # fmt: skip
    zone = value_at(provider, "placement", "availabilityZone")
    if zone is None or "subnet" not in provider:
        raise InputError(at, "has no placement.availabilityZone or no subnet")
    region = value_at(provider, "placement", "region")
    return _Worker(
        name=name,
        infra_id=infra_id,
        region=None if region is None else REGION.check(region, f"{at}: providerSpec.value.placement.region"),
        zone=AVAILABILITY_ZONE.check(zone, f"{at}: providerSpec.value.placement.availabilityZone"),
        subnet=provider["subnet"],
        settings=_settings_of(provider, f"{at}: providerSpec.value"),
    )


def capture(documents: list[dict[str, t.Any]], where: str) -> Capture:
    """The cluster-specific settings of the worker MachineSets in ``documents``.

    Every worker must agree on each captured field (a pool cannot copy two values); the subnet
    is kept per zone. Bad or contradicting input is an ``InputError`` naming the MachineSets;
    each identifier is checked in full where it enters (``accelcap.identifiers``).
    """
    notes: list[str] = []
    workers = sorted(
        (_read_worker(ms, where, notes) for ms in worker_machinesets(documents, where)), key=lambda w: w.name
    )
    if not workers:
        raise InputError(where, "no worker MachineSet (machine-role label 'worker') in this file")
    infra_ids = {w.infra_id for w in workers}
    if len(infra_ids) != 1:
        raise InputError(where, f"worker MachineSets disagree on {CLUSTER_LABEL}: {sorted(infra_ids)}")
    subnets: dict[str, dict[str, t.Any]] = {}
    for each in workers:
        if each.zone in subnets and subnets[each.zone] != each.subnet:
            raise InputError(
                where, f"worker MachineSets in {each.zone} use different subnets; which one a pool uses cannot be told"
            )
        subnets[each.zone] = each.subnet
    settings = {w.name: w.settings for w in workers}
    _agree(settings, where)
    regions = {w.region for w in workers}
    if len(regions) != 1:
        raise InputError(where, f"worker MachineSets disagree on placement.region: {sorted(map(str, regions))}")
    infra_id = infra_ids.pop()
    worker = workers[0].settings
    if "ami" not in worker:
        raise InputError(where, "the worker MachineSets name no AMI (providerSpec.value.ami)")
    AMI_ID.check(value_at(worker, "ami", "id"), f"{where}: MachineSet {workers[0].name}: providerSpec.value.ami.id")
    return Capture(
        infra_id=infra_id,
        region=regions.pop(),
        install_naming=_naming(worker, subnets, infra_id),
        worker=worker,
        subnets=dict(sorted(subnets.items())),
        sources=list(settings),
        notes=notes,
    )


def _agree(settings: dict[str, dict[str, t.Any]], where: str) -> None:
    names = list(settings)
    first = settings[names[0]]
    for name in names[1:]:
        for key in CAPTURED:
            if settings[name].get(key) != first.get(key):
                raise InputError(
                    where,
                    f"worker MachineSets {names[0]} and {name} differ in {key}; which one the pools copy "
                    "cannot be told (capture from one of them with --from-machineset)",
                )


def _naming(worker: dict[str, t.Any], subnets: dict[str, dict[str, t.Any]], infra_id: str) -> str | None:
    references = [*(worker.get("securityGroups") or []), *subnets.values()]
    names = [n for ref in references if isinstance(ref, dict) for n in tag_names(ref.get("filters")) or []]
    return naming_of(names, infra_id)


# --- wiring -------------------------------------------------------------------------------


def _replacement(source: str, target: str, select: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
    return {
        "source": {"kind": "ClusterFacts", "fieldPath": source},
        "targets": [
            {
                "select": {"kind": "MachineSet", **(select or {})},
                "fieldPaths": [f"{PROVIDER_PATH}.{target}"],
                "options": {"create": True},
            }
        ],
    }


def _empty(value: t.Any) -> bool:
    """kustomize treats an empty mapping or list as a missing source field; the machine API
    treats it as unset (Go's zero value), so such a field is left out of the wiring."""
    return isinstance(value, dict | list) and not value


def without_unset(value: t.Any) -> t.Any:
    """``value`` without empty mappings and lists, at any depth: what the pools get of it."""
    if isinstance(value, dict):
        kept = {k: without_unset(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if not _empty(v)}
    if isinstance(value, list):
        return [without_unset(v) for v in value]
    return value


def wiring(worker: dict[str, t.Any], subnets: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    """The replacements that copy ``spec.worker`` and the zones' subnets into every pool."""
    worker = without_unset(worker)
    replacements = []
    for key in CAPTURED:
        if key not in worker:
            continue
        if key == "placement":
            for inner in worker[key]:
                replacements.append(_replacement(f"spec.worker.placement.{inner}", f"placement.{inner}"))
        elif key == "blockDevices":
            for index, device in enumerate(worker[key]):
                for inner, value in device.items():
                    if inner == "ebs" and index == 0:
                        # The root volume's size is the pool's: copy the rest, one field at a time.
                        paths = [f"blockDevices.0.ebs.{ebs_key}" for ebs_key in value]
                    else:
                        paths = [f"blockDevices.{index}.{inner}"]
                    replacements += [_replacement(f"spec.worker.{path}", path) for path in paths]
        else:
            replacements.append(_replacement(f"spec.worker.{key}", key))
    for zone in subnets:
        replacements.append(
            _replacement(f"spec.subnets.{zone}", "subnet", {"annotationSelector": f"{ZONE_ANNOTATION}={zone}"})
        )
    return replacements


WIRING_HEADER = """\
# GENERATED by `.venv/bin/python -m accelcap.generate` from ../cluster.yaml; do not edit.
# Copies the worker settings of the facts (spec.worker) into every pool of this cluster, one
# field each (kustomize needs a replacement's source to exist, so the list follows what the
# facts hold), and each zone's subnet (spec.subnets) into the pools of that zone, found by
# their accel-capacity.io/zone annotation (components/pool sets it from pool.yaml).
# components/README.md explains the order of the whole pipeline.
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
replacements:
"""


def wiring_text(worker: dict[str, t.Any], subnets: dict[str, t.Any]) -> str:
    """``worker/kustomization.yaml``: a Component with the replacements of ``wiring``."""
    lines = [WIRING_HEADER.rstrip("\n")]
    for replacement in wiring(worker, subnets):
        source = replacement["source"]
        (target,) = replacement["targets"]
        select = ", ".join(f"{k}: {v}" for k, v in target["select"].items())
        lines += [
            f"  - source: {{kind: {source['kind']}, fieldPath: {source['fieldPath']}}}",
            "    targets:",
            f"      - select: {{{select}}}",
            "        fieldPaths:",
            *(f"          - {path}" for path in target["fieldPaths"]),
            "        options: {create: true}",
        ]
    if len(lines) == 1:
        lines[0] += " []"
    return "\n".join(lines) + "\n"


def wiring_path(facts_path: Path) -> Path:
    return facts_path.parent / WIRING_FILE
