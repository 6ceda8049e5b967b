"""A pinned EC2 price table: the offline estimate of what a pool costs an hour.

``tools/capacity-diff`` prices pools from this table unless it is asked for live prices
(``--prices aws``: the Pricing API for On-Demand, the zone's latest Spot price history for
Spot, ``accelcap.costs``). Every figure an estimate is marked as one where it is shown.

- Source: Amazon EC2 On-Demand Pricing (https://aws.amazon.com/ec2/pricing/on-demand/), Linux,
  shared tenancy, USD per instance-hour, by Region. Date: PINNED_ON. The figures were transcribed
  by hand (no network where they were written) and are to be re-pinned from the Pricing API
  (``tools/capacity-diff --prices aws`` prints the live ones) when AWS changes them.
- Spot has no list price. Offline, a Spot pool is priced at the On-Demand price: a MachineSet's
  ``spotMarketOptions: {}`` bids at most the On-Demand price, so that is the most a Spot machine
  costs (an upper bound, said so in the report).
- A reservation-backed pool (ODCR or Capacity Block) is priced at the On-Demand rate: an ODCR
  bills the On-Demand rate whether used or not; a Capacity Block is paid up front at its own
  price, which only the live path could read (not implemented: the On-Demand rate stands in).
"""

from __future__ import annotations

PINNED_ON = "2026-12-07"
SOURCE = "https://aws.amazon.com/ec2/pricing/on-demand/ (Linux, shared tenancy, USD per hour)"

#: (Region, instance type) -> On-Demand USD per hour.
ON_DEMAND_USD_PER_HOUR: dict[tuple[str, str], float] = {
    ("us-west-2", "g4dn.xlarge"): 0.526,
    ("us-west-2", "g4dn.2xlarge"): 0.752,
    ("us-west-2", "g4dn.4xlarge"): 1.204,
    ("us-west-2", "g5.xlarge"): 1.006,
    ("us-west-2", "g5.2xlarge"): 1.212,
    ("us-west-2", "g5.4xlarge"): 1.624,
    ("us-west-2", "g5.8xlarge"): 2.448,
    ("us-west-2", "g5.12xlarge"): 5.672,
    ("us-west-2", "g5.16xlarge"): 4.096,
    ("us-west-2", "g5.24xlarge"): 8.144,
    ("us-west-2", "g5.48xlarge"): 16.288,
    ("us-west-2", "g6.xlarge"): 0.8048,
    ("us-west-2", "g6.2xlarge"): 0.9776,
    ("us-west-2", "g6.4xlarge"): 1.3232,
    ("us-west-2", "inf2.xlarge"): 0.7582,
    ("us-west-2", "inf2.8xlarge"): 1.9679,
    ("us-west-2", "inf2.24xlarge"): 6.4906,
    ("us-west-2", "inf2.48xlarge"): 12.9813,
}
