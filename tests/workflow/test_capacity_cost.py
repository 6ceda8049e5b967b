"""capacity-diff's hourly cost at maximum (accelcap.costs): per pool and per cluster, before and
after, in text, json and markdown; the pinned table offline (an estimate, said so) and the live
prices' reading of AWS's answers."""

from __future__ import annotations

import datetime as dt
import json
import os
import typing as t
from pathlib import Path

import pytest
from pricing_standin import PricingStandIn
from test_capacity_diff import capacity_diff, commit_all, git, in_repository, pool_dir

from accelcap import capacity_diff as capacity_diff_tool
from accelcap.costs import LivePrices, PinnedPrices, on_demand_usd, region_of
from accelcap.errors import ExternalError
from support import Result, run_in_process

G5_2XL = 1.212  # accelcap/catalog/prices.py, us-west-2


@pytest.fixture
def raised(repo_copy: Path) -> tuple[Path, str, str]:
    """prod's Spot pool raised from 2 to 4 (its On-Demand fallback stays at 2)."""
    git(repo_copy, "init", "-q")
    base = commit_all(repo_copy, "base")
    pool = pool_dir(repo_copy) / "pool.yaml"
    pool.write_text(pool.read_text().replace("  maxReplicas: 2 ", "  maxReplicas: 4 "))
    return repo_copy, base, commit_all(repo_copy, "allow 4 GPU nodes")


def test_json_has_each_pool_and_the_cluster_before_and_after(raised: tuple[Path, str, str]) -> None:
    root, base, head = raised
    result = capacity_diff(root, base, head)
    assert result.returncode == 0, result.stderr
    costs = json.loads(result.stdout)["summary"]["costs"]
    assert costs["estimate"] is True and "ESTIMATE from the pinned price table of" in costs["prices"]
    pools = {
        p["pool"]: (p["base_usd_per_hour"], p["head_usd_per_hour"], p["delta_usd_per_hour"]) for p in costs["pools"]
    }
    assert pools == {
        "prod-x7k2p-gpu-us-west-2a": (2 * G5_2XL, 4 * G5_2XL, 2 * G5_2XL),
        "prod-x7k2p-gpu-us-west-2a-ondemand": (2 * G5_2XL, 2 * G5_2XL, 0.0),
    }
    [cluster] = costs["clusters"]
    assert (cluster["base_usd_per_hour"], cluster["head_usd_per_hour"]) == (4 * G5_2XL, 6 * G5_2XL)
    assert cluster["summary"] == "prod: +$2.42/h at maximum ($4.85/h -> $7.27/h) (ESTIMATE)"


def test_markdown_says_the_change_per_hour_at_maximum(raised: tuple[Path, str, str]) -> None:
    root, base, head = raised
    markdown = capacity_diff(root, base, head, "markdown").stdout
    assert "- **prod: +$2.42/h at maximum ($4.85/h -> $7.27/h) (ESTIMATE)**" in markdown
    assert "| prod | prod-x7k2p-gpu-us-west-2a | $2.42/h | $4.85/h | +$2.42/h | pinned " in markdown


def test_text_has_the_cost_table_and_the_cluster_line(raised: tuple[Path, str, str]) -> None:
    root, base, head = raised
    text = capacity_diff(root, base, head, "text").stdout
    assert "Hourly cost at maximum" in text and "ESTIMATE from the pinned price table" in text
    assert "prod: +$2.42/h at maximum ($4.85/h -> $7.27/h) (ESTIMATE)" in text


def test_a_type_the_table_lacks_is_unpriced_and_the_total_incomplete(repo_copy: Path) -> None:
    git(repo_copy, "init", "-q")
    base = commit_all(repo_copy, "base")
    pool = pool_dir(repo_copy) / "pool.yaml"
    pool.write_text(
        pool.read_text()
        .replace("instanceType: g5.2xlarge", "instanceType: g6e.xlarge")
        .replace("nvidia-a10g", "nvidia-l40s")
    )
    head = commit_all(repo_copy, "g6e")
    result = capacity_diff(repo_copy, base, head)
    assert result.returncode == 0, result.stderr
    costs = json.loads(result.stdout)["summary"]["costs"]
    [cluster] = costs["clusters"]
    assert cluster["complete"] is False and "INCOMPLETE" in cluster["summary"]
    assert {p["complete"] for p in costs["pools"]} == {False}


def test_pinned_spot_is_the_on_demand_price_and_a_reservation_too() -> None:
    book = PinnedPrices({("us-west-2", "p5.48xlarge"): 55.0})
    spot = book.price("us-west-2", "us-west-2a", "p5.48xlarge", "spot")
    assert spot is not None and spot.usd_per_hour == 55.0 and spot.estimate and "Spot at most On-Demand" in spot.source
    assert book.price("eu-west-1", "eu-west-1a", "p5.48xlarge", "on-demand") is None
    assert (region_of("us-west-2a"), region_of("us-gov-west-1b"), region_of(None)) == (
        "us-west-2",
        "us-gov-west-1",
        None,
    )


# --- the live path: what AWS's answers are read as -------------------------------------------


def product(usd: str, unit: str = "Hrs") -> str:
    return json.dumps(
        {"terms": {"OnDemand": {"T1": {"priceDimensions": {"D1": {"unit": unit, "pricePerUnit": {"USD": usd}}}}}}}
    )


class FakeAccount:
    """Stands for accelcap.quotas.aws.AwsAccount: the pages each call answers."""

    def __init__(self, pages: dict[str, list[dict[str, t.Any] | str]]) -> None:
        self.pages = pages
        self.asked: list[tuple[str, dict[str, t.Any]]] = []

    def paginate(self, service: str, method: str, key: str, **kwargs: t.Any) -> list[t.Any]:
        self.asked.append((method, kwargs))
        return self.pages[method]


def live(pages: dict[str, list[t.Any]]) -> tuple[LivePrices, FakeAccount]:
    prices = LivePrices.__new__(LivePrices)
    account = FakeAccount(pages)
    prices._accounts = {"us-east-1": account, "us-west-2": account}
    prices._cache = {}
    prices._price_list = lambda **kwargs: account.paginate("pricing", "get_products", "PriceList", **kwargs)  # type: ignore[method-assign]
    return prices, account


def test_live_on_demand_reads_the_hourly_term_of_the_pricing_api() -> None:
    prices, account = live({"get_products": [product("1.2120000000")]})
    price = prices.price("us-west-2", "us-west-2a", "g5.2xlarge", "on-demand")
    assert price is not None and price.usd_per_hour == 1.212 and not price.estimate
    method, kwargs = account.asked[0]
    assert method == "get_products" and kwargs["ServiceCode"] == "AmazonEC2"
    assert {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "us-west-2"} in kwargs["Filters"]


def test_live_spot_is_the_latest_price_of_the_zone() -> None:
    now = dt.datetime.now(dt.UTC)
    history = [
        {"Timestamp": now - dt.timedelta(hours=2), "SpotPrice": "0.50"},
        {"Timestamp": now - dt.timedelta(minutes=5), "SpotPrice": "0.4321"},
    ]
    prices, account = live({"describe_spot_price_history": history})
    price = prices.price("us-west-2", "us-west-2a", "g5.2xlarge", "spot")
    assert price is not None and price.usd_per_hour == 0.4321
    assert account.asked[0][1]["AvailabilityZone"] == "us-west-2a"


def test_live_prices_that_make_no_sense_fail_naming_the_call() -> None:
    with pytest.raises(ExternalError, match="pricing:GetProducts"):
        on_demand_usd('{"terms": 1}', "pricing:GetProducts")
    prices, _ = live({"describe_spot_price_history": [{"Timestamp": dt.datetime.now(dt.UTC), "SpotPrice": "free"}]})
    with pytest.raises(ExternalError, match=r"ec2:DescribeSpotPriceHistory: .*SpotPrice 'free'"):
        prices.price("us-west-2", "us-west-2a", "g5.2xlarge", "spot")
    prices, _ = live({"get_products": [product("1.0"), product("2.0")]})
    with pytest.raises(ExternalError, match="2 On-Demand prices"):
        prices.price("us-west-2", "us-west-2a", "g5.2xlarge", "on-demand")


# --- the live path over HTTP: moto (Spot price history) and the Pricing stand-in ---------------


@pytest.fixture(scope="module")
def moto_url() -> t.Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def pricing(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> t.Iterator[PricingStandIn]:
    with PricingStandIn() as stand_in:
        for name in list(os.environ):
            if name.startswith("AWS_"):
                monkeypatch.delenv(name)
        monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_PRICING", stand_in.url)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
        monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        stand_in.prices[("g5.2xlarge", "us-west-2")] = 1.5
        yield stand_in


def live_diff(raised: tuple[Path, str, str], *extra: str) -> Result:
    """capacity-diff with live prices, in this process (the endpoints are the environment's)."""
    root, base, head = raised
    with in_repository(root):
        return run_in_process(capacity_diff_tool, base, head, "--format", "json", "--prices", "aws", *extra)


def test_live_prices_from_the_pricing_api_and_the_spot_history(
    raised: tuple[Path, str, str], pricing: PricingStandIn
) -> None:
    pricing.padding = 2  # three SKUs of one price over three pages
    result = live_diff(raised)
    assert result.code == 0, result.err
    costs = json.loads(result.out)["summary"]["costs"]
    assert costs["estimate"] is False and costs["prices"].startswith("live:")
    pools = {p["pool"]: p for p in costs["pools"]}
    # moto's Spot price history answers 0.00001 for every zone
    assert pools["prod-x7k2p-gpu-us-west-2a"]["head_usd_per_hour"] == round(4 * 0.00001, 4)
    assert pools["prod-x7k2p-gpu-us-west-2a"]["price"].startswith("Spot price ")
    assert (
        pools["prod-x7k2p-gpu-us-west-2a-ondemand"]["head_usd_per_hour"],
        pools["prod-x7k2p-gpu-us-west-2a-ondemand"]["price"],
    ) == (3.0, "Pricing API")
    assert [c["operation"] for c in pricing.calls] == ["GetProducts"] * 3


@pytest.mark.parametrize(
    ("error", "says"),
    [
        ("AccessDeniedException", "pricing:GetProducts: access denied"),
        ("ThrottlingException", "pricing:GetProducts: throttled"),
    ],
)
def test_live_prices_refused_are_exit_3_naming_the_call(
    raised: tuple[Path, str, str], pricing: PricingStandIn, monkeypatch: pytest.MonkeyPatch, error: str, says: str
) -> None:
    # One attempt: no backoff to wait out. That throttling is retried first is verify-quotas'
    # test_throttling_after_retries (the same AwsAccount).
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    pricing.fail_with = error
    result = live_diff(raised)
    assert result.code == 3 and says in result.err and "Traceback" not in result.err


def test_a_silent_pricing_endpoint_times_out(
    raised: tuple[Path, str, str], pricing: PricingStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    # The EC2 calls before the price list's (moto) must answer within the read limit too: on
    # a loaded machine 0.5 s was once too short for them, so the limit is 1.5 s.
    monkeypatch.setenv("ACCELCAP_TIMEOUTS", "aws.read=1.5,aws.total=3")
    pricing.silent = 10  # until the stand-in closes, right after the client gave up
    result = live_diff(raised)
    assert result.code == 3 and "pricing:GetProducts: timed out" in result.err
