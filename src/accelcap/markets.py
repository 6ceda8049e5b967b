"""How a pool buys its machines: Spot, On-Demand (optionally into an On-Demand Capacity
Reservation) or a Capacity Block for ML, and the On-Demand fallback of a Spot pool.

The rules are the machine API's own for AWS: the machine-api-operator's admission webhook,
``validateAWS`` with ``validateAWSInstanceMarketType`` and ``validateAwsCapacityReservationId``
(openshift/machine-api-operator, branch release-4.20, commit de0171b9abf9,
``pkg/webhooks/machine_webhook.go``):

- ``marketType`` is empty, ``OnDemand``, ``Spot`` or ``CapacityBlock``;
- ``CapacityBlock`` with ``spotMarketOptions`` is refused, and so is ``OnDemand`` with it;
- ``CapacityBlock`` requires ``capacityReservationId``;
- ``Spot`` (``marketType: Spot``, or no ``marketType`` and ``spotMarketOptions`` set) with a
  ``capacityReservationId`` is refused;
- ``capacityReservationId`` is ``cr-`` and 17 lowercase hexadecimal digits.

A Capacity Block is also bound to its reservation's instance type, zone and platform (EC2 User
Guide, "Launch instances using Capacity Blocks", requirements): ``tools/verify-quotas`` checks
those against the reservation (``accelcap.quotas.offerings``); lint checks what needs no AWS.
"""

from __future__ import annotations

import re
import typing as t

from .errors import InputError

if t.TYPE_CHECKING:
    from .render import Document

SPOT = "Spot"
ON_DEMAND = "OnDemand"
CAPACITY_BLOCK = "CapacityBlock"
#: ``marketType`` values the machine API accepts ("" is also accepted: the field absent).
MARKET_TYPES = (ON_DEMAND, SPOT, CAPACITY_BLOCK)
RESERVATION_ID = re.compile(r"^cr-[0-9a-f]{17}\Z")
#: The annotation base/pools/gpu-fallback puts on a pool's On-Demand fallback MachineSet.
FALLBACK_ANNOTATION = "accel-capacity.io/fallback"
#: Where the webhook rules come from, for findings and docs.
WEBHOOK = (
    "machine-api-operator release-4.20 pkg/webhooks/machine_webhook.go (validateAWS, "
    "validateAWSInstanceMarketType, validateAwsCapacityReservationId)"
)


def purchase_option(provider: t.Mapping[str, t.Any]) -> str:
    """The market a provider spec launches in, as pool.yaml words it.

    machine-api-provider-aws reads ``marketType`` first; without it ``spotMarketOptions`` means
    Spot and its absence On-Demand (``getInstanceMarketOptionsRequest``). An unknown
    ``marketType`` is returned as it is (``webhook_errors`` reports it).
    """
    market = provider.get("marketType")
    if isinstance(market, str) and market:
        return market
    return SPOT if "spotMarketOptions" in provider else ON_DEMAND


def reservation_of(provider: t.Mapping[str, t.Any]) -> str | None:
    value = provider.get("capacityReservationId")
    return value if isinstance(value, str) and value else None


def webhook_errors(provider: t.Mapping[str, t.Any]) -> list[tuple[str, str]]:
    """What the machine API's webhook would refuse in a provider spec: (field, why) pairs."""
    errors: list[tuple[str, str]] = []
    market = provider.get("marketType")
    spot_options = "spotMarketOptions" in provider and provider.get("spotMarketOptions") is not None
    reservation = provider.get("capacityReservationId")
    if reservation not in (None, "") and (not isinstance(reservation, str) or not RESERVATION_ID.match(reservation)):
        errors.append(("capacityReservationId", f"{reservation!r} is not cr- followed by 17 hexadecimal digits"))
    if market not in (None, "", *MARKET_TYPES):
        errors.append(("marketType", f"{market!r} is not one of {', '.join(MARKET_TYPES)} or omitted"))
    if market == CAPACITY_BLOCK and spot_options:
        errors.append(("marketType", "CapacityBlock and spotMarketOptions cannot be used together"))
    if market == ON_DEMAND and spot_options:
        errors.append(("marketType", "OnDemand and spotMarketOptions cannot be used together"))
    if market == CAPACITY_BLOCK and not reservation:
        errors.append(("capacityReservationId", "is required when marketType is CapacityBlock"))
    if market == SPOT and reservation:
        errors.append(("capacityReservationId", "Spot (marketType) and capacityReservationId may not be used together"))
    if market in (None, "") and spot_options and reservation:
        errors.append(("capacityReservationId", "spotMarketOptions and capacityReservationId may not be used together"))
    return errors


def check_market_settings(spec: t.Mapping[str, t.Any], where: str) -> None:
    """Raise ``InputError`` with one clear sentence for a pool.yaml market combination the
    machine API (or the fallback design) refuses; the schema says the same, less readably."""
    market = spec.get("market")
    if market == CAPACITY_BLOCK and "capacityReservationId" not in spec:
        raise InputError(where, "spec: market CapacityBlock needs capacityReservationId (the Capacity Block's cr-...)")
    if market == SPOT and "capacityReservationId" in spec:
        raise InputError(where, "spec: a Spot pool cannot launch into a capacity reservation (capacityReservationId)")
    if "fallback" in spec:
        if market != SPOT:
            raise InputError(where, f"spec: fallback is for Spot pools, this one is {market}")
        if "maxReplicas" not in spec:
            raise InputError(where, "spec: fallback needs an autoscaled pool (minReplicas, maxReplicas)")
        if "fallbackMaxReplicas" not in spec:
            raise InputError(where, "spec: fallback needs fallbackMaxReplicas (the On-Demand MachineSet's maximum)")
    elif "fallbackMaxReplicas" in spec:
        raise InputError(where, "spec: fallbackMaxReplicas without fallback")


def is_fallback(machineset: Document) -> bool:
    """Whether ``machineset`` is a pool's On-Demand fallback (base/pools/gpu-fallback)."""
    return FALLBACK_ANNOTATION in machineset.annotations
