"""CRDs for the test API server of kinds the shared CRD mirror lacks, built from the JSON
schemas the tools validate them with.

The mirror (``<shared>/crds``) has no upstream CRD for two kinds the renders carry, and the
tests may fetch nothing else, so the only description of them we have is a JSON schema:

- ``argoproj.io/v1beta1`` ``ArgoCD`` (the bootstrap's partial object): the project's own
  schema (``src/accelcap/schemas/kinds/argoproj.io/argocd_v1beta1.json``), written from
  argocd-operator's Go types for the one field the bootstrap sets, ``spec.resourceHealthChecks``.
  The CRD built from it refuses any other spec field, where the operator's real CRD has
  hundreds: it checks what the repository sends, not the operator's whole API.
- ``nfd.k8s-sigs.io/v1alpha1`` ``NodeFeatureRule`` (Inferentia on OpenShift 4.20): the
  CRDs-catalog schema in ``<shared>/schemas`` (converted from upstream NFD's CRD), Namespaced
  as the OpenShift NFD operator serves it (``accelcap.catalog.kinds``).

So for these two the API server checks an object against the same schema as the built-in
validator: the structure (strict fields, types, enums, required) but no CEL rule or default
of the real CRDs, and no independent verdict (docs/validate.md, "The API server and the
built-in validator").

The conversion undoes what kubeconform's converter adds and keeps what a structural schema
allows: ``additionalProperties: false`` next to ``properties`` is dropped (the API server's
strict field validation refuses unknown fields anyway), ``const`` becomes a one-value
``enum``, ``oneOf`` string/integer becomes ``x-kubernetes-int-or-string``, a ``null`` in a type
list becomes ``nullable``. Anything else it does not know fails loudly.
"""

from __future__ import annotations

import json
import typing as t
from pathlib import Path

from accelcap.catalog.kinds import lookup
from accelcap.validate.locations import PROJECT_SCHEMAS

#: Keywords a structural schema keeps as they are.
_KEPT = frozenset(
    {
        "description", "enum", "format", "pattern", "minimum", "maximum", "exclusiveMinimum",
        "exclusiveMaximum", "minLength", "maxLength", "minItems", "maxItems", "minProperties",
        "maxProperties", "uniqueItems", "multipleOf", "required", "nullable", "default",
    }
)  # fmt: skip
#: Keywords that say nothing to the API server.
_DROPPED = frozenset({"$schema", "$id", "title", "$comment", "examples"})


class NotStructural(ValueError):
    """The JSON schema uses a keyword the conversion does not know."""


def _int_or_string(node: dict[str, t.Any]) -> bool:
    variants = node.get("oneOf") or node.get("anyOf")
    return isinstance(variants, list) and sorted(str(v.get("type")) for v in variants) == ["integer", "string"]


def structural(node: dict[str, t.Any], where: str = "") -> dict[str, t.Any]:
    """The structural OpenAPI v3 schema of one JSON-schema node (see the module docstring)."""
    out: dict[str, t.Any] = {}
    for key, value in node.items():
        if key in _DROPPED or (key in ("oneOf", "anyOf") and _int_or_string(node)):
            continue
        if key == "type":
            types = value if isinstance(value, list) else [value]
            kept = [v for v in types if v != "null"]
            if len(kept) != 1:
                raise NotStructural(f"{where or '/'}: type {value!r}")
            out["type"] = kept[0]
            if "null" in types:
                out["nullable"] = True
        elif key == "const":
            out["enum"] = [value]
        elif key == "properties":
            out["properties"] = {name: structural(child, f"{where}/{name}") for name, child in value.items()}
        elif key == "items":
            out["items"] = structural(value, f"{where}/items")
        elif key == "additionalProperties":
            if isinstance(value, dict):
                out["additionalProperties"] = structural(value, f"{where}/*")
            elif value is True:
                out["x-kubernetes-preserve-unknown-fields"] = True
            elif "properties" not in node:  # an object with no field at all: keep it closed as an empty one
                out["properties"] = {}
        elif key in _KEPT or key.startswith("x-kubernetes-"):
            out[key] = value
        else:
            raise NotStructural(f"{where or '/'}: keyword {key!r}")
    if _int_or_string(node):
        out["x-kubernetes-int-or-string"] = True
    elif "type" not in out and not out.get("x-kubernetes-preserve-unknown-fields"):
        out["type"] = "object" if "properties" in out or "additionalProperties" in out else "string"
    return out


def crd_from_schema(schema: dict[str, t.Any], api_version: str, kind: str) -> dict[str, t.Any]:
    """A CustomResourceDefinition serving ``api_version`` ``kind`` with ``schema``; the
    resource name and scope come from ``accelcap.catalog.kinds``."""
    group, _, version = api_version.rpartition("/")
    known = lookup(group, kind)
    if known is None:
        raise NotStructural(f"{group} {kind} is not in accelcap.catalog.kinds (resource name and scope)")
    root = structural(schema)
    properties = root.setdefault("properties", {})
    # The server sets apiVersion, kind and metadata itself; a CRD may only say they are there.
    for name in ("apiVersion", "kind"):
        properties[name] = {"type": "string"}
    properties["metadata"] = {"type": "object"}
    root["required"] = [name for name in root.get("required", []) if name not in ("apiVersion", "kind", "metadata")]
    if not root["required"]:
        del root["required"]
    root["type"] = "object"
    singular = kind.lower()
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{known.resource}.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced" if known.namespaced else "Cluster",
            "names": {"kind": kind, "listKind": f"{kind}List", "plural": known.resource, "singular": singular},
            "versions": [{"name": version, "served": True, "storage": True, "schema": {"openAPIV3Schema": root}}],
        },
    }


#: The kinds the mirror lacks and the schema each CRD is built from (relative to the shared
#: directory, or ``{project}`` for the project's own schemas).
SCHEMA_CRDS = (
    ("argoproj.io/v1beta1", "ArgoCD", "{project}/argoproj.io/argocd_v1beta1.json"),
    ("nfd.k8s-sigs.io/v1alpha1", "NodeFeatureRule", "schemas/nfd.k8s-sigs.io/nodefeaturerule_v1alpha1.json"),
)


def schema_crds(shared: Path) -> list[dict[str, t.Any]]:
    """The CRDs of ``SCHEMA_CRDS``."""
    crds = []
    for api_version, kind, location in SCHEMA_CRDS:
        path = (
            PROJECT_SCHEMAS / location.removeprefix("{project}/")
            if location.startswith("{project}")
            else shared / location
        )
        crds.append(crd_from_schema(json.loads(path.read_text()), api_version, kind))
    return crds
