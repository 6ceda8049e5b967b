"""What the cluster's pools can launch at most: vCPUs per quota class and market.

Pure functions over ``accelcap.model.ScaledMachineSet``; the vCPUs per instance type come from the
caller (EC2's DescribeInstanceTypes in a real check, ``accelcap.catalog.instance_types`` in
``--plan``), so both paths add up the same way.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from ..catalog.ec2_quotas import FamilyQuotas, Market, Quota, family_quotas, require_quota
from ..errors import InputError
from ..model import ScaledMachineSet as Pool
from ..render import UNKNOWN_SOURCE, HasSource, Source

#: (quota key, market) - the unit every quota is kept in: one Service Quotas code, or, for a
#: class without a quota in that market, the class and market that have none.
QuotaKey = tuple[str, Market]


@dataclass(frozen=True)
class PoolPlan(HasSource):
    """One MachineSet reduced to what the quota check needs."""

    name: str
    #: ``MachineSet/<namespace>/<name>``, as findings name objects.
    ref: str
    instance_type: str
    market: Market
    max_replicas: int
    family: FamilyQuotas
    #: Where the MachineSet came from, for findings (read only when a finding needs it).
    source: Source = UNKNOWN_SOURCE
    #: No MachineAutoscaler: ``max_replicas`` is the MachineSet's ``replicas``, set by hand.
    scaled_by_hand: bool = False

    @property
    def quota(self) -> Quota | None:
        """The quota the pool draws on; None where EC2 has no such market for the family (the
        check reports ``no-spot-market``)."""
        found = self.family.quota(self.market)
        return found if isinstance(found, Quota) else None

    @property
    def key(self) -> QuotaKey:
        if self.quota is not None:
            return (self.quota.key, self.market)
        # A key of its own: the class's name alone is also the key of the class's quota in
        # this market when other families of the class have one (trn2u Spot vs trn1 Spot),
        # and the rows would merge, counting the pool against a quota it cannot draw on.
        named = self.family.on_demand.key if isinstance(self.family.on_demand, Quota) else self.family.family
        return (f"{named} (none)", self.market)

    @property
    def quota_title(self) -> str:
        """The series the pool's quota covers, for people (``G and VT``, ``P5``)."""
        return self.quota.title if self.quota is not None else str(self.family.quota_class)


@dataclass(frozen=True)
class PoolDemand:
    plan: PoolPlan
    vcpus_per_instance: int

    @property
    def vcpus(self) -> int:
        return self.plan.max_replicas * self.vcpus_per_instance


def plan_pools(pools: t.Iterable[Pool], overlay: str) -> list[PoolPlan]:
    """Each pool's type, market, maximum and quota class; bad input raises ``InputError``.

    Everything here is checked before any AWS call, so a broken overlay never costs one.
    """
    plans = []
    for pool in pools:
        where = f"{overlay}: {pool.machineset.ref}"
        if pool.instance_type is None:
            raise InputError(where, "spec.template.spec.providerSpec.value.instanceType is not set")
        if pool.max_replicas is None:
            source = "MachineAutoscaler spec.maxReplicas" if pool.autoscaler is not None else "spec.replicas"
            raise InputError(where, f"{source} is not an integer; cannot tell how many machines it may run")
        if pool.max_replicas < 0:
            raise InputError(where, f"maximum of {pool.max_replicas} machines is negative")
        try:
            family = family_quotas(pool.instance_type)
            require_quota(family, pool.instance_type, pool.market)
        except InputError as error:
            raise InputError(where, f"instanceType {error.where}: {error.what}") from None
        plans.append(
            PoolPlan(
                name=pool.name,
                ref=pool.machineset.ref,
                instance_type=pool.instance_type,
                market=Market(pool.market),
                max_replicas=pool.max_replicas,
                family=family,
                source=pool.machineset.source,
                scaled_by_hand=pool.autoscaler is None,
            )
        )
    return plans


def pool_demands(plans: t.Iterable[PoolPlan], vcpus_of: t.Mapping[str, int]) -> list[PoolDemand]:
    """Attach vCPUs per instance; ``vcpus_of`` must know every type (the caller checked)."""
    return [PoolDemand(plan, vcpus_of[plan.instance_type]) for plan in plans]
