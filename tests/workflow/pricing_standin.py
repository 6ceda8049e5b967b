"""A loopback stand-in of the AWS Price List Query API (awsJson1.1, ``AWSPriceListService``).

moto has no Pricing service. This one answers GetProducts from a table of
(instance type, Region code) -> USD an hour, in the real answer's shape (each PriceList item a
JSON string of a product with its OnDemand terms), pages, and can refuse (access denied),
throttle, or stay silent.
"""

from __future__ import annotations

import json
import typing as t

from loopback import LoopbackServer, Reply, Request, json_reply

TARGET_PREFIX = "AWSPriceListService."


def product(instance_type: str, region: str, usd: float) -> str:
    return json.dumps(
        {
            "product": {
                "attributes": {"instanceType": instance_type, "regionCode": region, "operatingSystem": "Linux"}
            },
            "terms": {
                "OnDemand": {
                    "T.JRTCKXETXF": {
                        "priceDimensions": {
                            "T.JRTCKXETXF.6YS6EN2CT7": {"unit": "Hrs", "pricePerUnit": {"USD": f"{usd:.10f}"}}
                        }
                    }
                }
            },
        }
    )


class PricingStandIn(LoopbackServer):
    def __init__(self, page_size: int = 1) -> None:
        super().__init__()
        self.prices: dict[tuple[str, str], float] = {}
        #: extra products answered with every price (paging: the real API answers several SKUs)
        self.padding = 0
        self.fail_with: str | None = None
        #: seconds to stay silent before answering (ends when the stand-in closes)
        self.silent: float = 0.0
        self.calls: list[dict[str, t.Any]] = []
        self.page_size = page_size

    def handle(self, request: Request) -> Reply:
        body = json.loads(request.body or b"{}")
        operation = request.headers.get("X-Amz-Target", "").removeprefix(TARGET_PREFIX)
        self.calls.append({"operation": operation, **body})
        if self.silent:
            self.pause(self.silent)
        return json_reply(*self.answer(operation, body))

    def answer(self, operation: str, request: dict[str, t.Any]) -> tuple[int, dict[str, t.Any]]:
        if self.fail_with:
            return 400, {"__type": self.fail_with, "message": f"stand-in refuses {operation}"}
        if operation != "GetProducts" or request.get("ServiceCode") != "AmazonEC2":
            return 400, {"__type": "InvalidParameterException", "message": operation}
        fields = {f["Field"]: f["Value"] for f in request.get("Filters", [])}
        key = (fields.get("instanceType", ""), fields.get("regionCode", ""))
        items = [product(*key, self.prices[key])] * (1 + self.padding) if key in self.prices else []
        start = int(request.get("NextToken") or 0)
        answer: dict[str, t.Any] = {"FormatVersion": "aws_v1", "PriceList": items[start : start + self.page_size]}
        if start + self.page_size < len(items):
            answer["NextToken"] = str(start + self.page_size)
        return 200, answer
