"""Adding a cluster with two zones is a copy and a few lines, as the README shows."""

from __future__ import annotations

import shutil
from pathlib import Path

from accelcap.config import load_settings
from accelcap.pools import find_pools
from accelcap.render import render_overlay


def add_staging_with_two_zones(root: Path) -> Path:
    """Do what the README's "Adding a cluster or a zone" says, in ``root``."""
    overlays = root / "overlays"
    staging = overlays / "staging"
    shutil.copytree(overlays / "prod", staging)
    facts = staging / "facts" / "cluster.yaml"
    facts.write_text(
        facts.read_text()
        .replace("name: prod", "name: staging")
        .replace("infraID: prod-x7k2p", "infraID: stg-k3m9z")
        .replace('accountID: "153526447089"', 'accountID: "210987654321"')
        .replace("region: us-west-2", "region: eu-west-1")
        .replace("    - us-west-2a", "    - eu-west-1a\n    - eu-west-1b")
    )
    capacity = staging / "capacity"
    (capacity / "gpu-us-west-2a").rename(capacity / "gpu-eu-west-1a")
    shutil.copytree(capacity / "gpu-eu-west-1a", capacity / "gpu-eu-west-1b")
    for zone in ("eu-west-1a", "eu-west-1b"):
        pool_zone = capacity / f"gpu-{zone}" / "pool-zone.yaml"
        pool_zone.write_text(pool_zone.read_text().replace("us-west-2a", zone))
    kustomization = capacity / "kustomization.yaml"
    kustomization.write_text(
        kustomization.read_text().replace("  - gpu-us-west-2a\n", "  - gpu-eu-west-1a\n  - gpu-eu-west-1b\n")
    )
    return staging


def test_two_zones_each_get_their_subnet_and_zone(repo_copy: Path) -> None:
    staging = add_staging_with_two_zones(repo_copy)
    rendered = render_overlay(staging, load_settings(repo_copy))
    assert rendered.facts is not None and rendered.facts.name == "staging"
    pools = {p.name: p for p in find_pools(rendered.documents)}
    assert set(pools) == {"stg-k3m9z-gpu-eu-west-1a", "stg-k3m9z-gpu-eu-west-1b"}
    for zone in ("eu-west-1a", "eu-west-1b"):
        pool = pools[f"stg-k3m9z-gpu-{zone}"]
        assert pool.provider["placement"] == {"region": "eu-west-1", "availabilityZone": zone}
        assert pool.provider["subnet"]["filters"][0]["values"] == [f"stg-k3m9z-subnet-private-{zone}"]
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


def test_terraform_install_naming(repo_copy: Path) -> None:
    wiring = repo_copy / "overlays" / "prod" / "facts" / "kustomization.yaml"
    wiring.write_text(
        wiring.read_text().replace(
            "  # - ../../../components/install-naming/terraform", "  - ../../../components/install-naming/terraform"
        )
    )
    (pool,) = find_pools(render_overlay(repo_copy / "overlays" / "prod", load_settings(repo_copy)).documents)
    groups = [v for sg in pool.provider["securityGroups"] for f in sg["filters"] for v in f["values"]]
    assert groups == ["prod-x7k2p-worker-sg"]
    assert pool.provider["subnet"]["filters"][0]["values"] == ["prod-x7k2p-private-us-west-2a"]


def test_on_demand_is_one_line(repo_copy: Path) -> None:
    pool_dir = repo_copy / "overlays" / "prod" / "capacity" / "gpu-us-west-2a" / "kustomization.yaml"
    pool_dir.write_text(
        pool_dir.read_text().replace(
            "  - ../../../../components/autoscaling/pool\n",
            "  - ../../../../components/autoscaling/pool\n  - ../../../../components/on-demand\n",
        )
    )
    (pool,) = find_pools(render_overlay(repo_copy / "overlays" / "prod", load_settings(repo_copy)).documents)
    assert pool.market == "on-demand" and "spotMarketOptions" not in pool.provider
