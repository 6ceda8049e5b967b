"""``cel.rule_errors`` walks an object only under schemas that carry rules (``cel.has_rules``):
the same findings, without walking every object of every schema that has none."""

from __future__ import annotations

import typing as t

import pytest

from accelcap.validate import cel

RULE = [{"rule": "self.a == 1", "message": "a must be 1"}]


def _deep(where: str) -> dict[str, t.Any]:
    leaf = {"type": "object", cel.RULES: RULE}
    shapes = {
        "properties": {"type": "object", "properties": {"spec": leaf}},
        "items": {"type": "object", "properties": {"spec": {"type": "array", "items": leaf}}},
        "additionalProperties": {"type": "object", "properties": {"spec": {"additionalProperties": leaf}}},
    }
    return shapes[where]


@pytest.mark.parametrize("where", ["properties", "items", "additionalProperties"])
def test_a_rule_anywhere_is_found_and_evaluated(where: str) -> None:
    schema = _deep(where)
    assert cel.has_rules(schema)
    value = {"spec": {"a": 2}} if where == "properties" else {"spec": [{"a": 2}]}
    if where == "additionalProperties":
        value = {"spec": {"x": {"a": 2}}}
    assert [message for _, message in cel.rule_errors(value, schema)] == ["a must be 1"]


def test_a_schema_without_rules_is_not_walked(monkeypatch: pytest.MonkeyPatch) -> None:
    schema = {"type": "object", "properties": {"spec": {"type": "object", "properties": {"a": {"default": 1}}}}}
    assert not cel.has_rules(schema)
    walked: list[t.Any] = []
    monkeypatch.setattr(cel, "field_schema", lambda *args: walked.append(args))
    assert list(cel.rule_errors({"spec": {"a": 2, "b": [1, 2]}}, schema)) == []
    assert walked == []


def test_a_subschema_shared_by_two_parents_keeps_its_answer() -> None:
    leaf = {"type": "object", cel.RULES: RULE}
    plain = {"type": "object"}
    first = {"properties": {"x": leaf, "y": plain}}
    second = {"items": leaf}
    assert cel.has_rules(first) and cel.has_rules(second) and not cel.has_rules(plain)
    assert [m for _, m in cel.rule_errors([{"a": 3}], second)] == ["a must be 1"]
