"""Find and compile the schema of each (apiVersion, kind): first location that has it wins.

Each schema is read and compiled once per ``SchemaResolver`` (the reason the built-in engine
is many times faster than tools that reload schemas per object); lookups are cached per
(apiVersion, kind, Kubernetes version) too.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import referencing
import referencing.exceptions
import referencing.jsonschema

from ..fast_valid import Check, validity_check
from ..identifiers import with_ecma_patterns
from . import core_schemas
from .fetch import read_schema
from .locations import Location, ResourceType
from .pinned import GeneratedSchemas
from .schema_check import check_schema_once


@dataclass(frozen=True)
class CompiledSchema:
    #: Where the schema came from: a path, a URL, or ``kubernetes-validate:<file>``.
    source: str
    validator: t.Any  # a jsonschema validator instance
    #: The top-level fields the schema defines when it leaves its root open (CRD schemas
    #: converted the openapi2jsonschema way do); None when the root is closed or undefined.
    open_root_fields: frozenset[str] | None = None
    #: True only for an instance ``validator`` finds no error in; False: ask ``validator``
    #: (``accelcap.fast_valid``).
    surely_valid: Check = field(default=lambda instance: False, compare=False)


def _retrieve(uri: str) -> referencing.Resource[t.Any]:
    """Remote ``$ref`` targets: http(s) and file URIs, read through the same cache."""
    address = uri.removeprefix("file://")
    if not address.startswith(("http://", "https://", "/")):
        raise referencing.exceptions.NoSuchResource(uri)
    schema = read_schema(address)
    if schema is None:
        raise referencing.exceptions.NoSuchResource(uri)
    return referencing.Resource.from_contents(schema, default_specification=referencing.jsonschema.DRAFT4)


def compile_schema(
    schema: dict[str, t.Any], source: str, registry: referencing.Registry[t.Any] | None = None
) -> CompiledSchema:
    """A validator for ``schema``; Draft 4 unless the schema names its dialect (as kubeconform)."""
    # ECMA 262 patterns, as the API server and kubeconform evaluate them (accelcap.identifiers).
    cls = with_ecma_patterns(jsonschema.validators.validator_for(schema, default=jsonschema.Draft4Validator))
    check_schema_once(cls, schema, source)
    if registry is None:
        # Registry's field is ``_retrieve`` with the attrs alias ``retrieve``; mypy's attrs
        # plugin does not apply aliases, so it rejects the documented keyword.
        registry = referencing.Registry(retrieve=_retrieve)  # type: ignore[call-arg]
    properties = schema.get("properties")
    open_root: frozenset[str] | None = None
    if isinstance(properties, dict) and schema.get("additionalProperties", True) is not False:
        open_root = frozenset(properties)
    validator = cls(schema, registry=registry)
    return CompiledSchema(source, validator, open_root, validity_check(validator))


@dataclass
class SchemaResolver:
    locations: list[Location]
    generated: GeneratedSchemas | None = None
    strict: bool = True
    _compiled: dict[str, CompiledSchema] = field(default_factory=dict)
    _lookups: dict[tuple[str, str, str], CompiledSchema | None] = field(default_factory=dict)
    _core_registries: dict[Path, referencing.Registry[t.Any]] = field(default_factory=dict)

    def candidates(self, resource: ResourceType, kubernetes_version: str) -> list[tuple[Location, str]]:
        """Every (location, address) tried for ``resource``, in order."""
        found = []
        for location in self.locations:
            if location.kind == "builtin":
                found.append((location, str(core_schemas.schema_path(resource, kubernetes_version))))
            else:
                found.append((location, location.expand(resource, kubernetes_version, self.strict)))
        return found

    def resolve(self, resource: ResourceType, kubernetes_version: str) -> CompiledSchema | None:
        key = (resource.api_version, resource.kind, kubernetes_version)
        if key not in self._lookups:
            self._lookups[key] = self._find(resource, kubernetes_version)
        return self._lookups[key]

    def _find(self, resource: ResourceType, kubernetes_version: str) -> CompiledSchema | None:
        for location, address in self.candidates(resource, kubernetes_version):
            if address in self._compiled:
                return self._compiled[address]
            if location.generated and self.generated is not None:
                self.generated.ensure(resource.group, resource.kind)
            schema = read_schema(address)
            if schema is None:
                continue
            if location.kind == "builtin":
                directory = Path(address).parent
                if directory not in self._core_registries:
                    definitions = referencing.Resource.from_contents(core_schemas.definitions(directory))
                    self._core_registries[directory] = definitions @ referencing.Registry()
                compiled = compile_schema(
                    schema,
                    f"kubernetes-validate:{directory.name}/{Path(address).name}",
                    self._core_registries[directory],
                )
            else:
                compiled = compile_schema(schema, address)
            self._compiled[address] = compiled
            return compiled
        return None
