"""A quick "surely valid" for the common case, before jsonschema says why an object is not.

jsonschema evaluates a schema by descending into it: every keyword of every subschema builds
a new validator (``evolve``) and looks ``$ref`` up through ``referencing``, about 7 µs a
step. That was most of validation's Python work in ``check`` (a MachineSet's
``providerSpec.value`` alone took 0.5 ms), and nearly every object the main job sees is valid.
So each schema also gets a *validity check*: the same schema compiled, on first use of each
subschema, into plain closures that answer one question, "is this instance valid?".

The check is one-sided by construction. It answers True only where every keyword it
evaluated would give no error in jsonschema (the same classes, ``accelcap.identifiers``'s
ECMA 262 patterns, ``$ref`` resolved through the validator's own resolver); where it is in any
doubt it answers False, and the caller runs jsonschema's ``iter_errors``, which alone decides
the verdict and words every message. So an object is reported invalid exactly when it was
before, with the same messages; only the valid ones are quicker. Doubt means:

- a keyword jsonschema evaluates and this module does not (``patternProperties``,
  ``dependencies``, ``contains``, ``unevaluatedProperties``, ``$dynamicRef``, a nested
  ``id``, ...): that subschema always answers False;
- an instance of a type outside plain JSON (``dict``, ``list``, ``str``, ``int``, ``float``,
  ``bool``, None; subclasses included), an ``enum`` of a container, an ``integer`` written
  ``1.0``: False;
- any exception while compiling or checking (a ``$ref`` that leads nowhere, a pattern that is
  no regex, a recursion limit): False, and jsonschema raises what it raises.

``not``, ``oneOf`` and ``if`` need the exact verdict of their subschemas (a doubtful False
under ``not`` would turn into a wrong True), so those subschemas are evaluated by jsonschema
itself (``is_valid``). ``tests/validate/test_fast_valid.py`` compares the check with
jsonschema over every schema and object of the test corpus and over mutations of them; the
JSON-Schema-Test-Suite (github.com/json-schema-org/JSON-Schema-Test-Suite at 44401e0c, its
draft 4, 6, 7 and 2020-12 cases: 3,683) gave no case where it says valid and jsonschema, with
these classes, finds an error.
"""

from __future__ import annotations

import typing as t

import jsonschema
from referencing._core import Resolved, Resolver  # the types jsonschema's resolver has

from .identifiers import ecma_regex, with_ecma_patterns

Check = t.Callable[[t.Any], bool]


class Unsupported(Exception):
    """A schema (or subschema) this module does not evaluate: jsonschema does it all."""


#: The validator classes the check knows the semantics of (as ``resolver.compile_schema`` and
#: ``provider_spec`` make them), by their draft.
DIALECTS: dict[type[t.Any], int] = {
    with_ecma_patterns(jsonschema.Draft4Validator): 4,
    with_ecma_patterns(jsonschema.Draft6Validator): 6,
    with_ecma_patterns(jsonschema.Draft7Validator): 7,
    with_ecma_patterns(jsonschema.Draft202012Validator): 2020,
}

_PLAIN = frozenset({dict, list, str, int, float, bool, type(None)})
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plain(instance: t.Any) -> bool:
    """A keyword that applies to other types passes ``instance`` in jsonschema too, provided it
    is plain JSON (a subclass of ``dict`` is an object to jsonschema: doubt)."""
    return type(instance) in _PLAIN


def _unsure(instance: t.Any) -> bool:
    return False


def _always(instance: t.Any) -> bool:
    return True


#: ``type``: each name to a test that implies jsonschema's (``bool`` is no integer; draft 6
#: counts ``1.0`` as an integer, which here is doubt).
_TYPES: dict[str, Check] = {
    "string": lambda x: type(x) is str,
    "object": lambda x: type(x) is dict,
    "array": lambda x: type(x) is list,
    "boolean": lambda x: type(x) is bool,
    "null": lambda x: x is None,
    "integer": lambda x: type(x) is int,
    "number": lambda x: type(x) is int or type(x) is float,
}


def _number(value: t.Any) -> bool:
    return type(value) is int or type(value) is float


class _Node:
    """One subschema, compiled the first time an instance reaches it (a CRD schema has
    thousands of subschemas; an object visits few), so a ``$ref`` cycle compiles too."""

    __slots__ = ("check", "owner", "resolver", "schema")

    def __init__(self, owner: FastValidity, schema: t.Any, resolver: Resolver[t.Any]) -> None:
        self.owner, self.schema, self.resolver = owner, schema, resolver
        self.check: Check = self._first

    def _first(self, instance: t.Any) -> bool:
        try:
            self.check = self.owner.compile(self.schema, self.resolver)
        except Exception:  # noqa: BLE001 - Unsupported, Unresolvable, re.error...: jsonschema decides
            self.check = _unsure
        return self.check(instance)


class FastValidity:
    """The validity check of one jsonschema validator (see the module's docstring)."""

    def __init__(self, validator: t.Any) -> None:
        cls = type(validator)
        if cls not in DIALECTS:
            raise Unsupported(f"validator class {cls.__name__}")
        if validator.format_checker is not None:
            raise Unsupported("format assertions")
        resolver = getattr(validator, "_resolver", None)  # built by jsonschema for the root
        if not isinstance(resolver, Resolver):
            raise Unsupported("no referencing resolver")
        self.validator = validator
        self.dialect = DIALECTS[cls]
        self.keywords = frozenset(cls.VALIDATORS)
        self._nodes: dict[int, _Node] = {}
        self.root = self.node(validator.schema, resolver)

    def __call__(self, instance: t.Any) -> bool:
        """True: jsonschema finds no error in ``instance``. False: ask jsonschema."""
        try:
            return self.root.check(instance)
        except Exception:  # noqa: BLE001 - RecursionError and the like: jsonschema decides
            return False

    def node(self, schema: t.Any, resolver: Resolver[t.Any]) -> _Node:
        # A subschema is one object of one resource, so its identity names it (and the node
        # keeps it alive, so the identity is not reused).
        found = self._nodes.get(id(schema))
        if found is None:
            found = self._nodes[id(schema)] = _Node(self, schema, resolver)
        return found

    def exact(self, schema: t.Any, resolver: Resolver[t.Any]) -> Check:
        """jsonschema's own verdict on ``schema`` (under ``not``, ``oneOf``, ``if``)."""
        return t.cast(Check, self.validator.evolve(schema=schema, _resolver=resolver).is_valid)

    def compile(self, schema: t.Any, resolver: Resolver[t.Any]) -> Check:
        if schema is True:
            return _always
        if schema is False:
            return _unsure
        if type(schema) is not dict:
            raise Unsupported("a schema that is not an object")
        if schema is not self.validator.schema and ("id" if self.dialect == 4 else "$id") in schema:
            raise Unsupported("a nested id changes the base URI")
        items = schema.items()
        if self.dialect < 2019 and "$ref" in schema:
            items = {"$ref": schema["$ref"]}.items()  # draft 4 to 7 ignore $ref's siblings
        checks: list[Check] = []
        for keyword, value in items:
            if keyword not in self.keywords or keyword == "format":  # annotations, no format checker
                continue
            checks.append(self.keyword(keyword, value, schema, resolver))
        if not checks:
            return _always
        if len(checks) == 1:
            return checks[0]
        every = tuple(checks)

        def all_of_keywords(instance: t.Any) -> bool:
            for check in every:
                if not check(instance):
                    return False
            return True

        return all_of_keywords

    def keyword(self, keyword: str, value: t.Any, schema: dict[str, t.Any], resolver: Resolver[t.Any]) -> Check:
        if keyword == "$ref":
            return self._ref(resolver.lookup(value))
        if keyword == "type":
            return self._type(value)
        if keyword in ("enum", "const"):
            return self._enum(value if keyword == "enum" else [value])
        if keyword == "properties":
            return self._properties(value, resolver)
        if keyword == "additionalProperties":
            return self._additional(value, schema, resolver)
        if keyword == "required":
            return self._required(value)
        if keyword == "propertyNames":
            return self._names(value, resolver)
        if keyword == "items":
            return self._items(value, resolver)
        if keyword in ("minItems", "maxItems", "minLength", "maxLength", "minProperties", "maxProperties"):
            return self._length(keyword, value)
        if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            return self._bound(keyword, value, schema)
        if keyword == "pattern":
            return self._pattern(value)
        if keyword == "uniqueItems":
            return self._unique(value)
        if keyword == "multipleOf":
            return self._multiple(value)
        if keyword in ("allOf", "anyOf"):
            return self._all_any(keyword, value, resolver)
        if keyword in ("oneOf", "not", "if"):
            return self._exact(keyword, value, schema, resolver)
        raise Unsupported(keyword)

    def _ref(self, resolved: Resolved[t.Any]) -> Check:
        target = self.node(resolved.contents, resolved.resolver)
        return lambda instance: target.check(instance)

    @staticmethod
    def _type(value: t.Any) -> Check:
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not all(isinstance(n, str) and n in _TYPES for n in names):
            raise Unsupported(f"type {value!r}")
        tests = tuple(_TYPES[n] for n in names)
        if len(tests) == 1:
            return tests[0]
        return lambda x: any(test(x) for test in tests)

    @staticmethod
    def _enum(value: t.Any) -> Check:
        if not isinstance(value, list):
            raise Unsupported("enum that is not a list")
        # (type, value): jsonschema tells True from 1 too; a float or container is doubt
        # (jsonschema's equality makes 1.0 == 1 and compares containers deeply).
        allowed = frozenset((type(v), v) for v in value if type(v) in _SCALARS and type(v) is not float)

        def enum(instance: t.Any) -> bool:
            kind = type(instance)
            return kind in _SCALARS and kind is not float and (kind, instance) in allowed

        return enum

    def _properties(self, value: t.Any, resolver: Resolver[t.Any]) -> Check:
        if type(value) is not dict:
            raise Unsupported("properties that is not an object")
        nodes = {name: self.node(sub, resolver) for name, sub in value.items()}

        def properties(instance: t.Any) -> bool:
            if type(instance) is not dict:
                return _plain(instance)
            for name, item in instance.items():
                node = nodes.get(name)
                if node is not None and not node.check(item):
                    return False
            return True

        return properties

    def _additional(self, value: t.Any, schema: dict[str, t.Any], resolver: Resolver[t.Any]) -> Check:
        if "patternProperties" in schema:
            raise Unsupported("patternProperties")
        declared = schema.get("properties", {})
        if type(declared) is not dict:
            raise Unsupported("properties that is not an object")
        if value is True or value == {}:
            return _always
        if value is False:
            return lambda x: all(name in declared for name in x) if type(x) is dict else _plain(x)
        node = self.node(value, resolver)

        def additional(instance: t.Any) -> bool:
            if type(instance) is not dict:
                return _plain(instance)
            for name, item in instance.items():
                if name not in declared and not node.check(item):
                    return False
            return True

        return additional

    def _names(self, value: t.Any, resolver: Resolver[t.Any]) -> Check:
        node = self.node(value, resolver)
        return lambda x: all(node.check(name) for name in x) if type(x) is dict else _plain(x)

    @staticmethod
    def _required(value: t.Any) -> Check:
        if not isinstance(value, list):
            raise Unsupported("required that is not a list")
        names = tuple(value)
        return lambda x: all(name in x for name in names) if type(x) is dict else _plain(x)

    def _items(self, value: t.Any, resolver: Resolver[t.Any]) -> Check:
        if not isinstance(value, dict if self.dialect == 4 else (dict, bool)):
            raise Unsupported("items as a list of schemas")  # (or a boolean, in draft 4)
        node = self.node(value, resolver)

        def items(instance: t.Any) -> bool:
            if type(instance) is not list:
                return _plain(instance)
            for item in instance:
                if not node.check(item):
                    return False
            return True

        return items

    @staticmethod
    def _length(keyword: str, value: t.Any) -> Check:
        if type(value) is not int:
            raise Unsupported(f"{keyword} {value!r}")
        kind = {"Items": list, "Length": str, "Properties": dict}[keyword[3:]]
        if keyword.startswith("min"):
            return lambda x: len(x) >= value if type(x) is kind else _plain(x)
        return lambda x: len(x) <= value if type(x) is kind else _plain(x)

    def _bound(self, keyword: str, value: t.Any, schema: dict[str, t.Any]) -> Check:
        if self.dialect == 4 and keyword.startswith("exclusive"):
            raise Unsupported(keyword)  # draft 4 has it as a flag of minimum and maximum only
        if not _number(value):
            raise Unsupported(f"{keyword} {value!r}")
        exclusive = keyword.startswith("exclusive")
        if self.dialect == 4:
            flag = schema.get("exclusive" + keyword.capitalize(), False)
            if type(flag) is not bool:
                raise Unsupported(f"exclusive{keyword.capitalize()} {flag!r}")
            exclusive = flag
        lower = keyword in ("minimum", "exclusiveMinimum")

        def bound(instance: t.Any) -> bool:
            if not _number(instance):
                return _plain(instance)
            if lower:
                return bool(instance > value if exclusive else instance >= value)
            return bool(instance < value if exclusive else instance <= value)

        return bound

    @staticmethod
    def _pattern(value: t.Any) -> Check:
        if not isinstance(value, str):
            raise Unsupported("pattern that is not a string")
        search = ecma_regex(value).search  # as identifiers._pattern evaluates it
        return lambda x: search(x) is not None if type(x) is str else _plain(x)

    @staticmethod
    def _unique(value: t.Any) -> Check:
        if value is False:
            return _always
        if value is not True:
            raise Unsupported(f"uniqueItems {value!r}")

        def unique(instance: t.Any) -> bool:  # strings only; anything else is doubt
            if type(instance) is not list:
                return _plain(instance)
            return all(type(item) is str for item in instance) and len(set(instance)) == len(instance)

        return unique

    @staticmethod
    def _multiple(value: t.Any) -> Check:
        if type(value) is not int or value <= 0:
            raise Unsupported(f"multipleOf {value!r}")
        return lambda x: x % value == 0 if type(x) is int else (_plain(x) and type(x) is not float)

    def _all_any(self, keyword: str, value: t.Any, resolver: Resolver[t.Any]) -> Check:
        if not isinstance(value, list) or not value:
            raise Unsupported(f"{keyword} that is not a non-empty list")
        nodes = tuple(self.node(sub, resolver) for sub in value)
        if keyword == "allOf":
            return lambda x: all(node.check(x) for node in nodes)
        return lambda x: any(node.check(x) for node in nodes)

    def _exact(self, keyword: str, value: t.Any, schema: dict[str, t.Any], resolver: Resolver[t.Any]) -> Check:
        if keyword == "not":
            exact = self.exact(value, resolver)
            return lambda x: not exact(x)
        if keyword == "oneOf":
            if not isinstance(value, list) or not value:
                raise Unsupported("oneOf that is not a non-empty list")
            branches = tuple(self.exact(sub, resolver) for sub in value)
            return lambda x: sum(1 for branch in branches if branch(x)) == 1
        condition = self.exact(value, resolver)  # if: then or else, each a plain subschema
        then = self.node(schema.get("then", True), resolver)
        otherwise = self.node(schema.get("else", True), resolver)
        return lambda x: then.check(x) if condition(x) else otherwise.check(x)


def validity_check(validator: t.Any) -> Check:
    """The quick check of ``validator``'s schema; one that always says "ask jsonschema" when
    the schema's dialect or validator is one this module does not know."""
    try:
        return FastValidity(validator)
    except Unsupported:
        return _unsure


#: id of a validator -> (the validator, kept alive so its id stays its own; its check).
_CHECKS: dict[int, tuple[t.Any, Check]] = {}


def surely_valid(validator: t.Any, instance: t.Any) -> bool:
    """``validity_check(validator)(instance)``, the check made once per validator: for the
    validators a process keeps (``functools.cache``), such as the facts, Pool and providerSpec
    schemas'."""
    entry = _CHECKS.get(id(validator))
    if entry is None or entry[0] is not validator:
        entry = _CHECKS[id(validator)] = (validator, validity_check(validator))
    return entry[1](instance)


def errors_of(validator: t.Any, instance: t.Any) -> list[t.Any]:
    """Every error ``validator`` finds in ``instance``: none, without jsonschema's descent,
    where the quick check is sure (``surely_valid``)."""
    return [] if surely_valid(validator, instance) else list(validator.iter_errors(instance))
