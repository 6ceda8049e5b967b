"""The one way to read a pool's settings: the Pool object of its directory (``pool.yaml``).

Each pool-and-zone directory under ``overlays/<cluster>/`` holds one Pool object (local-config:
kustomize reads it and never emits it) with every setting a platform engineer changes for that
pool; kustomize fills the pool's MachineSet and MachineAutoscaler from it. The rendered
objects carry the values, and tools read those; the Pool objects themselves are found by
walking the kustomizations a build is made of (``KustomizationGraph``, the fields kustomize
loads resources from), and checked strictly against ``schemas/pool.schema.json`` (a misspelt
optional key would otherwise be ignored) before kustomize renders the build: the cluster model
hands a ``PoolReader`` to the render layer (``accelcap.model.build_cache``) and joins each
pool from its file and what was rendered. The rendered MachineSet names its Pool in the
annotation ``POOL_ANNOTATION``.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import typing as t
from dataclasses import dataclass
from pathlib import Path

import jsonschema

from .affected import KUSTOMIZATION_NAMES, LOADED_FIELDS, KustomizationGraph, Loader
from .config import Settings, load_settings
from .errors import InputError
from .fast_valid import errors_of
from .files import read_text
from .identifiers import with_ecma_patterns
from .markets import check_market_settings
from .run_memo import FILE, file_kind
from .suggest import unknown_keys
from .yamlload import load_documents, load_single, package_schema

API_VERSION = "accel-capacity.io/v1alpha1"
KIND = "Pool"
#: Annotations components/pool writes on the pool's MachineSet.
POOL_ANNOTATION = "accel-capacity.io/pool"
ZONE_ANNOTATION = "accel-capacity.io/zone"
#: ``market`` of pool.yaml -> ``accelcap.model.ScaledMachineSet.market`` of the rendered MachineSet.
MARKETS = {"Spot": "spot", "OnDemand": "on-demand"}
_POOL_LINE = re.compile(r"^kind:[ \t]*Pool[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class PoolFile:
    """One pool.yaml, checked: the settings a platform engineer edits for one pool."""

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
    errors = errors_of(_validator(), document)  # once, for the unknown keys and the rest
    unknown_keys(errors, where)
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


def _pool_of(document: dict[str, t.Any], file: Path, settings: Settings) -> PoolFile:
    where = settings.relative(file)
    check_pool_document(document, where)
    name = document["metadata"]["name"]
    if name != file.parent.name:
        raise InputError(where, f"metadata/name is {name!r} but the pool's directory is {file.parent.name!r}")
    spec = document["spec"]
    return PoolFile(
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


def pools_of_build(directory: Path, settings: Settings | None = None, load: Loader = load_single) -> list[PoolFile]:
    """Every Pool object the build at ``directory`` reads, checked; ``load`` reads each
    kustomization file."""
    return PoolReader()(directory, settings or load_settings(), load)


class PoolReader:
    """The Pool objects of every build of one run (``accelcap.model.build_cache`` hands one to
    the render layer): the kustomization graph of the run is walked once, and each file read
    once, however many builds share it (every pool's build reads the same bases).

    Safe to call from the run's build threads: at worst two threads read the same file.
    """

    def __init__(self) -> None:
        self._graph: KustomizationGraph | None = None
        #: What each file holds: its Pool objects, or the error that refuses it.
        self._files: dict[Path, list[PoolFile] | InputError] = {}

    def __call__(self, directory: Path, settings: Settings, load: Loader) -> list[PoolFile]:
        if self._graph is None:
            # The files kustomize loads as resources, through the one kustomization walker;
            # kustomize itself reports a path that does not exist.
            self._graph = KustomizationGraph(settings, missing_ok=True, load=load, fields=LOADED_FIELDS)
        # In the order of the files' paths; only the few files that hold a pool or an error
        # are sorted (a build reaches dozens of files).
        held = sorted(file for file in self._graph.files(directory) if self._read(file, settings))
        return [pool for file in held for pool in self._pools_in(file, settings)]

    def _read(self, file: Path, settings: Settings) -> list[PoolFile] | InputError:
        found = self._files.get(file)
        if found is None:
            try:
                found = _read_pools(file, settings)
            except InputError as error:
                found = error
            self._files[file] = found
        return found

    def _pools_in(self, file: Path, settings: Settings) -> list[PoolFile]:
        found = self._read(file, settings)
        if isinstance(found, InputError):
            raise found
        return found


def _read_pools(file: Path, settings: Settings) -> list[PoolFile]:
    """The Pool objects of one file a build loads (none in a kustomization or a directory)."""
    if file.name in KUSTOMIZATION_NAMES or file_kind(file) != FILE:
        return []
    text, _ = read_text(file, settings.relative(file))
    if not _POOL_LINE.search(text):
        return []
    return [
        _pool_of(document, file, settings)
        for document in load_documents(text, settings.relative(file))
        if document.get("kind") == KIND and document.get("apiVersion") == API_VERSION
    ]


def fallback_settings(settings: PoolFile) -> PoolFile:
    """What a pool's fallback MachineSet must be: the pool.yaml with the fallback's market and
    bounds (0..fallbackMaxReplicas) and no reservation; everything else is the pool's own."""
    return dataclasses.replace(
        settings,
        market=settings.fallback or "",
        min_replicas=0,
        max_replicas=settings.fallback_max_replicas,
        replicas=None,
        capacity_reservation_id=None,
    )
