"""The hourly cost of a change: each pool and cluster at its maximum, before and after.

``tools/capacity-diff`` calls ``cost_report`` with the pool changes it found and renders the
result beside its tables: per pool and per cluster the cost an hour with every pool at its
maximum (``maxReplicas``, else ``replicas``), at BASE and at HEAD, and the markdown line CI posts
(``+$X.XX/h at maximum``).

Prices (``PriceBook``):

- ``PinnedPrices`` (the default, offline): ``accelcap.catalog.prices``, dated and sourced; every
  figure is an estimate and says so, and a Spot pool is priced at the On-Demand price (the most
  ``spotMarketOptions: {}`` pays);
- ``LivePrices`` (``--prices aws``): On-Demand from the Pricing API (``pricing:GetProducts``,
  Linux, shared tenancy, no pre-installed software, the Region's ``regionCode``), Spot from the
  zone's latest Spot price (``ec2:DescribeSpotPriceHistory``, Linux/UNIX, that zone). A
  reservation-backed pool is priced at the On-Demand rate in both.

A pool whose price is unknown (a type or Region the table lacks) has no cost; the cluster's
total then says it is incomplete instead of showing a number that looks whole.
"""

from __future__ import annotations

import datetime as dt
import json
import typing as t
from dataclasses import dataclass

from .catalog import prices as pinned
from .errors import ExternalError

SPOT, ON_DEMAND = "spot", "on-demand"


@dataclass(frozen=True)
class Price:
    usd_per_hour: float
    #: Where it comes from, for people: ``pinned 2026-12-07``, ``Pricing API``, ``Spot price history``.
    source: str
    estimate: bool


class PriceBook(t.Protocol):
    #: One sentence for the report: what the prices are.
    description: str
    estimate: bool

    def price(self, region: str, zone: str | None, instance_type: str, market: str) -> Price | None: ...


class PinnedPrices:
    """The pinned table; Spot at the On-Demand price (an upper bound)."""

    estimate = True

    def __init__(self, table: t.Mapping[tuple[str, str], float] | None = None) -> None:
        self.table = pinned.ON_DEMAND_USD_PER_HOUR if table is None else table
        self.description = (
            f"ESTIMATE from the pinned price table of {pinned.PINNED_ON} (accelcap/catalog/prices.py, "
            f"{pinned.SOURCE}); Spot priced at the On-Demand price, the most it pays"
        )

    def price(self, region: str, zone: str | None, instance_type: str, market: str) -> Price | None:
        value = self.table.get((region, instance_type))
        if value is None:
            return None
        label = f"pinned {pinned.PINNED_ON}" + (" (Spot at most On-Demand)" if market == SPOT else "")
        return Price(value, label, True)


class LivePrices:
    """Prices from AWS: the Pricing API (its endpoint is in us-east-1) and the Spot price
    history of the pool's zone, through ``accelcap.quotas.aws.AwsAccount`` (timeouts, retries,
    one-line errors, exit 3)."""

    estimate = False
    description = "live: On-Demand from the AWS Pricing API, Spot from the zone's latest Spot price history"
    PRICING_REGION = "us-east-1"

    def __init__(self, profile: str | None = None) -> None:
        from .quotas.aws import AwsAccount  # boto3 only where live prices are asked for

        self._account = AwsAccount
        self.profile = profile
        self._accounts: dict[str, t.Any] = {}
        self._cache: dict[tuple[str, str | None, str, str], Price | None] = {}

    def _in(self, region: str) -> t.Any:
        if region not in self._accounts:
            self._accounts[region] = self._account(region, self.profile)
        return self._accounts[region]

    def price(self, region: str, zone: str | None, instance_type: str, market: str) -> Price | None:
        key = (region, zone, instance_type, market)
        if key not in self._cache:
            self._cache[key] = (
                self._spot(region, zone, instance_type)
                if market == SPOT and zone
                else self._on_demand(region, instance_type)
            )
        return self._cache[key]

    def _on_demand(self, region: str, instance_type: str) -> Price | None:
        action = "pricing:GetProducts"
        filters = [
            {"Type": "TERM_MATCH", "Field": field, "Value": value}
            for field, value in (
                ("instanceType", instance_type),
                ("regionCode", region),
                ("operatingSystem", "Linux"),
                ("tenancy", "Shared"),
                ("preInstalledSw", "NA"),
                ("capacitystatus", "Used"),
            )
        ]
        items = self._price_list(ServiceCode="AmazonEC2", Filters=filters)
        found = sorted({usd for usd in (on_demand_usd(item, action) for item in items) if usd is not None})
        if not found:
            return None
        if len(found) > 1:
            raise ExternalError(action, f"{len(found)} On-Demand prices for {instance_type} in {region}: {found}")
        return Price(found[0], "Pricing API", False)

    def _price_list(self, **kwargs: t.Any) -> list[str]:
        """Every ``PriceList`` item over all pages: JSON strings, not the objects
        ``AwsAccount.paginate`` reads; each page one request within the ``aws`` deadline."""
        account = self._in(self.PRICING_REGION)
        client = account.client("pricing")
        pages = iter(client.get_paginator("get_products").paginate(**kwargs))
        items: list[str] = []
        while True:
            page = account.request(client, "get_products", lambda: next(pages, None))
            if page is None:
                return items
            listed = page.get("PriceList") if isinstance(page, dict) else None
            if not isinstance(listed, list) or not all(isinstance(item, str) for item in listed):
                raise ExternalError("pricing:GetProducts", "unreadable answer: PriceList is not a list of JSON strings")
            items += listed

    def _spot(self, region: str, zone: str, instance_type: str) -> Price | None:
        action = "ec2:DescribeSpotPriceHistory"
        history = self._in(region).paginate(
            "ec2",
            "describe_spot_price_history",
            "SpotPriceHistory",
            InstanceTypes=[instance_type],
            AvailabilityZone=zone,
            ProductDescriptions=["Linux/UNIX"],
            StartTime=dt.datetime.now(dt.UTC),
        )
        latest = None
        for entry in history:
            if entry.get("AvailabilityZone") not in (None, zone):
                continue  # the zone was asked for; an answer about another is not this pool's price
            stamp, value = entry.get("Timestamp"), entry.get("SpotPrice")
            try:
                usd = float(value) if isinstance(value, str) else None
            except ValueError:
                usd = None
            if usd is None or usd < 0 or not isinstance(stamp, dt.datetime):
                raise ExternalError(action, f"unreadable answer: SpotPrice {value!r} at {stamp!r}")
            if latest is None or stamp > latest[0]:
                latest = (stamp, usd)
        return Price(latest[1], f"Spot price {latest[0]:%Y-%m-%d %H:%M}Z", False) if latest else None


def on_demand_usd(item: t.Any, action: str) -> float | None:
    """The hourly USD price of one Pricing API product (a JSON string), None when it has no
    hourly On-Demand term."""
    try:
        product = json.loads(item) if isinstance(item, str) else item
        terms = product["terms"].get("OnDemand", {})
        for term in terms.values():
            for dimension in term["priceDimensions"].values():
                if dimension.get("unit") == "Hrs":
                    return float(dimension["pricePerUnit"]["USD"])
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ExternalError(action, f"unreadable answer: a product without a price ({type(error).__name__})") from None
    return None


class Priced(t.Protocol):
    """What ``cost_report`` needs of a pool at one revision (capacity_diff.PoolCapacity)."""

    cluster: str
    pool: str
    instance_type: str
    market: str
    max_replicas: int
    zone: str | None


def region_of(zone: str | None) -> str | None:
    """The Region of an availability zone name (``us-west-2a`` -> ``us-west-2``)."""
    return zone[:-1] if zone and zone[-1].isalpha() and zone[-2].isdigit() else None


@dataclass(frozen=True)
class PoolCost:
    cluster: str
    pool: str
    base: float | None
    head: float | None
    #: Of the head (else the base) revision: where the price comes from.
    source: str | None
    #: False when a side that has the pool could not be priced.
    complete: bool

    @property
    def delta(self) -> float | None:
        return None if not self.complete else (self.head or 0.0) - (self.base or 0.0)


@dataclass(frozen=True)
class ClusterCost:
    cluster: str
    base: float
    head: float
    complete: bool

    @property
    def delta(self) -> float:
        return self.head - self.base


@dataclass(frozen=True)
class CostReport:
    pools: list[PoolCost]
    clusters: list[ClusterCost]
    description: str
    estimate: bool


def _cost(pool: Priced | None, book: PriceBook) -> tuple[float | None, str | None, bool]:
    """(USD per hour at the maximum, price source, priced) of one side of a pool."""
    if pool is None:
        return None, None, True
    region = region_of(pool.zone)
    price = book.price(region, pool.zone, pool.instance_type, pool.market) if region else None
    if price is None:
        return None, None, False
    return pool.max_replicas * price.usd_per_hour, price.source, True


class Change(t.Protocol):
    @property
    def cluster(self) -> str: ...

    @property
    def pool(self) -> str: ...

    @property
    def base(self) -> t.Any: ...

    @property
    def head(self) -> t.Any: ...


def cost_report(changes: t.Iterable[Change], book: PriceBook) -> CostReport:
    pools = []
    clusters: dict[str, list[float | bool]] = {}
    for change in changes:
        base, base_source, base_ok = _cost(change.base, book)
        head, head_source, head_ok = _cost(change.head, book)
        pools.append(PoolCost(change.cluster, change.pool, base, head, head_source or base_source, base_ok and head_ok))
        total = clusters.setdefault(change.cluster, [0.0, 0.0, True])
        total[0] = float(total[0]) + (base or 0.0)
        total[1] = float(total[1]) + (head or 0.0)
        total[2] = bool(total[2]) and base_ok and head_ok
    return CostReport(
        pools,
        [ClusterCost(name, float(v[0]), float(v[1]), bool(v[2])) for name, v in sorted(clusters.items())],
        book.description,
        book.estimate,
    )


def usd(value: float | None) -> str:
    return "?" if value is None else f"${value:,.2f}/h"


def signed_usd(value: float | None) -> str:
    if value is None:
        return "?"
    sign = "+" if value >= 0 else "-"
    return f"{sign}${abs(value):,.2f}/h"


def _cell(value: float | None, complete: bool) -> str:
    """A side's cost: the figure, ``-`` where the pool is absent, ``?`` where it is unpriced."""
    return usd(value) if value is not None else ("-" if complete else "?")


def pool_rows(report: CostReport) -> list[list[str]]:
    return [
        [c.cluster, c.pool, _cell(c.base, c.complete), _cell(c.head, c.complete), signed_usd(c.delta), c.source or "-"]
        for c in report.pools
    ]


POOL_COST_HEADER = ["cluster", "pool", "base at max", "head at max", "delta", "price"]


def summary_lines(report: CostReport) -> list[str]:
    """Per cluster: ``prod: +$2.42/h at maximum ($2.42/h -> $4.85/h)``, marked when estimated
    or incomplete."""
    lines = []
    for cluster in report.clusters:
        mark = " (ESTIMATE)" if report.estimate else ""
        if not cluster.complete:
            mark += " (INCOMPLETE: a pool could not be priced)"
        lines.append(
            f"{cluster.cluster}: {signed_usd(cluster.delta)} at maximum "
            f"({usd(cluster.base)} -> {usd(cluster.head)}){mark}"
        )
    return lines


def as_json(report: CostReport) -> dict[str, t.Any]:
    return {
        "prices": report.description,
        "estimate": report.estimate,
        "pools": [
            {"cluster": c.cluster, "pool": c.pool, "base_usd_per_hour": _round(c.base), "head_usd_per_hour": _round(c.head),
             "delta_usd_per_hour": _round(c.delta), "price": c.source, "complete": c.complete}
            for c in report.pools
        ],
        "clusters": [
            {"cluster": c.cluster, "base_usd_per_hour": _round(c.base), "head_usd_per_hour": _round(c.head),
             "delta_usd_per_hour": _round(c.delta), "complete": c.complete, "summary": line}
            for c, line in zip(report.clusters, summary_lines(report), strict=True)
        ],
    }  # fmt: skip


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def price_book(source: str, profile: str | None = None) -> PriceBook:
    """``pinned`` (offline, the default) or ``aws`` (live)."""
    return LivePrices(profile) if source == "aws" else PinnedPrices()
