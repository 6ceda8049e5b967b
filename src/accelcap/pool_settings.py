"""The one way to read a pool's settings: the Pool object of its directory (``pool.yaml``).

Each pool-and-zone directory under ``overlays/<cluster>/`` holds one Pool object (local-config:
kustomize reads it and never emits it) with every setting a platform engineer changes for that
pool; kustomize fills the pool's MachineSet and MachineAutoscaler from it. The rendered
objects carry the values, and tools read those; the Pool objects themselves are found by
walking the kustomizations a build is made of, and checked strictly against
``schemas/pool.schema.json`` (a misspelt optional key would otherwise be ignored), so the
render layer (``accelcap.render``) can hand them to the lint rules that compare them with what
was rendered. The rendered MachineSet names its Pool in the annotation ``POOL_ANNOTATION``.
"""

from __future__ import annotations

import functools
import re
import typing as t
from dataclasses import dataclass
from pathlib import Path

import jsonschema

from .affected import LOADED_FIELDS, Loader, is_remote, kustomization_file
from .config import Settings, load_settings
from .errors import InputError
from .files import read_text
from .identifiers import with_ecma_patterns
from .markets import check_market_settings
from .yamlload import load_documents, load_single, package_schema

API_VERSION = "accel-capacity.io/v1alpha1"
KIND = "Pool"
#: Annotations components/pool writes on the pool's MachineSet.
POOL_ANNOTATION = "accel-capacity.io/pool"
ZONE_ANNOTATION = "accel-capacity.io/zone"
#: ``market`` of pool.yaml -> ``accelcap.pools.Pool.market`` of the rendered MachineSet.
MARKETS = {"Spot": "spot", "OnDemand": "on-demand"}
_POOL_LINE = re.compile(r"^kind:[ \t]*Pool[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class PoolSettings:
    name: str
    zone: str
    instance_type: str
    market: str
    volume_size: int
    accelerator_label: str | None
    min_replicas: int | None
    max_replicas: int | None
    replicas: int | None
    #: The pool.yaml, relative to the repository.
    file: str
    #: A reservation-backed pool's reservation (an ODCR, or a Capacity Block's), accelcap.markets.
    capacity_reservation_id: str | None = None
    #: A Spot pool's On-Demand fallback (``OnDemand``) and that MachineSet's maximum.
    fallback: str | None = None
    fallback_max_replicas: int | None = None

    @property
    def autoscaled(self) -> bool:
        return self.max_replicas is not None


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    """The Pool schema, its patterns read as ECMA 262 does: "us-west-2a\n" is no zone."""
    schema = package_schema("pool.schema.json")
    return with_ecma_patterns(jsonschema.Draft202012Validator)(schema)  # type: ignore[no-any-return]


def check_pool_document(document: dict[str, t.Any], where: str) -> None:
    """Raise ``InputError`` unless ``document`` is a valid Pool object."""
    spec = document.get("spec")
    if isinstance(spec, dict):
        manual, autoscaled = "replicas" in spec, bool({"minReplicas", "maxReplicas"} & set(spec))
        if manual == autoscaled:
            raise InputError(
                where,
                "spec: say replicas (a pool scaled by hand, components/pool/replicas) or minReplicas and "
                "maxReplicas (an autoscaled pool, components/autoscaling/pool), "
                + ("not both" if manual else "one of them"),
            )
    errors = list(_validator().iter_errors(document))
    # The market combinations (spec's allOf after the first) are said more clearly by
    # accelcap.markets, once nothing else is wrong.
    plain = [
        e
        for e in errors
        if list(e.absolute_schema_path)[:3] != ["properties", "spec", "allOf"] or e.absolute_schema_path[3] == 0
    ]
    if not plain and isinstance(spec, dict):
        check_market_settings(spec, where)
    error = jsonschema.exceptions.best_match(plain or errors)
    if error is not None:
        location = "/".join(str(p) for p in error.absolute_path) or "(document)"
        raise InputError(where, f"{location}: {error.message}")
    spec = document["spec"]
    if "maxReplicas" in spec and spec["minReplicas"] > spec["maxReplicas"]:
        raise InputError(where, f"spec: minReplicas {spec['minReplicas']} is above maxReplicas {spec['maxReplicas']}")


def _pool_of(document: dict[str, t.Any], file: Path, settings: Settings) -> PoolSettings:
    where = settings.relative(file)
    check_pool_document(document, where)
    name = document["metadata"]["name"]
    if name != file.parent.name:
        raise InputError(where, f"metadata/name is {name!r} but the pool's directory is {file.parent.name!r}")
    spec = document["spec"]
    return PoolSettings(
        name=name,
        zone=spec["zone"],
        instance_type=spec["instanceType"],
        market=spec["market"],
        volume_size=spec["volumeSize"],
        accelerator_label=spec.get("acceleratorLabel"),
        min_replicas=spec.get("minReplicas"),
        max_replicas=spec.get("maxReplicas"),
        replicas=spec.get("replicas"),
        file=where,
        capacity_reservation_id=spec.get("capacityReservationId"),
        fallback=spec.get("fallback"),
        fallback_max_replicas=spec.get("fallbackMaxReplicas"),
    )


def _resource_files(directory: Path, settings: Settings, seen: set[Path], load: Loader) -> t.Iterator[Path]:
    """Files inside the repository that a kustomization takes resources from, through every
    field kustomize loads them from (``LOADED_FIELDS``: kustomize itself reports what it
    cannot reach)."""
    file = kustomization_file(directory)
    if file is None or directory in seen:
        return
    seen.add(directory)
    root = settings.root.resolve()
    kustomization = load(file, settings.relative(file))
    for key in LOADED_FIELDS:
        for entry in kustomization.get(key) or []:
            if not isinstance(entry, str) or is_remote(entry):
                continue
            target = (directory / entry).resolve()
            if root not in target.parents:
                continue  # a pool.yaml lives in the repository
            if target.is_dir():
                yield from _resource_files(target, settings, seen, load)
            elif target.is_file():
                yield target


def pools_of_build(directory: Path, settings: Settings | None = None, load: Loader = load_single) -> list[PoolSettings]:
    """Every Pool object the build at ``directory`` reads, checked; ``load`` reads each
    kustomization file."""
    settings = settings or load_settings()
    pools = []
    for file in _resource_files(directory.resolve(), settings, set(), load):
        text, _ = read_text(file, settings.relative(file))
        if not _POOL_LINE.search(text):
            continue
        for document in load_documents(text, settings.relative(file)):
            if document.get("kind") == KIND and document.get("apiVersion") == API_VERSION:
                pools.append(_pool_of(document, file, settings))
    return pools
