from __future__ import annotations

import pytest

from accelcap.lint.tolerations import describe, tolerated_by, tolerates

TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}


@pytest.mark.parametrize(
    ("toleration", "expected"),
    [
        ({"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}, True),
        ({"key": "nvidia.com/gpu", "operator": "Exists"}, True),
        ({"operator": "Exists"}, True),
        ({"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}, True),
        ({"key": "nvidia.com/gpu", "operator": "Equal", "value": "false", "effect": "NoSchedule"}, False),
        ({"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoExecute"}, False),
        ({"key": "other", "operator": "Exists"}, False),
        ({"key": "nvidia.com/gpu", "operator": "Bogus"}, False),
    ],
)
def test_tolerates(toleration: dict[str, str], expected: bool) -> None:
    assert tolerates(toleration, TAINT) is expected


def test_tolerated_by_needs_a_list() -> None:
    assert tolerated_by(None, TAINT) is False
    assert tolerated_by([{"operator": "Exists"}], TAINT) is True


def test_describe() -> None:
    assert describe(TAINT) == "nvidia.com/gpu=true:NoSchedule"
    assert describe({"key": "k", "effect": "NoExecute"}) == "k:NoExecute"
