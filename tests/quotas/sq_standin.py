"""A small local Service Quotas stand-in speaking the real awsJson1.1 protocol.

moto's Service Quotas knows only ``vpc`` (ListServiceQuotas and GetAWSDefaultServiceQuota
answer HTTP 500 there), so the quota tests reach this server through the standard
``AWS_ENDPOINT_URL_SERVICE_QUOTAS`` variable. It keeps applied values and defaults per
quota code, pages ListServiceQuotas, and can answer every request with an error type.
"""

from __future__ import annotations

import json
import typing as t

from accelcap.catalog.ec2_quotas import Market, quota_by_code
from loopback import LoopbackServer, Reply, Request, json_reply

TARGET_PREFIX = "ServiceQuotasV20190624."


def quota_object(code: str, value: float) -> dict[str, t.Any]:
    quota = quota_by_code(code)
    usage_class = f"{quota.key}/{'OnDemand' if quota.market is Market.ON_DEMAND else 'Spot'}"
    return {
        "ServiceCode": "ec2",
        "ServiceName": "Amazon Elastic Compute Cloud (Amazon EC2)",
        "QuotaArn": f"arn:aws:servicequotas:us-west-2:153526447089:ec2/{code}",
        "QuotaCode": code,
        "QuotaName": quota.name,
        "Value": value,
        "Unit": "None",
        "Adjustable": True,
        "GlobalQuota": False,
        "UsageMetric": {
            "MetricNamespace": "AWS/Usage",
            "MetricName": "ResourceCount",
            "MetricDimensions": {
                "Class": usage_class,
                "Resource": "vCPU",
                "Service": "EC2",
                "Type": "Resource",
            },
            "MetricStatisticRecommendation": "Maximum",
        },
    }


class ServiceQuotasStandIn(LoopbackServer):
    def __init__(self, page_size: int = 2) -> None:
        super().__init__()
        self.applied: dict[str, float] = {}
        self.defaults: dict[str, float] = {}
        #: Answer every request with this error type (e.g. AccessDeniedException).
        self.fail_with: str | None = None
        self.calls: list[str] = []
        self.page_size = page_size

    def handle(self, request: Request) -> Reply:
        operation = request.headers.get("X-Amz-Target", "").removeprefix(TARGET_PREFIX)
        self.calls.append(operation)
        return json_reply(*self.answer(operation, json.loads(request.body or b"{}")))

    def reset(self) -> None:
        self.applied.clear()
        self.defaults.clear()
        self.fail_with = None
        self.calls.clear()

    def answer(self, operation: str, request: dict[str, t.Any]) -> tuple[int, dict[str, t.Any]]:
        if self.fail_with:
            return 400, {"__type": self.fail_with, "message": f"stand-in refuses {operation}"}
        if request.get("ServiceCode") != "ec2":
            return 400, {"__type": "NoSuchResourceException", "message": "stand-in knows only ec2"}
        if operation == "ListServiceQuotas":
            codes = sorted(self.applied)
            start = int(request.get("NextToken") or 0)
            size = min(int(request.get("MaxResults") or self.page_size), self.page_size)
            page = codes[start : start + size]
            answer: dict[str, t.Any] = {"Quotas": [quota_object(c, self.applied[c]) for c in page]}
            if start + size < len(codes):
                answer["NextToken"] = str(start + size)
            return 200, answer
        if operation in ("GetAWSDefaultServiceQuota", "GetServiceQuota"):
            code = request.get("QuotaCode", "")
            table = self.defaults if operation == "GetAWSDefaultServiceQuota" else self.applied
            if code not in table:
                return 400, {"__type": "NoSuchResourceException", "message": f"no quota {code}"}
            return 200, {"Quota": quota_object(code, table[code])}
        return 400, {"__type": "UnknownOperationException", "message": operation}
