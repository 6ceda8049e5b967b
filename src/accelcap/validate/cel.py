"""The CEL validation rules of custom resources (``x-kubernetes-validations``), evaluated as the
API server evaluates them, for the part of CEL the pinned CRDs use.

JSON schema cannot say "these three fields go together" or "draDriverImage excludes
devicePluginImage"; CRDs say it in CEL, and only the API server runs it. Without this step
both engines accept objects the API server refuses (docs/validate.md, "The API server and the
built-in validator"). It runs after either engine, like the providerSpec check.

What the API server does (k8s.io/apiextensions-apiserver ``pkg/apiserver/schema/cel/validation.go``):
after pruning and defaulting, for every value present at a schema node that carries rules, each
rule is evaluated with ``self`` bound to that value; a rule that is false fails with its
``message`` (else ``failed rule: <rule>``), a rule whose evaluation errors fails with
``<error> evaluating rule: <rule>``, e.g. ``no such key: draDriverImage`` when a rule reads an
absent field without ``has()``. Transition rules (``oldSelf``) only run on update; a create,
which is what a new object is, skips them, and so does this step.

The evaluator is the project's, for the subset of CEL (github.com/google/cel-spec
``doc/langdef.md``) the pinned CRDs use: literals (integers, strings, ``true``, ``false``,
``null``), ``self``, field selection, ``has()``, ``size()``, ``!``, unary ``-``, ``&&`` and
``||`` (commutative: an error on one side is absorbed when the other side decides), ``?:``,
``== != < <= > >=`` (numbers with numbers, strings with strings; ``==`` of values of different
types is false, CEL's heterogeneous equality), parentheses. Errors are values, as in CEL. A rule
outside the subset is not guessed at: it is reported as a finding of its own (fail closed),
and the tests run every rule of every pinned CRD through the parser, so a new pin that needs
more fails there first. ``messageExpression`` is not evaluated (the static ``message`` is used).
"""

from __future__ import annotations

import functools
import re
import typing as t
from dataclasses import dataclass

from ..yamlload import pointer_step
from .nulls import field_schema, walkable

RULES = "x-kubernetes-validations"
#: A default the API server fills in before validating (absent fields only; nulls are
#: handled by ``nulls``).
DEFAULT = "default"


class Unsupported(Exception):
    """The rule uses CEL this evaluator does not implement."""


@dataclass(frozen=True)
class Error:
    """A CEL error value (CEL propagates errors as values)."""

    message: str


Value = t.Any

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>\d+)(?![\w.])
      | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op>&&|\|\||==|!=|<=|>=|[!<>?:().,-])
    )""",
    re.VERBOSE,
)
_ESCAPES = {"\\\\": "\\", '\\"': '"', "\\'": "'", "\\n": "\n", "\\t": "\t"}


def _tokens(rule: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(rule):
        if rule[position:].strip() == "":
            break
        match = _TOKEN.match(rule, position)
        if match is None or match.end() == position:
            raise Unsupported(f"cannot read {rule[position:].strip()[:20]!r}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


# The syntax tree: tuples, ("lit", value) | ("self",) | ("select", node, name) | ("has", node, name)
# | ("size", node) | ("not", node) | ("neg", node) | ("and"|"or", a, b) | ("cond", c, a, b)
# | ("cmp", op, a, b).
Node = tuple[t.Any, ...]
_COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")


class _Parser:
    """Recursive descent over CEL's precedence: ?: < || < && < relations < unary < member."""

    def __init__(self, rule: str) -> None:
        self.tokens = _tokens(rule)
        self.position = 0

    def peek(self) -> str | None:
        return self.tokens[self.position][1] if self.position < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.position >= len(self.tokens):
            raise Unsupported("unexpected end of rule")
        token = self.tokens[self.position]
        if expected is not None and token[1] != expected:
            raise Unsupported(f"expected {expected!r}, found {token[1]!r}")
        self.position += 1
        return token

    def parse(self) -> Node:
        node = self.conditional()
        if self.position != len(self.tokens):
            raise Unsupported(f"unexpected {self.peek()!r}")
        return node

    def conditional(self) -> Node:
        condition = self.binary("||")
        if self.peek() == "?":
            self.take()
            then = self.binary("||")
            self.take(":")
            return ("cond", condition, then, self.conditional())
        return condition

    def binary(self, op: str) -> Node:
        lower: t.Callable[[], Node] = (lambda: self.binary("&&")) if op == "||" else self.relation
        node = lower()
        while self.peek() == op:
            self.take()
            node = ("or" if op == "||" else "and", node, lower())
        return node

    def relation(self) -> Node:
        node = self.unary()
        while self.peek() in _COMPARISONS:
            op = self.take()[1]
            node = ("cmp", op, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.peek() == "!":
            self.take()
            return ("not", self.unary())
        if self.peek() == "-":
            self.take()
            return ("neg", self.unary())
        return self.member()

    def member(self) -> Node:
        node = self.primary()
        while self.peek() == ".":
            self.take()
            kind, name = self.take()
            if kind != "name" or self.peek() == "(":
                raise Unsupported(f"method or field {name!r}")
            node = ("select", node, name)
        return node

    def primary(self) -> Node:
        kind, text = self.take()
        if kind == "number":
            return ("lit", int(text))
        if kind == "string":
            body = text[1:-1]
            if "\\" in re.sub(r"\\[\\\"'nt]", "", body):
                raise Unsupported(f"escape in {text}")
            return ("lit", re.sub(r"\\[\\\"'nt]", lambda m: _ESCAPES[m.group(0)], body))
        if text == "(":
            node = self.conditional()
            self.take(")")
            return node
        if kind != "name":
            raise Unsupported(f"unexpected {text!r}")
        if text in ("true", "false"):
            return ("lit", text == "true")
        if text == "null":
            return ("lit", None)
        if text == "self":
            return ("self",)
        if text in ("has", "size") and self.peek() == "(":
            self.take("(")
            argument = self.conditional()
            self.take(")")
            if text == "size":
                return ("size", argument)
            if argument[0] != "select":
                raise Unsupported("has() of something that is not a field selection")
            return ("has", argument[1], argument[2])
        raise Unsupported(f"{text!r}")


@functools.cache
def parse(rule: str) -> Node:
    """The syntax tree of ``rule``; ``Unsupported`` when it leaves the subset. Cached: each
    rule of a CRD is checked against every value it applies to, and a tree is all tuples, so
    sharing one cannot leak a change."""
    return _Parser(rule).parse()


#: CEL's type names of JSON values (bool first: a Python bool is an int too).
_TYPE_NAMES = ((bool, "bool"), (int, "int"), (float, "double"), (str, "string"), (list, "list"), (dict, "map"))


def _type_name(value: Value) -> str:
    return next((name for kind, name in _TYPE_NAMES if isinstance(value, kind)), "null_type")


def evaluate(node: Node, self_value: Value) -> Value:
    """``node`` with ``self`` bound; an ``Error`` when the evaluation errs, as in CEL."""
    tag = node[0]
    if tag == "lit":
        return node[1]
    if tag == "self":
        return self_value
    if tag in ("select", "has"):
        target = evaluate(node[1], self_value)
        if isinstance(target, Error):
            return target
        if not isinstance(target, dict):
            return Error(f"no such key: {node[2]}")
        if tag == "has":
            return node[2] in target
        return target[node[2]] if node[2] in target else Error(f"no such key: {node[2]}")
    if tag == "size":
        value = evaluate(node[1], self_value)
        if isinstance(value, Error):
            return value
        if isinstance(value, str | list | dict):
            return len(value)
        return Error(f"found no matching overload for 'size' applied to '({_type_name(value)})'")
    if tag == "not":
        value = evaluate(node[1], self_value)
        if isinstance(value, Error) or not isinstance(value, bool):
            return value if isinstance(value, Error) else Error("found no matching overload for '!_'")
        return not value
    if tag == "neg":
        value = evaluate(node[1], self_value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return value if isinstance(value, Error) else Error("found no matching overload for '-_'")
        return -value
    if tag in ("and", "or"):
        # Commutative: false && error is false, true || error is true (cel-spec langdef.md).
        deciding = tag == "or"
        sides = [evaluate(node[1], self_value), evaluate(node[2], self_value)]
        if deciding in [s for s in sides if isinstance(s, bool)]:
            return deciding
        for side in sides:
            if isinstance(side, Error):
                return side
            if not isinstance(side, bool):
                return Error(f"no such overload for '_{'||' if deciding else '&&'}_'")
        return not deciding
    if tag == "cond":
        condition = evaluate(node[1], self_value)
        if isinstance(condition, Error):
            return condition
        if not isinstance(condition, bool):
            return Error("no such overload for '_?_:_'")
        return evaluate(node[2] if condition else node[3], self_value)
    if tag == "cmp":
        op, left, right = node[1], evaluate(node[2], self_value), evaluate(node[3], self_value)
        for side in (left, right):
            if isinstance(side, Error):
                return side
        numbers = {_type_name(left), _type_name(right)} <= {"int", "double"}
        if op in ("==", "!=") and not numbers and _type_name(left) != _type_name(right):
            return op == "!="  # heterogeneous equality: values of different types are not equal
        if not numbers and (
            _type_name(left) != _type_name(right)
            or (op not in ("==", "!=") and _type_name(left) not in ("string", "bool"))
        ):
            return Error(
                f"found no matching overload for '_{op}_' applied to '({_type_name(left)}, {_type_name(right)})'"
            )
        return {
            "==": left == right, "!=": left != right, "<": left < right,
            "<=": left <= right, ">": left > right, ">=": left >= right,
        }[op]  # fmt: skip
    raise AssertionError(f"unknown node {tag}")


def _rule_errors(value: Value, rules: t.Any, path: str) -> t.Iterator[tuple[str, str]]:
    for entry in rules if isinstance(rules, list) else []:
        rule = entry.get("rule") if isinstance(entry, dict) else None
        if not isinstance(rule, str) or "oldSelf" in rule:
            continue  # a transition rule: runs only on update
        try:
            result = evaluate(parse(rule), value)
        except Unsupported as why:
            yield path, f"cannot evaluate the CRD's rule {rule!r} ({why}); check with tools/validate --server"
            continue
        if isinstance(result, Error):
            yield path, f"{result.message} evaluating rule: {entry.get('message') or rule}"
        elif result is not True:
            yield path, str(entry.get("message") or f"failed rule: {rule}")


#: id of a (sub)schema -> (the schema, kept alive so its id stays its own; whether it has rules).
_RULED: dict[int, tuple[t.Any, bool]] = {}


def has_rules(schema: t.Any) -> bool:
    """Whether ``RULES`` is a key anywhere in ``schema`` (a superset of what ``rule_errors``
    walks: it stops at a ``$ref``); each (sub)schema is scanned once per process."""
    if isinstance(schema, list):
        return any([has_rules(item) for item in schema])  # noqa: C419 - every item memoised
    if not isinstance(schema, dict):
        return False
    known = _RULED.get(id(schema))
    if known is not None and known[0] is schema:
        return known[1]
    found = RULES in schema
    found = any([has_rules(value) for value in schema.values()]) or found  # noqa: C419
    _RULED[id(schema)] = (schema, found)
    return found


def rule_errors(value: Value, schema: t.Any, path: str = "") -> t.Iterator[tuple[str, str]]:
    """(JSON path, message) of every CEL rule of ``schema`` that ``value`` breaks, walking
    ``properties`` (absent ones with a ``default`` filled in first), ``additionalProperties``
    and ``items``; a ``$ref`` ends the walk (no rule is read below it)."""
    schema = walkable(schema)
    if schema is None or not has_rules(schema):
        return  # most schemas carry no rule at all: no walk of the object under them
    if isinstance(value, dict):
        properties = schema.get("properties")
        if isinstance(properties, dict):
            value = {
                **{k: s[DEFAULT] for k, s in properties.items() if isinstance(s, dict) and DEFAULT in s},
                **value,
            }
        for key, item in value.items():
            yield from rule_errors(item, field_schema(schema, key), f"{path}/{pointer_step(key)}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from rule_errors(item, schema.get("items"), f"{path}/{index}")
    if RULES in schema and value is not None:
        yield from _rule_errors(value, schema[RULES], path or "/")
