"""A loopback stand-in of the AWS Price List Query API (awsJson1.1, ``AWSPriceListService``).

moto has no Pricing service. This one answers GetProducts from a table of
(instance type, Region code) -> USD an hour, in the real answer's shape (each PriceList item a
JSON string of a product with its OnDemand terms), pages, and can refuse (access denied),
throttle, or stay silent.
"""

from __future__ import annotations

import json
import threading
import time
import typing as t
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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


class PricingStandIn:
    def __init__(self, page_size: int = 1) -> None:
        self.prices: dict[tuple[str, str], float] = {}
        #: extra products answered with every price (paging: the real API answers several SKUs)
        self.padding = 0
        self.fail_with: str | None = None
        self.silent: float = 0.0
        self.calls: list[dict[str, t.Any]] = []
        self.page_size = page_size
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: t.Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                operation = self.headers.get("X-Amz-Target", "").removeprefix(TARGET_PREFIX)
                stand_in.calls.append({"operation": operation, **body})
                if stand_in.silent:
                    time.sleep(stand_in.silent)
                status, answer = stand_in.answer(operation, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: t.Any, client_address: t.Any) -> None:
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

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

    def __enter__(self) -> t.Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
