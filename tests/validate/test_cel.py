"""CEL rules of CRDs (accelcap.validate.cel): the subset the pinned CRDs use, CEL's error
semantics, the schema walk, and the finding both engines report. The evaluator's verdicts on
real objects are checked against a real API server in tests/kube (test_engines.py,
test_differential.py, and the conformance suite's mutants)."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest

from accelcap.config import load_settings
from accelcap.model import render_model
from accelcap.render import RenderedOverlay
from accelcap.validate import ValidateOptions, Validator
from accelcap.validate.cel import RULES, Error, Unsupported, evaluate, parse, rule_errors
from accelcap.validate.pinned import convert_pinned, pinned_crds
from support import enable_inferentia, mutated, one


def _rules(node: t.Any) -> t.Iterator[str]:
    if isinstance(node, dict):
        for entry in node.get(RULES) or []:
            yield entry["rule"]
        for value in node.values():
            yield from _rules(value)
    elif isinstance(node, list):
        for value in node:
            yield from _rules(value)


@pytest.mark.slow
def test_every_rule_of_every_pinned_crd_is_in_the_subset(settings: t.Any) -> None:
    """A new pin whose rules need more CEL fails here, before a user's validate does."""
    rules = {
        rule for crd in pinned_crds() for schema in convert_pinned(crd, settings) for rule in _rules(schema.schema)
    }
    assert len(rules) >= 3  # DeviceConfig's two, KMM Module's one
    for rule in rules:
        parse(rule)


SELF = {"s": "abc", "empty": "", "n": 3, "l": [1, 2], "m": {"k": "v"}, "b": True}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("size(self.s) > 2", True),
        ("size(self.empty) > 0", False),
        ("size(self.l) == 2 && size(self.m) == 1", True),
        ("has(self.s) && !has(self.x)", True),
        ("has(self.m.k)", True),
        ("self.n >= 3 && self.n < 4 && -self.n == -3", True),
        ("self.s == 'abc' && self.s != \"x\"", True),
        ("self.b ? 1 : 2", 1),
        ("(self.n > 5 || self.b) ? self.s : self.empty", "abc"),
        # Commutative && and ||: a side that decides absorbs an error on the other.
        ("false && self.x", False),
        ("self.x && false", False),
        ("true || self.x", True),
        ("self.x || true", True),
        ("self.x || false", Error("no such key: x")),
        ("self.x && true", Error("no such key: x")),
        ("size(self.x) > 0", Error("no such key: x")),
        ("self.x ? 1 : 2", Error("no such key: x")),
        ("size(self.n) > 0", Error("found no matching overload for 'size' applied to '(int)'")),
        ("self.n == 'three'", False),  # heterogeneous equality
        ("self.n != 'three'", True),
        ("self.n == 3", True),
        ("self.n < 'three'", Error("found no matching overload for '_<_' applied to '(int, string)'")),
        ("self.l < self.l", Error("found no matching overload for '_<_' applied to '(list, list)'")),
        ("!self.n", Error("found no matching overload for '!_'")),
    ],
)
def test_cel_semantics(rule: str, expected: t.Any) -> None:
    assert evaluate(parse(rule), SELF) == expected


@pytest.mark.parametrize(
    "rule",
    ["self.l.all(i, i > 0)", "self.s.matches('^a')", "self.s + 'x' == 'abcx'", "self.l[0] == 1", "1.5 > 1",
     "self.n in [1, 2]", "size(self.s) > 2 &", "'a\\u0041' == 'aA'", "quantity('1Gi')"],
)  # fmt: skip
def test_cel_outside_the_subset_is_refused(rule: str) -> None:
    with pytest.raises(Unsupported):
        parse(rule)


def test_the_walk_finds_rules_where_the_values_are() -> None:
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "items": {
                        "type": "array",
                        "items": {"type": "object", RULES: [{"rule": "has(self.name)", "message": "name needed"}]},
                    },
                    "labels": {
                        "type": "object",
                        "additionalProperties": {"type": "string", RULES: [{"rule": "size(self) < 4"}]},
                    },
                    "mode": {"type": "string", "default": "auto"},
                },
                RULES: [
                    {"rule": "self.mode == 'auto'", "message": "mode must be auto"},
                    {"rule": "self.mode == oldSelf.mode", "message": "immutable"},  # transition: update only
                ],
            },
            "absent": {"type": "object", RULES: [{"rule": "false"}]},
        },
    }
    obj = {"spec": {"items": [{"name": "a"}, {}], "labels": {"ok": "abc", "long": "abcd"}}}
    assert list(rule_errors(obj, schema)) == [
        ("/spec/items/1", "name needed"),
        ("/spec/labels/long", "failed rule: size(self) < 4"),
    ]
    assert list(rule_errors({"spec": {"mode": "manual"}}, schema)) == [("/spec", "mode must be auto")]
    assert list(
        rule_errors({"spec": {}}, {"properties": {"spec": {RULES: [{"rule": "self.x.y", "message": "m"}]}}})
    ) == [("/spec", "no such key: x evaluating rule: m")]
    unsupported = list(rule_errors({"spec": {}}, {"properties": {"spec": {RULES: [{"rule": "self.all(k, k)"}]}}}))
    assert len(unsupported) == 1 and "cannot evaluate the CRD's rule" in unsupported[0][1]


def test_rule_paths_escape_keys_as_json_pointers() -> None:
    # An annotation-style key must stay one step of the pointer, as in schema errors.
    schema = {"properties": {"labels": {"additionalProperties": {RULES: [{"rule": "size(self) < 2"}]}}}}
    assert list(rule_errors({"labels": {"example.com/a~b": "long"}}, schema)) == [
        ("/labels/example.com~1a~0b", "failed rule: size(self) < 2")
    ]


@pytest.fixture
def deviceconfig_render(repo_copy: Path) -> RenderedOverlay:
    enable_inferentia(repo_copy)
    return render_model(repo_copy / "overlays" / "prod", load_settings(repo_copy))


def test_the_deviceconfig_without_its_empty_dra_image_is_refused(deviceconfig_render: RenderedOverlay) -> None:
    """What an API server with the pinned CRD says (no such key), said offline: cel-rule-failed."""
    validator = Validator(options=ValidateOptions(engine="builtin"))
    document = one(deviceconfig_render, "DeviceConfig")
    assert validator.validate_documents([document], "1.33").findings == []
    broken = mutated(document, lambda obj: obj["spec"].pop("draDriverImage"))
    [found] = validator.validate_documents([broken], "1.33").findings
    assert (found.code, found.path) == ("cel-rule-failed", "/spec")
    assert found.message.startswith("no such key: draDriverImage evaluating rule: draDriverImage is mutually exclusive")
