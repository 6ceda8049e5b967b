"""CAP007 finds a placeholder in any string or string key of an object, whether or not the
quick look at the object's ``repr`` comes first."""

from __future__ import annotations

import typing as t

import pytest

from accelcap.lint.rules.cap007_infra_id import PLACEHOLDERS, _placeholders_in, _strings


@pytest.mark.parametrize(
    "obj",
    [
        {"a": "x\nINFRAID"},
        {"a": "it's ZONE"},
        {"ZONE": 1, "b": ["x", {"c": "REGION-1"}]},
        {1: "ACCELERATOR"},
        {"a": "INFRAIDX", "b": "my_ZONE", "c": "zone"},
        {"a": "\x07INSTANCE_TYPE\x00"},
        {"a": ["é INFRAID"], "b": None, "c": 3},
        {},
    ],
)
def test_the_placeholders_of_every_string(obj: dict[t.Any, t.Any]) -> None:
    expected = {m for text in _strings(obj) for m in PLACEHOLDERS.findall(text)}
    assert _placeholders_in(obj) == expected
