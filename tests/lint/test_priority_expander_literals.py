"""The priority expander's usual expressions (``node_group``'s anchored literals) are read as
text, not compiled; they match exactly what ``re.search`` matches, and any other expression
is still compiled and judged."""

from __future__ import annotations

import re

import pytest
import yaml

from accelcap.priority_expander import BadPriorities, _matches, parse_priorities

EXPRESSION = r"^MachineSet/openshift-machine-api/prod-x7k2p-gpu-us-west-2a$"
GROUPS = [
    "MachineSet/openshift-machine-api/prod-x7k2p-gpu-us-west-2a",
    "MachineSet/openshift-machine-api/prod-x7k2p-gpu-us-west-2a\n",
    "MachineSet/openshift-machine-api/prod-x7k2p-gpu-us-west-2a-ondemand",
    "MachineSet/openshift-machine-api/prod-x7k2p-gpu-us-west-2aX",
    "MachineSet/openshift-machine-api/prod-x7k2p-gpu-us-west-2",
]


@pytest.mark.parametrize(
    "expression", [EXPRESSION, r"^MachineSet/ns/a\.b$", "^MachineSet/ns/a.b$", "MachineSet/ns/a", r"^a\d$", "^$"]
)
@pytest.mark.parametrize("group", [*GROUPS, "MachineSet/ns/a.b", "MachineSet/ns/aXb", "MachineSet/ns/a", "a1", ""])
def test_an_expression_matches_what_re_search_matches(expression: str, group: str) -> None:
    assert _matches(expression, group) == (re.search(expression, group) is not None)


def test_an_expression_that_is_no_literal_is_still_compiled() -> None:
    assert parse_priorities(f"20:\n  - '{EXPRESSION}'\n") == {20: [EXPRESSION]}
    with pytest.raises(BadPriorities, match="is no regular expression"):
        parse_priorities("20:\n  - '^MachineSet/(unclosed$'\n")


@pytest.mark.parametrize(
    "text",
    [
        "30:\n  - '^a$'\n20:\n  - '^MachineSet/openshift-machine-api/x\\.y$'\n  - '^b$'\n10:\n  - '^c$'",
        "20:\n  - 'a'\n20:\n  - 'b'\n",  # a repeated key: the last one
        "010:\n  - 'a'",  # octal to YAML 1.1: not the plain form
        "20:\n  - 'it''s'",
        '20:\n  - "a"',
        "20:",
    ],
)
def test_priorities_read_as_yaml_reads_them(text: str) -> None:
    if text == "20:":
        with pytest.raises(BadPriorities, match="does not list expressions"):
            parse_priorities(text)
        return
    assert parse_priorities(text) == yaml.safe_load(text)
