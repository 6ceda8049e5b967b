"""The quick validity check (``accelcap.fast_valid``) never says valid where jsonschema
finds an error: over every object of the test corpus and the repository's render, mutations
of each, the AWS providerSpec schema, and the keywords whose semantics are easy to get wrong.
And it is used: a valid render never reaches jsonschema's descent."""

from __future__ import annotations

import decimal
import typing as t

import jsonschema
import pytest

from accelcap import facts, pool_file
from accelcap.errors import InputError
from accelcap.fast_valid import FastValidity, surely_valid, validity_check
from accelcap.identifiers import with_ecma_patterns
from accelcap.model import ClusterModel
from accelcap.render import Document
from accelcap.validate import provider_spec
from accelcap.validate.builtin_engine import check_documents, resource_type
from accelcap.validate.resolver import CompiledSchema
from accelcap.validate.validator import ValidateOptions, Validator
from accelcap.yamlload import load_documents
from support import REPO, shared_dir

KUBERNETES_VERSION = "1.33"


def corpus_objects() -> list[tuple[str, t.Any]]:
    """Every manifest of the shared corpus and of the tests' fixture folders, one per object."""
    files = sorted((shared_dir() / "corpus").rglob("*.yaml")) + sorted(
        p for p in (REPO / "tests").rglob("*") if p.suffix in (".yaml", ".yml")
    )
    found = []
    for path in files:
        try:
            documents = load_documents(path.read_bytes(), str(path))
        except InputError:
            continue  # hostile input: not YAML the tools load
        found += [(f"{path.name}#{n}", obj) for n, obj in enumerate(documents)]
    return found


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator(options=ValidateOptions(engine="builtin", kubernetes_version=KUBERNETES_VERSION))


def compiled_for(validator: Validator, obj: t.Any) -> CompiledSchema | None:
    try:
        resource = resource_type(Document(obj, "corpus", "corpus"), 0)
        return validator.resolver.resolve(resource, KUBERNETES_VERSION)
    except InputError:
        return None  # no apiVersion or kind, or a schema that is bad input


def _replacements(value: t.Any) -> list[t.Any]:
    if isinstance(value, bool):
        return ["true", 1, None]
    if isinstance(value, int):
        return ["7", -1, 1.5, 2**40, float(value), True]
    if isinstance(value, float):
        return ["1", -1.5, int(value)]
    if isinstance(value, str):
        return [7, "", f"{value}\n", value.upper() + " !", None, decimal.Decimal(1)]
    if isinstance(value, dict):
        return [[], "x", {}, {**value, "zzUnknownField": 1}]
    if isinstance(value, list):
        return [{}, "x", [], value + value, [*value, {"zzUnknownField": 1}]]
    return ["x", 0, {}]


def _paths(obj: t.Any, path: tuple[t.Any, ...] = ()) -> t.Iterator[tuple[tuple[t.Any, ...], t.Any]]:
    yield path, obj
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _paths(value, (*path, key))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            yield from _paths(value, (*path, index))


def _with(obj: t.Any, path: tuple[t.Any, ...], change: t.Callable[[t.Any, t.Any], None]) -> t.Any:
    """A copy of ``obj`` (copied along ``path`` only) with ``change(parent, key)`` applied."""
    top = obj.copy()
    parent = top
    for step in path[:-1]:
        parent[step] = parent[step].copy()
        parent = parent[step]
    change(parent, path[-1])
    return top


def mutations(obj: t.Any, budget: int = 40) -> t.Iterator[t.Any]:
    """Realistic mistakes in ``obj``: a value of another type or shape, an emptied or doubled
    value, a removed field, an unknown field; spread over the whole object."""
    paths = [(p, v) for p, v in _paths(obj) if p]
    step = max(1, len(paths) // budget)
    for path, value in paths[::step]:
        for replacement in _replacements(value):
            yield _with(obj, path, lambda parent, key, r=replacement: parent.__setitem__(key, r))
        if isinstance(path[-1], str):
            yield _with(obj, path, lambda parent, key: parent.pop(key))


def _provider_value(obj: t.Any) -> t.Any:
    """A MachineSet's providerSpec.value, or None."""
    if not isinstance(obj, dict) or obj.get("kind") != "MachineSet":
        return None
    value = obj
    for step in provider_spec.VALUE_PATH["MachineSet"]:
        value = value.get(step) if isinstance(value, dict) else None
    return value


def agrees(check: t.Callable[[t.Any], bool], validator: t.Any, instance: t.Any) -> bool:
    """The one-sided promise: quick True implies jsonschema finds nothing."""
    return not check(instance) or not any(True for _ in validator.iter_errors(instance))


@pytest.mark.slow  # about 6,000 objects through both: several seconds
def test_never_valid_where_jsonschema_finds_an_error(validator: Validator, prod_render: ClusterModel) -> None:
    objects = corpus_objects() + [(d.ref, d.obj) for d in prod_render.documents]
    assert len(objects) > 150
    checked = quick = 0
    for where, obj in objects:
        compiled = compiled_for(validator, obj)
        if compiled is None:
            continue
        for instance in [obj, *mutations(obj)]:
            try:
                ok = agrees(compiled.surely_valid, compiled.validator, instance)
            except (jsonschema.exceptions._WrappedReferencingError, RecursionError):
                continue  # jsonschema cannot evaluate it: never quick-valid either (below)
            assert ok, (where, compiled.source, instance)
            checked += 1
            quick += compiled.surely_valid(instance)
    assert checked > 5000 and quick > 1000, (checked, quick)


@pytest.mark.slow
def test_provider_spec_never_valid_where_jsonschema_finds_an_error(prod_render: ClusterModel) -> None:
    objects = corpus_objects() + [(d.ref, d.obj) for d in prod_render.documents]
    values = [(where, _provider_value(obj)) for where, obj in objects if isinstance(_provider_value(obj), dict)]
    assert len(values) >= 10
    schema = provider_spec.provider_spec_validator()

    def check(instance: t.Any) -> bool:
        return surely_valid(schema, instance)  # what provider_spec_errors asks first (errors_of)

    quick = 0
    for where, value in values:
        for instance in [value, *mutations(value, budget=80)]:
            assert agrees(check, schema, instance), (where, instance)
            quick += check(instance)
    assert quick > 100


def test_a_valid_render_never_reaches_jsonschema(
    validator: Validator, prod_render: ClusterModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The point of the check: prod's objects, all valid, are judged without jsonschema's
    descent (fails if a jsonschema release changes what the check relies on)."""
    objects = {id(document.obj) for document in prod_render.documents}
    descents: list[t.Any] = []
    for cls in {type(compiled_for(validator, document.obj).validator) for document in prod_render.documents}:

        def iter_errors(self: t.Any, instance: t.Any, original: t.Any = cls.iter_errors) -> t.Any:
            if id(instance) in objects:  # a whole object, not a subschema under not/oneOf/if
                descents.append(instance)
            return original(self, instance)

        monkeypatch.setattr(cls, "iter_errors", iter_errors)
    outcome = check_documents(prod_render.documents, validator.resolver, KUBERNETES_VERSION, False)
    assert outcome.checked == len(prod_render.documents) and not outcome.findings
    assert descents == []


def test_an_invalid_object_gets_every_message_jsonschema_gives(validator: Validator) -> None:
    wrong = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": 7, "labels": {"a": 1}},
        "data": {"k": 2},
        "binaryData": "x",
    }
    compiled = compiled_for(validator, wrong)
    assert compiled is not None and not compiled.surely_valid(wrong)
    expected = len(list(compiled.validator.iter_errors(wrong)))
    outcome = check_documents([Document(wrong, "corpus", "corpus")], validator.resolver, KUBERNETES_VERSION, False)
    assert len(outcome.findings) == expected >= 4


D4 = "http://json-schema.org/draft-04/schema#"
D2020 = "https://json-schema.org/draft/2020-12/schema"

#: (schema, instance, whether the check should know it is valid): semantics easy to get wrong.
CASES: list[tuple[dict[str, t.Any], t.Any, bool]] = [
    (
        {"$schema": D4, "definitions": {"s": {"type": "string"}}, "$ref": "#/definitions/s", "type": "integer"},
        "a",
        True,
    ),
    ({"$schema": D4, "type": "integer"}, 1.0, False),  # draft 4: 1.0 is no integer
    ({"$schema": D2020, "type": "integer"}, 1.0, False),  # valid for jsonschema; doubt here
    ({"type": "integer"}, True, False),
    ({"type": "number"}, decimal.Decimal(1), False),
    ({"enum": [1]}, True, False),
    ({"enum": [True]}, 1, False),
    ({"enum": ["a", None]}, None, True),
    ({"const": {"a": 1}, "$schema": D2020}, {"a": 1}, False),
    ({"$schema": D4, "minimum": 1, "exclusiveMinimum": True}, 1, False),
    ({"$schema": D4, "maximum": 1, "exclusiveMaximum": True}, 0, True),
    ({"$schema": D2020, "exclusiveMinimum": 1}, 1, False),
    ({"pattern": "^a$"}, "a\n", False),  # ECMA 262: $ is the end of the text
    ({"pattern": "^\\d+$"}, "\u0661", False),  # ECMA 262: \d is ASCII
    ({"pattern": "^[a-z]+$"}, "abc", True),
    ({"patternProperties": {"^x": {"type": "string"}}}, {"x": 1}, False),
    ({"properties": {"a": {"type": "string"}}, "additionalProperties": False}, {"a": "", "b": 1}, False),
    ({"properties": {"a": {}}, "additionalProperties": {"type": "string"}}, {"a": 1, "b": "c"}, True),
    ({"required": ["a"]}, type("Sub", (dict,), {})(), False),  # a dict subclass: doubt
    ({"$schema": D2020, "not": {"required": ["a"]}}, {"a": 1}, False),
    ({"$schema": D2020, "oneOf": [{"type": "string"}, {"minLength": 1}]}, "a", False),
    ({"$schema": D2020, "oneOf": [{"type": "string"}, {"type": "integer"}]}, "a", True),
    ({"$schema": D2020, "if": {"required": ["a"]}, "then": {"required": ["b"]}}, {"a": 1}, False),
    ({"$schema": D2020, "if": {"required": ["a"]}, "else": {"required": ["b"]}}, {"a": 1}, True),
    ({"$schema": D2020, "prefixItems": [{"type": "string"}], "items": {"type": "integer"}}, ["a", 1], False),
    ({"$schema": D2020, "$defs": {"n": {"items": {"$ref": "#/$defs/n"}}}, "$ref": "#/$defs/n"}, [[[]]], True),
    ({"uniqueItems": True}, [1, 1], False),
    ({"uniqueItems": True}, ["a", "b"], True),
    ({"multipleOf": 2}, 3, False),
    ({"$ref": "#/definitions/nowhere"}, 1, False),
    ({"items": {"type": "string"}, "maxItems": 1}, ["a", "b"], False),
    ({"format": "ipv4"}, "not an address", True),  # no format checker: jsonschema ignores it too
    ({"$schema": D2020, "properties": {"a": {"id": "x", "type": "string"}}}, {"a": "b"}, True),  # no keyword
    ({"$schema": D4, "properties": {"a": {"id": "http://x/a.json", "type": "string"}}}, {"a": "b"}, False),
    ({"$schema": D2020, "properties": {"a": {"$id": "http://x/a.json", "type": "string"}}}, {"a": "b"}, False),
]


@pytest.mark.parametrize(("schema", "instance", "known"), CASES)
def test_keywords(schema: dict[str, t.Any], instance: t.Any, known: bool) -> None:
    base = jsonschema.validators.validator_for(schema, default=jsonschema.Draft4Validator)
    jsonschema_validator = with_ecma_patterns(base)(schema)
    check = validity_check(jsonschema_validator)
    assert isinstance(check, FastValidity)
    try:
        valid = not list(jsonschema_validator.iter_errors(instance))
    except jsonschema.exceptions._WrappedReferencingError:
        valid = False
    assert check(instance) is known
    assert agrees(check, jsonschema_validator, instance) if valid else not check(instance)


def test_an_unknown_validator_class_is_always_asked() -> None:
    plain = jsonschema.Draft4Validator({"type": "string"})  # not the ECMA-pattern class
    assert validity_check(plain)("a") is False
    with_formats = with_ecma_patterns(jsonschema.Draft4Validator)({}, format_checker=jsonschema.FormatChecker())
    assert validity_check(with_formats)("a") is False


def _repository_files(pattern: str) -> list[tuple[str, t.Any]]:
    return [
        (str(path), document)
        for path in sorted(REPO.glob(pattern))
        for document in load_documents(path.read_bytes(), str(path))
    ]


@pytest.mark.parametrize(
    ("validator_of", "pattern"),
    [(facts._validator, "overlays/*/facts/cluster.yaml"), (pool_file._validator, "overlays/**/pool.yaml")],
    ids=["facts", "pool"],
)
def test_facts_and_pools_never_valid_where_jsonschema_finds_an_error(
    validator_of: t.Callable[[], t.Any], pattern: str
) -> None:
    """check_facts_document and check_pool_document skip jsonschema when the check says valid."""
    documents = _repository_files(pattern)
    assert documents
    schema = validator_of()
    quick = 0
    for where, document in documents:
        assert surely_valid(schema, document), where  # the repository's own files: all quick
        for instance in mutations(document, budget=60):
            assert agrees(lambda x: surely_valid(schema, x), schema, instance), (where, instance)
            quick += surely_valid(schema, instance)
    assert quick > 0
