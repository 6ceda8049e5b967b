"""vCPUs the account already uses, per quota class and market, from EC2's own answers.

Pure functions over the plain dicts of DescribeInstances and DescribeSpotInstanceRequests,
so rules that moto cannot reproduce (Dedicated Hosts, open Spot requests) are tested on
dicts. Counting rules (EC2 User Guide, "On-Demand Instance quotas" / "Spot Instance
quotas"):

- only *running* instances count; On-Demand vs Spot by ``InstanceLifecycle`` (moto sets no
  ``SpotInstanceRequestId``, and neither field is set for On-Demand);
- instances on Dedicated Hosts (``Placement.Tenancy == "host"``) draw on no vCPU quota;
- open, unfulfilled Spot requests count toward the Spot quota of their type's class.

A pool's own machines are not counted twice: the check adds each pool at
max(running, maximum), so machines the pool already runs are set aside ("own", per pool)
instead of being added to "in use"; machines beyond the pool's maximum still count (see
``verdict.judge``). A machine belongs to a pool when the OpenShift Machine API tagged it as
such - it tags every instance ``kubernetes.io/cluster/<infraID>`` and ``Name=<Machine
name>``, and a MachineSet's Machines are named ``<MachineSet name>-<5 random characters>``
- AND it has the pool's instance type and market. A machine left over from an older type or
market of the pool still counts as in use: it keeps running until it is replaced, and
counting it can only make the verdict stricter.

Every instance type is classed by the EC2 quota table (``accelcap.catalog.ec2_quotas``);
one whose quota cannot be told (a family not in the table, P6 Spot) is ``unclassified``,
which fails the check.
"""

from __future__ import annotations

import re
import typing as t
from collections import defaultdict
from dataclasses import dataclass, field

from ..catalog.ec2_quotas import Market, NoQuota, UnsupportedInstanceType, quota_for
from ..catalog.machine_api import CLUSTER_TAG_PREFIX
from .demand import PoolPlan, QuotaKey

#: The suffix the API server appends to a generateName (5 characters of [a-z0-9]).
MACHINE_SUFFIX = r"-[a-z0-9]{5}"


@dataclass(frozen=True)
class Unclassified:
    """Something in use whose vCPUs cannot be put in a class: the check fails closed."""

    resource: str
    instance_type: str
    reason: str


@dataclass
class Usage:
    #: vCPUs in use that the plan does not already include.
    in_use: dict[QuotaKey, int] = field(default_factory=lambda: defaultdict(int))
    #: vCPUs of running machines of the checked pools (part of the plan, not added again).
    own: dict[QuotaKey, int] = field(default_factory=lambda: defaultdict(int))
    #: The same, per pool (MachineSet name): the plan counts each pool at max(running, maximum).
    own_by_pool: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    #: Of ``in_use``: vCPUs of open Spot requests.
    open_spot_requests: dict[QuotaKey, int] = field(default_factory=lambda: defaultdict(int))
    unclassified: list[Unclassified] = field(default_factory=list)
    instances_counted: int = 0
    instances_own: int = 0
    instances_on_hosts: int = 0


def tags_of(resource: t.Mapping[str, t.Any]) -> dict[str, str]:
    return {str(tag.get("Key")): str(tag.get("Value", "")) for tag in resource.get("Tags") or []}


def market_of(instance: t.Mapping[str, t.Any]) -> Market:
    return Market.SPOT if instance.get("InstanceLifecycle") == "spot" else Market.ON_DEMAND


def is_running(instance: t.Mapping[str, t.Any]) -> bool:
    return (instance.get("State") or {}).get("Name") == "running"


def on_dedicated_host(instance: t.Mapping[str, t.Any]) -> bool:
    return (instance.get("Placement") or {}).get("Tenancy") == "host"


def owning_pool(instance: t.Mapping[str, t.Any], plans: t.Sequence[PoolPlan], infra_id: str) -> PoolPlan | None:
    """The pool whose Machine this instance is, when it still matches the pool (see above)."""
    tags = tags_of(instance)
    if f"{CLUSTER_TAG_PREFIX}{infra_id}" not in tags:
        return None
    name = tags.get("Name", "")
    for plan in plans:
        if (
            re.fullmatch(re.escape(plan.name) + MACHINE_SUFFIX, name)
            and instance.get("InstanceType") == plan.instance_type
            and market_of(instance) is plan.market
        ):
            return plan
    return None


def instance_types_in_use(
    instances: t.Iterable[t.Mapping[str, t.Any]], spot_requests: t.Iterable[t.Mapping[str, t.Any]]
) -> set[str]:
    """Types whose vCPUs the count needs (running instances, open Spot requests)."""
    found = {str(i.get("InstanceType")) for i in instances if is_running(i) and not on_dedicated_host(i)}
    found |= {
        str((r.get("LaunchSpecification") or {}).get("InstanceType")) for r in spot_requests if r.get("State") == "open"
    }
    return found


def _classify(
    usage: Usage, resource: str, instance_type: str, market: Market, vcpus_of: t.Mapping[str, int]
) -> tuple[QuotaKey, int] | None:
    """The quota key and vCPUs of one running instance or open Spot request; None (and an
    ``unclassified`` entry, which fails the check) when either cannot be told."""
    try:
        quota = quota_for(instance_type, market)
    except UnsupportedInstanceType as error:
        usage.unclassified.append(Unclassified(resource, instance_type, error.what))
        return None
    if isinstance(quota, NoQuota):  # e.g. running as Spot in a class EC2 sells On-Demand only
        usage.unclassified.append(Unclassified(resource, instance_type, f"{market.value}: {quota.value}"))
        return None
    key: QuotaKey = (quota.key, market)
    if instance_type not in vcpus_of:
        usage.unclassified.append(Unclassified(resource, instance_type, "EC2 did not describe its vCPUs"))
        return None
    return key, vcpus_of[instance_type]


def count_usage(
    instances: t.Iterable[t.Mapping[str, t.Any]],
    spot_requests: t.Iterable[t.Mapping[str, t.Any]],
    vcpus_of: t.Mapping[str, int],
    plans: t.Sequence[PoolPlan],
    infra_id: str,
) -> Usage:
    usage = Usage()
    for instance in instances:
        if not is_running(instance):
            continue
        if on_dedicated_host(instance):
            usage.instances_on_hosts += 1
            continue
        resource = str(instance.get("InstanceId", "instance"))
        found = _classify(usage, resource, str(instance.get("InstanceType")), market_of(instance), vcpus_of)
        if found is None:
            continue
        key, vcpus = found
        pool = owning_pool(instance, plans, infra_id)
        if pool is not None:
            usage.own[key] += vcpus
            usage.own_by_pool[pool.name] += vcpus
            usage.instances_own += 1
        else:
            usage.in_use[key] += vcpus
            usage.instances_counted += 1
    for request in spot_requests:
        if request.get("State") != "open":
            continue
        instance_type = str((request.get("LaunchSpecification") or {}).get("InstanceType"))
        resource = str(request.get("SpotInstanceRequestId", "spot request"))
        found = _classify(usage, resource, instance_type, Market.SPOT, vcpus_of)
        if found is not None:
            key, vcpus = found
            usage.in_use[key] += vcpus
            usage.open_spot_requests[key] += vcpus
    return usage
