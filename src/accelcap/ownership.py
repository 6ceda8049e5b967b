"""Facts that belong to one cluster: no two clusters share an infraID, nor name each other's.

A cluster copied from another (``cp -r overlays/prod overlays/staging``) keeps the other's
infraID, or its worker capture (the instance profile, security groups, subnets and the
``kubernetes.io/cluster/<infraID>`` tag name the other cluster's infraID by the installer's
naming, ``accelcap.infra_naming``): its pools would be cut from the other cluster's network
and render the other cluster's MachineSet names. ``conflicts`` names both clusters:

- the same infraID in two clusters' facts, whatever their accounts;
- in the same account and Region, an infraID that the other cluster's facts or worker
  capture hold, either way round.
"""

from __future__ import annotations

import typing as t

from .config import Settings
from .errors import InputError
from .facts import ClusterFacts, list_clusters, load_facts


def every_cluster_facts(settings: Settings) -> dict[str, ClusterFacts]:
    """Every cluster's facts by name; one that does not load is its own check's finding. A run
    that asks ``conflicts`` of many clusters reads them once here (each cluster against every
    other: reading them per cluster made a 200-cluster check parse 40,000 facts files)."""
    found = {}
    for name in list_clusters(settings):
        try:
            found[name] = load_facts(name, settings)
        except InputError:
            continue
    return found


def conflicts(
    facts: ClusterFacts,
    settings: Settings,
    infra_id: str | None = None,
    every: t.Mapping[str, ClusterFacts] | None = None,
) -> list[str]:
    """What of ``facts`` (with ``infra_id`` in place of its own, when given) another cluster
    holds; ``every``: the clusters' facts as ``every_cluster_facts`` read them (read here if not given)."""
    own_id = infra_id or facts.infra_id
    if not facts.infra_id_set and infra_id is None:
        return []
    found = []
    clusters = every if every is not None else every_cluster_facts(settings)
    for other in (c for name, c in clusters.items() if name != facts.name):
        same_place = other.account_id == facts.account_id and other.region == facts.region
        if other.infra_id == own_id:
            where = settings.relative(other.path)  # only for a message: a run compares n x n clusters
            found.append(
                f"infraID {own_id} is also cluster {other.name}'s ({where}): two clusters cannot share one "
                "(a copied overlay keeps it); each cluster's own comes from tools/set-infra-id CLUSTER --from-cluster"
            )
        elif same_place and own_id in other.held_infra_ids:
            where = settings.relative(other.path)
            found.append(
                f"infraID {own_id} in account {facts.account_id}, {facts.region} is named by cluster {other.name}'s "
                f"worker capture ({where}): one of the two holds the other cluster's settings"
            )
        elif same_place and infra_id is None and other.infra_id in facts.held_infra_ids:
            where = settings.relative(other.path)
            found.append(
                f"the worker capture names cluster {other.name}'s infraID {other.infra_id} (same account "
                f"{facts.account_id} and Region {facts.region}, {where}): these are {other.name}'s settings; capture "
                f"{facts.name}'s with tools/set-infra-id {facts.name} --from-cluster"
            )
    return found
