"""The priority expander's ConfigMap: generated from the pools (Spot above On-Demand), read as
the expander reads it, and checked by CAP043/CAP044."""

from __future__ import annotations

import pytest
import yaml

from accelcap.lint.engine import lint_overlay
from accelcap.lint.examples import Example, Set, apply
from accelcap.model import find_machinesets as find_pools
from accelcap.priority_expander import (
    NAME,
    BadPriorities,
    configmap_text,
    parse_priorities,
    priorities,
    priority_of,
)
from accelcap.render import RenderedOverlay
from support import PROD_POOL, REPO, codes, one

GROUP = "^MachineSet/openshift-machine-api/{}$"


def test_prod_prefers_its_spot_pool_over_the_fallback(prod: RenderedOverlay) -> None:
    tiers = priorities(prod.machinesets, prod.file_of)
    assert tiers == {20: [GROUP.format(PROD_POOL)], 10: [GROUP.format(f"{PROD_POOL}-ondemand")]}
    spot, fallback = find_pools(prod.documents)
    assert (priority_of(tiers, spot), priority_of(tiers, fallback)) == (20, 10)


def test_the_committed_configmap_is_what_the_generator_writes(prod: RenderedOverlay) -> None:
    committed = (REPO / "overlays/prod/capacity/priority-expander.yaml").read_text()
    assert committed == configmap_text("prod", priorities(prod.machinesets, prod.file_of))
    configmap = yaml.safe_load(committed)
    assert (configmap["metadata"]["name"], configmap["metadata"]["namespace"]) == (NAME, "openshift-machine-api")
    assert parse_priorities(configmap["data"]["priorities"]) == {
        20: [GROUP.format(PROD_POOL)],
        10: [GROUP.format(f"{PROD_POOL}-ondemand")],
    }
    assert one(prod, "ClusterAutoscaler").get("spec", "expanders") == ["Priority"]


def test_an_expression_is_anchored_so_the_pool_does_not_match_its_fallback(prod: RenderedOverlay) -> None:
    spot, fallback = find_pools(prod.documents)
    assert priority_of({20: [GROUP.format(spot.name)]}, fallback) is None


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (None, "missing or not a string"),
        ("[1, 2]", "not a mapping"),
        ("ten:\n  - x\n", "priority 'ten' is not an integer"),
        ("10: x\n", "does not list expressions"),
        ("10:\n  - '('\n", "is no regular expression"),
        ("10: [", "is not YAML"),
    ],
)
def test_priorities_the_expander_cannot_read(value: object, says: str) -> None:
    with pytest.raises(BadPriorities, match=says):
        parse_priorities(value)


def test_an_on_demand_pool_above_a_spot_pool_is_a_finding(prod: RenderedOverlay) -> None:
    data = f"20:\n  - '{GROUP.format(PROD_POOL + '-ondemand')}'\n  - '{GROUP.format(PROD_POOL)}'\n"
    apply(Example("", (Set("ConfigMap", "/data/priorities", data, NAME),)), prod)
    findings = lint_overlay(prod)
    assert codes(findings) == {"CAP043"}
    assert "not below 20 of the Spot MachineSet" in findings[0].message


def test_the_configmap_in_another_namespace_is_a_finding(prod: RenderedOverlay) -> None:
    apply(Example("", (Set("ConfigMap", "/metadata/namespace", "openshift-gitops", NAME),)), prod)
    assert "CAP043" in codes(lint_overlay(prod))
