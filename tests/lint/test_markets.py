"""Markets in pool.yaml (Spot, OnDemand, OnDemand into a reservation, CapacityBlock) and the
On-Demand fallback: what pool.yaml accepts, what kustomize renders, what lint says.

The machine API's own rules are validateAWS of the machine-api-operator (release-4.20,
pkg/webhooks/machine_webhook.go); ``webhook_errors`` is tested against each of them."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest

from accelcap.config import load_settings
from accelcap.errors import InputError
from accelcap.lint.engine import lint_overlay
from accelcap.markets import purchase_option, webhook_errors
from accelcap.model import ClusterModel, render_model
from accelcap.model import find_machinesets as find_pools
from accelcap.pool_file import check_pool_document
from accelcap.render import RenderedOverlay
from support import PROD_POOL, codes, one

POOL_DIR = "overlays/prod/capacity/gpu-us-west-2a"
RESERVATION = "cr-0123456789abcdef0"


def pool(**spec: t.Any) -> dict[str, t.Any]:
    base = {"zone": "us-west-2a", "instanceType": "p5.48xlarge", "volumeSize": 120, "minReplicas": 0, "maxReplicas": 2}
    return {
        "apiVersion": "accel-capacity.io/v1alpha1",
        "kind": "Pool",
        "metadata": {"name": "gpu-us-west-2a", "annotations": {"config.kubernetes.io/local-config": "true"}},
        "spec": {**base, **spec},
    }


@pytest.mark.parametrize(
    "spec",
    [
        {"market": "Spot"},
        {"market": "OnDemand"},
        {"market": "OnDemand", "capacityReservationId": RESERVATION},
        {"market": "CapacityBlock", "capacityReservationId": RESERVATION},
        {"market": "Spot", "fallback": "OnDemand", "fallbackMaxReplicas": 3},
    ],
    ids=["spot", "on-demand", "odcr", "capacity-block", "spot-with-fallback"],
)
def test_each_market_is_a_valid_pool_yaml(spec: dict[str, t.Any]) -> None:
    check_pool_document(pool(**spec), "pool.yaml")


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ({"market": "CapacityBlock"}, "market CapacityBlock needs capacityReservationId"),
        (
            {"market": "Spot", "capacityReservationId": RESERVATION},
            "a Spot pool cannot launch into a capacity reservation",
        ),
        (
            {"market": "OnDemand", "capacityReservationId": "cr-123"},
            "spec/capacityReservationId: 'cr-123' does not match",
        ),
        ({"market": "OnDemand", "fallback": "OnDemand", "fallbackMaxReplicas": 1}, "fallback is for Spot pools"),
        ({"market": "Spot", "fallback": "OnDemand"}, "fallback needs fallbackMaxReplicas"),
        ({"market": "Spot", "fallbackMaxReplicas": 2}, "fallbackMaxReplicas without fallback"),
        ({"market": "Spot", "fallback": "Spot", "fallbackMaxReplicas": 2}, "spec/fallback: 'Spot' is not one of"),
    ],
    ids=[
        "block-without-id",
        "spot-with-id",
        "bad-id",
        "fallback-not-spot",
        "fallback-no-max",
        "max-alone",
        "fallback-spot",
    ],
)
def test_a_market_combination_the_machine_api_refuses_is_bad_input(spec: dict[str, t.Any], says: str) -> None:
    with pytest.raises(InputError) as caught:
        check_pool_document(pool(**spec), "pool.yaml")
    assert says in caught.value.what


def test_fallback_needs_an_autoscaled_pool() -> None:
    document = pool(market="Spot", fallback="OnDemand", fallbackMaxReplicas=1)
    for key in ("minReplicas", "maxReplicas"):
        del document["spec"][key]
    document["spec"]["replicas"] = 1
    with pytest.raises(InputError, match="fallback needs an autoscaled pool"):
        check_pool_document(document, "pool.yaml")


@pytest.mark.parametrize(
    ("provider", "errors"),
    [
        ({"spotMarketOptions": {}}, []),
        ({}, []),
        ({"capacityReservationId": RESERVATION}, []),
        ({"marketType": "CapacityBlock", "capacityReservationId": RESERVATION}, []),
        ({"marketType": "CapacityBlock"}, ["capacityReservationId"]),
        (
            {"marketType": "CapacityBlock", "capacityReservationId": RESERVATION, "spotMarketOptions": {}},
            ["marketType"],
        ),
        ({"marketType": "OnDemand", "spotMarketOptions": {}}, ["marketType"]),
        (
            {"marketType": "Spot", "spotMarketOptions": {}, "capacityReservationId": RESERVATION},
            ["capacityReservationId"],
        ),
        ({"spotMarketOptions": {}, "capacityReservationId": RESERVATION}, ["capacityReservationId"]),
        ({"capacityReservationId": "cr-0123456789ABCDEF0"}, ["capacityReservationId"]),
        ({"marketType": "Reserved"}, ["marketType"]),
    ],
)
def test_webhook_errors_follow_validate_aws(provider: dict[str, t.Any], errors: list[str]) -> None:
    assert [field for field, _ in webhook_errors(provider)] == errors


@pytest.mark.parametrize(
    ("provider", "market"),
    [
        ({"spotMarketOptions": {}}, "Spot"),
        ({}, "OnDemand"),
        ({"marketType": "Spot", "spotMarketOptions": {}}, "Spot"),
        ({"marketType": "CapacityBlock", "capacityReservationId": RESERVATION}, "CapacityBlock"),
        ({"capacityReservationId": RESERVATION}, "OnDemand"),
    ],
)
def test_purchase_option_reads_the_provider_as_the_machine_api_does(provider: dict[str, t.Any], market: str) -> None:
    assert purchase_option(provider) == market


# --- rendered -------------------------------------------------------------------------------


def render(root: Path) -> ClusterModel:
    return render_model(root / "overlays" / "prod", load_settings(root), allow_remote=True)


def edit(root: Path, relative: str, old: str, new: str) -> None:
    file = root / relative
    text = file.read_text()
    assert old in text, f"{relative} no longer contains {old!r}"
    file.write_text(text.replace(old, new, 1))


def without_fallback(root: Path) -> None:
    edit(root, f"{POOL_DIR}/pool.yaml", "  fallback: OnDemand", "  # fallback: OnDemand")
    edit(root, f"{POOL_DIR}/pool.yaml", "  fallbackMaxReplicas: 2", "  # fallbackMaxReplicas: 2")
    edit(root, f"{POOL_DIR}/kustomization.yaml", "  - ../../../../components/gpu-pool-fallback", "  # none")
    edit(root, "overlays/prod/capacity/gpu-limits.yaml", "max: 4", "max: 2")


def reserved(root: Path, market: str, instance_type: str = "g5.2xlarge") -> None:
    without_fallback(root)
    edit(
        root,
        f"{POOL_DIR}/pool.yaml",
        "  market: Spot ",
        f"  market: {market}\n  capacityReservationId: {RESERVATION}\n#",
    )
    edit(root, f"{POOL_DIR}/pool.yaml", "instanceType: g5.2xlarge", f"instanceType: {instance_type}")
    edit(
        root,
        f"{POOL_DIR}/kustomization.yaml",
        "  - ../../../../components/autoscaling/pool\n",
        "  - ../../../../components/autoscaling/pool\n  - ../../../../components/pool/reservation\n",
    )


def test_prod_renders_the_spot_pool_and_its_on_demand_fallback(prod: RenderedOverlay) -> None:
    spot, fallback = find_pools(prod.documents)
    assert (spot.market, fallback.market) == ("spot", "on-demand")
    assert "spotMarketOptions" not in fallback.provider and "marketType" not in fallback.provider
    assert fallback.name == f"{PROD_POOL}-ondemand"
    for same in ("instanceType", "placement", "subnet", "blockDevices"):
        assert fallback.provider[same] == spot.provider[same], same
    assert (fallback.node_labels, fallback.taints) == (spot.node_labels, spot.taints)
    assert fallback.autoscaler is not None and spot.autoscaler is not None
    assert (fallback.autoscaler.get("spec", "minReplicas"), fallback.max_replicas) == (0, 2)
    assert fallback.autoscaler.name == fallback.name
    labels = fallback.machineset.get("spec", "template", "metadata", "labels")
    assert labels["machine.openshift.io/cluster-api-machineset"] == fallback.name
    assert fallback.machineset.get("spec", "selector", "matchLabels")[
        "machine.openshift.io/cluster-api-machineset"
    ] == (fallback.name)
    assert lint_overlay(prod) == []


def test_an_on_demand_pool_in_a_reservation_renders_and_lints_clean(repo_copy: Path) -> None:
    reserved(repo_copy, "OnDemand")
    rendered = render(repo_copy)
    provider = find_pools(rendered.documents)[0].provider
    assert provider["capacityReservationId"] == RESERVATION
    assert "spotMarketOptions" not in provider and "marketType" not in provider
    assert lint_overlay(rendered) == []


def test_a_capacity_block_pool_renders_market_type_and_reservation(repo_copy: Path) -> None:
    reserved(repo_copy, "CapacityBlock", "p5.48xlarge")
    edit(repo_copy, f"{POOL_DIR}/pool.yaml", "acceleratorLabel: nvidia-a10g", "acceleratorLabel: nvidia-h100")
    edit(repo_copy, "overlays/prod/capacity/gpu-limits.yaml", 'type: "nvidia-a10g"', 'type: "nvidia-h100"')
    edit(repo_copy, "overlays/prod/capacity/gpu-limits.yaml", "max: 2", "max: 16")
    rendered = render(repo_copy)
    provider = one(rendered, "MachineSet").get("spec", "template", "spec", "providerSpec", "value")
    assert provider["marketType"] == "CapacityBlock" and provider["capacityReservationId"] == RESERVATION
    assert "spotMarketOptions" not in provider
    assert [f for f in lint_overlay(rendered) if f.code in ("CAP030", "CAP042")] == []


def test_a_capacity_block_of_a_type_ec2_does_not_sell_is_a_finding(repo_copy: Path) -> None:
    reserved(repo_copy, "CapacityBlock")
    findings = lint_overlay(render(repo_copy))
    assert codes(findings) == {"CAP042"}
    assert "EC2 sells no Capacity Blocks of g5.2xlarge" in findings[0].message


def test_a_reservation_in_pool_yaml_without_the_component_is_a_finding(repo_copy: Path) -> None:
    reserved(repo_copy, "OnDemand")
    edit(repo_copy, f"{POOL_DIR}/kustomization.yaml", "  - ../../../../components/pool/reservation\n", "")
    findings = lint_overlay(render(repo_copy))
    assert codes(findings) == {"CAP042"}
    assert "capacityReservationId is not set but" in findings[0].message


def test_fallback_in_pool_yaml_without_the_component_is_a_finding(repo_copy: Path) -> None:
    edit(repo_copy, f"{POOL_DIR}/kustomization.yaml", "  - ../../../../components/gpu-pool-fallback", "  # none")
    edit(repo_copy, "overlays/prod/capacity/gpu-limits.yaml", "max: 4", "max: 2")
    findings = lint_overlay(render(repo_copy))
    assert "CAP042" in codes(findings)
    assert any("wants one pool MachineSet and one fallback MachineSet" in f.message for f in findings)
