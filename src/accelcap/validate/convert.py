"""CustomResourceDefinition -> JSON schemas in kubeconform's layout.

Follows kubeconform's ``scripts/openapi2jsonschema.py``:
- every nested object that has ``properties`` gets ``additionalProperties: false`` (the root
  is left open, as the API server fills apiVersion/kind/metadata), so CRD schemas are strict
  below the root;
- ``format: int-or-string`` becomes ``oneOf: [string, integer]``;
and, unlike it, leaves objects marked ``x-kubernetes-preserve-unknown-fields: true`` open
(the API server keeps unknown fields there, so strictness would reject valid objects), turns a
bare ``x-kubernetes-int-or-string: true`` into the same ``oneOf``, lets ``nullable: true``
accept null (``type: [T, "null"]``), and writes every *served* version. Output path: ``<group>/<kind>_<version>.json`` (kind lower-cased).
"""

from __future__ import annotations

import copy
import typing as t
from dataclasses import dataclass

from ..errors import InputError
from ..identifiers import API_GROUP, API_VERSION_NAME, KIND
from ..yamlload import value_at

#: Bumped when the conversion changes, so cached generated schemas are rebuilt.
CONVERTER_VERSION = "2"
INT_OR_STRING = {"oneOf": [{"type": "string"}, {"type": "integer"}]}


def schema_relative_path(group: str, kind: str, version: str) -> str:
    """Where the schema of ``group``/``kind`` ``version`` lies below a schema directory: the
    layout the ``{generated}`` location's template reads."""
    return f"{group}/{kind.lower()}_{version}.json"


@dataclass(frozen=True)
class ConvertedSchema:
    group: str
    kind: str
    version: str
    schema: dict[str, t.Any]

    @property
    def relative_path(self) -> str:
        return schema_relative_path(self.group, self.kind, self.version)


def _strict(node: t.Any, is_root: bool) -> t.Any:
    """A copy of ``node`` made strict below the root, with int-or-string rewritten."""
    if isinstance(node, list):
        return [_strict(item, False) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("format") == "int-or-string" and not is_root:
        return copy.deepcopy(INT_OR_STRING)
    result = {key: _strict(value, False) for key, value in node.items()}
    if (
        node.get("x-kubernetes-int-or-string") is True
        and not is_root
        and not any(k in node for k in ("type", "anyOf", "oneOf"))
    ):
        result.update(copy.deepcopy(INT_OR_STRING))
    if node.get("nullable") is True and isinstance(node.get("type"), str):
        # OpenAPI's nullable is JSON schema's null type (the API server accepts null there).
        result["type"] = [node["type"], "null"]
        if isinstance(result.get("enum"), list) and None not in result["enum"]:
            result["enum"] = [*result["enum"], None]
    if (
        "properties" in node
        and not is_root
        and "additionalProperties" not in node
        and node.get("x-kubernetes-preserve-unknown-fields") is not True
    ):
        result["additionalProperties"] = False
    return result


def _crd_objects(document: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    """The CRDs of one YAML document (a CRD, or a List of them)."""
    if document.get("kind") == "List" and isinstance(document.get("items"), list):
        return [item for item in document["items"] if isinstance(item, dict)]
    return [document]


def convert_crd(crd: dict[str, t.Any], where: str) -> list[ConvertedSchema]:
    """Every served version of one CRD; a CRD without ``openAPIV3Schema`` is bad input."""
    if crd.get("kind") != "CustomResourceDefinition":
        raise InputError(where, f"not a CustomResourceDefinition (kind {crd.get('kind')!r})")
    name = value_at(crd, "metadata", "name", default="?")
    where = f"{where}: {name}"
    spec = crd.get("spec")
    if not isinstance(spec, dict):
        raise InputError(where, "CRD has no spec")
    group = spec.get("group")
    names = spec.get("names")
    kind = names.get("kind") if isinstance(names, dict) else None
    if not isinstance(group, str) or not isinstance(kind, str):
        raise InputError(where, "CRD has no spec.group or spec.names.kind")
    # They name the output files: checked in full, so "../x" or "a\n" never becomes a path.
    API_GROUP.check(group, f"{where}: spec.group")
    KIND.check(kind, f"{where}: spec.names.kind")
    # apiextensions.k8s.io/v1beta1 may give one schema for every version in spec.validation.
    shared_schema = value_at(spec, "validation", "openAPIV3Schema")
    versions = spec.get("versions")
    if not versions and spec.get("version"):
        versions = [{"name": spec["version"], "served": True}]
    if not isinstance(versions, list) or not versions:
        raise InputError(where, "CRD has no spec.versions")
    converted = []
    for version in versions:
        if not isinstance(version, dict) or not isinstance(version.get("name"), str):
            raise InputError(where, "a spec.versions entry has no name")
        API_VERSION_NAME.check(version["name"], f"{where}: spec.versions[].name")
        if version.get("served", True) is False:
            continue
        schema = value_at(version, "schema", "openAPIV3Schema") or shared_schema
        if not isinstance(schema, dict):
            raise InputError(where, f"version {version['name']} has no schema.openAPIV3Schema")
        converted.append(ConvertedSchema(group, kind, version["name"], _strict(schema, True)))
    if not converted:
        raise InputError(where, "CRD serves no version")
    return converted


def convert_documents(documents: t.Sequence[dict[str, t.Any]], where: str) -> list[ConvertedSchema]:
    """Every CRD of a YAML stream; a stream without one is bad input."""
    converted = []
    for document in documents:
        for crd in _crd_objects(document):
            converted.extend(convert_crd(crd, where))
    if not converted:
        raise InputError(where, "no CustomResourceDefinition in the input")
    return converted
