"""What the API server does with ``null`` values before it validates a custom resource.

A YAML ``helm:`` with only comments under it, or ``spec: null``, is a null where the CRD
wants an object. The API server does not reject it: when it decodes a custom resource it

1. drops every null whose schema is not ``nullable`` and has no ``default``
   (``PruneNonNullableNullsWithoutDefaults``, k8s.io/apiextensions-apiserver
   pkg/apiserver/schema/defaulting/prunenulls.go, called from the schema coercer in
   pkg/apiserver/customresource_handler.go, ``unstructuredSchemaCoercer.apply``);
2. replaces a non-nullable null that has a ``default`` with that default
   (``Default``, pkg/apiserver/schema/defaulting/algorithm.go: ``isNonNullableNull``), for
   object properties, map values (additionalProperties) and list items;

and only then validates. A null that survives (an item of a list whose items are not
nullable and have no default, a null the schema marks nullable) is validated as null, so
the server still rejects ``containers: [null]``. For built-in kinds the Go decoder treats
a null field as absent, which step 1 reproduces.

``server_view`` applies these two steps to a copy of an object, following its JSON schema
(``properties``, ``additionalProperties``, ``items``; a ``$ref`` ends the walk: no nulls are
touched below it). Defaults of *absent* fields are not filled in: they cannot make an
object invalid, except a ``required`` field that has a default (docs/validate.md).
"""

from __future__ import annotations

import copy
import typing as t

Schema = t.Mapping[str, t.Any]


def _nullable(schema: Schema | None) -> bool:
    """True when the schema accepts null (``nullable: true`` or a ``null`` type); True for
    no schema at all, so unknown places are left alone."""
    if schema is None:
        return True
    if schema.get("nullable") is True:
        return True
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    branches = [*(schema.get("anyOf") or []), *(schema.get("oneOf") or [])]
    return any(isinstance(b, dict) and b.get("type") == "null" for b in branches)


def walkable(schema: t.Any) -> Schema | None:
    """``schema`` when a walk may go into it; None for no schema or a ``$ref`` (no walk of
    this package follows one)."""
    return schema if isinstance(schema, dict) and "$ref" not in schema else None


def field_schema(schema: Schema | None, key: str) -> Schema | None:
    """The schema of ``key`` in an object: its property, else additionalProperties."""
    if schema is None:
        return None
    properties = schema.get("properties")
    if isinstance(properties, dict) and key in properties:
        return walkable(properties[key])
    return walkable(schema.get("additionalProperties"))


def _normalise(value: t.Any, schema: Schema | None) -> t.Any:
    if schema is None:
        return value
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            field = field_schema(schema, key)
            if item is None and not _nullable(field):
                assert field is not None
                if "default" not in field:
                    continue  # pruned: prunenulls.go
                item = copy.deepcopy(field["default"])  # defaulted: algorithm.go
            result[key] = _normalise(item, field)
        return result
    if isinstance(value, list):
        items = walkable(schema.get("items"))
        result_list = []
        for item in value:
            if item is None and items is not None and not _nullable(items) and "default" in items:
                item = copy.deepcopy(items["default"])
            result_list.append(_normalise(item, items))
        return result_list
    return value


def contains_null(value: t.Any) -> bool:
    """Whether ``value`` holds a null anywhere (loaded YAML or JSON: dicts, lists, scalars);
    without recursion, a call per document rather than per node."""
    stack = [value]
    pop, push = stack.pop, stack.extend
    while stack:
        item = pop()
        if item is None:
            return True
        if isinstance(item, dict):
            push(item.values())
        elif isinstance(item, list):
            push(item)
    return False


def server_view(obj: dict[str, t.Any], schema: Schema) -> dict[str, t.Any]:
    """A copy of ``obj`` as the API server validates it: nulls pruned or defaulted (see
    above). Callers ask ``contains_null`` first, and skip finding the schema when it says no."""
    return t.cast(dict[str, t.Any], _normalise(obj, walkable(schema)))
