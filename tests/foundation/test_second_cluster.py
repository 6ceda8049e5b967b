"""Adding a cluster with two zones is a copy and a few lines, as the README shows."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from accelcap import generate
from accelcap.config import load_settings
from accelcap.lint.engine import lint_overlay
from accelcap.model import find_machinesets, render_model
from support import without_fallback

ZONES = ("eu-west-1a", "eu-west-1b")
SUBNETS = {"eu-west-1a": "subnet-0aaaaaaaaaaaaaaaa", "eu-west-1b": "subnet-0bbbbbbbbbbbbbbbb"}


def add_staging_with_two_zones(root: Path) -> Path:
    """Do what the README's "Adding a zone or a cluster" says, in ``root``: the facts as
    ``set-infra-id --from-cluster`` would write them for a bring-your-own-VPC cluster whose
    workers reference their subnets by id, then one pool directory per zone."""
    overlays = root / "overlays"
    staging = overlays / "staging"
    shutil.copytree(overlays / "prod", staging)
    facts = staging / "facts" / "cluster.yaml"
    text = facts.read_text()
    subnets_start = text.index("  subnets:\n")
    subnets_end = text.index("  worker:\n")
    subnets = "  subnets:\n" + "".join(f"    {zone}:\n      id: {subnet}\n" for zone, subnet in SUBNETS.items())
    text = text[:subnets_start] + subnets + text[subnets_end:]
    facts.write_text(
        text.replace("name: prod", "name: staging")
        .replace("prod-x7k2p", "stg-k3m9z")
        .replace('accountID: "153526447089"', 'accountID: "210987654321"')
        .replace("region: us-west-2", "region: eu-west-1")
        .replace("    - us-west-2a", "".join(f"    - {zone}\n" for zone in ZONES).rstrip("\n"))
    )
    capacity = staging / "capacity"
    (capacity / "gpu-us-west-2a").rename(capacity / f"gpu-{ZONES[0]}")
    shutil.copytree(capacity / f"gpu-{ZONES[0]}", capacity / f"gpu-{ZONES[1]}")
    for zone in ZONES:
        pool = capacity / f"gpu-{zone}" / "pool.yaml"
        pool.write_text(pool.read_text().replace("us-west-2a", zone))
    kustomization = capacity / "kustomization.yaml"
    kustomization.write_text(
        kustomization.read_text().replace("  - gpu-us-west-2a\n", "".join(f"  - gpu-{zone}\n" for zone in ZONES))
    )
    inferentia = staging / "inferentia" / "capacity"
    (inferentia / "inf2-us-west-2a").rename(inferentia / f"inf2-{ZONES[0]}")
    pool = inferentia / f"inf2-{ZONES[0]}" / "pool.yaml"
    pool.write_text(pool.read_text().replace("us-west-2a", ZONES[0]))
    listing = inferentia / "kustomization.yaml"
    listing.write_text(listing.read_text().replace("inf2-us-west-2a", f"inf2-{ZONES[0]}"))
    load_settings.cache_clear()
    written = generate.write_derived(root)
    assert {"overlays/staging/facts/worker/kustomization.yaml", "overlays/staging/capacity/gpu-limits.yaml"} <= set(
        written
    )
    return staging


@pytest.mark.slow
def test_two_zones_each_get_their_subnet_and_zone(repo_copy: Path) -> None:
    without_fallback(repo_copy)  # one MachineSet per zone (the fallback: tests/lint/test_markets.py)
    staging = add_staging_with_two_zones(repo_copy)
    rendered = render_model(staging, load_settings(repo_copy))
    assert rendered.facts is not None and rendered.facts.name == "staging"
    pools = {p.name: p for p in find_machinesets(rendered.documents)}
    assert set(pools) == {f"stg-k3m9z-gpu-{zone}" for zone in ZONES}
    for zone in ZONES:
        pool = pools[f"stg-k3m9z-gpu-{zone}"]
        assert pool.provider["placement"] == {"region": "eu-west-1", "availabilityZone": zone}
        assert pool.provider["subnet"] == {"id": SUBNETS[zone]}
        assert pool.provider["iamInstanceProfile"] == {"id": "stg-k3m9z-worker-profile"}
        assert (
            pool.machineset.get("spec", "selector", "matchLabels", "machine.openshift.io/cluster-api-machineset")
            == pool.name
        )
        assert pool.autoscaler is not None and pool.autoscaler.name == pool.name
    apps = {f.application.name: f.path for f in rendered.applications}
    assert apps == {
        "staging-root": "overlays/staging/apps",
        "staging-capacity": "overlays/staging/capacity",
        "staging-operators": "overlays/staging/operators",
    }
    # Two zones of two g5.2xlarge nodes at most: the generated GPU limit is 4.
    (autoscaler,) = rendered.of_kind("ClusterAutoscaler")
    assert autoscaler.get("spec", "resourceLimits", "gpus") == [{"type": "nvidia-a10g", "min": 0, "max": 4}]
    assert lint_overlay(rendered) == []


def test_on_demand_is_one_line(repo_copy: Path) -> None:
    without_fallback(repo_copy)  # a pool with an On-Demand fallback is Spot by definition
    pool_file = repo_copy / "overlays" / "prod" / "capacity" / "gpu-us-west-2a" / "pool.yaml"
    before = pool_file.read_text()
    pool_file.write_text(before.replace("  market: Spot ", "  market: OnDemand "))
    assert len([1 for a, b in zip(before.splitlines(), pool_file.read_text().splitlines(), strict=True) if a != b]) == 1
    rendered = render_model(repo_copy / "overlays" / "prod", load_settings(repo_copy))
    (pool,) = find_machinesets(rendered.documents)
    assert pool.market == "on-demand" and "spotMarketOptions" not in pool.provider
    assert pool.machineset.annotations["accel-capacity.io/market"] == "OnDemand"
    assert lint_overlay(rendered) == []
