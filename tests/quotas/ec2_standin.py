"""A loopback EC2 stand-in for the two capacity calls moto does not serve, forwarding the rest.

moto 5.2.5 serves DescribeAvailabilityZones, DescribeInstanceTypeOfferings (its bundled
offerings per zone) and DescribeSpotPriceHistory, but not DescribeCapacityReservations
(CreateCapacityReservation answers HTTP 500) nor GetSpotPlacementScores. EC2 is one endpoint
(``AWS_ENDPOINT_URL_EC2``), so this server answers those two in EC2's query protocol (XML) and
passes every other request to moto unchanged. Like the Service Quotas stand-in it pages, and it
can refuse (access denied), throttle, or stay silent, per action.
"""

from __future__ import annotations

import datetime as dt
import http.client
import typing as t
import urllib.parse
from xml.sax.saxutils import escape

from loopback import LoopbackServer, Reply, Request

NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
OWN = ("DescribeCapacityReservations", "GetSpotPlacementScores")


def reservation(
    rid: str,
    instance_type: str,
    zone: str,
    total: int,
    *,
    available: int | None = None,
    state: str = "active",
    platform: str = "Linux/UNIX",
    end: dt.datetime | None = None,
    start: dt.datetime | None = None,
    block: bool = False,
) -> dict[str, t.Any]:
    return {
        "capacityReservationId": rid,
        "instanceType": instance_type,
        "instancePlatform": platform,
        "availabilityZone": zone,
        "totalInstanceCount": total,
        "availableInstanceCount": total if available is None else available,
        "state": state,
        "startDate": start,
        "endDate": end,
        "reservationType": "capacity-block" if block else "default",
    }


def _xml_value(value: t.Any) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return escape(str(value))


def xml_reply(status: int, text: str) -> Reply:
    return Reply(status, [("Content-Type", "text/xml;charset=UTF-8")], text.encode())


def _item(fields: dict[str, t.Any]) -> str:
    return "<item>" + "".join(f"<{k}>{_xml_value(v)}</{k}>" for k, v in fields.items() if v is not None) + "</item>"


class Ec2StandIn(LoopbackServer):
    def __init__(self, upstream: str, page_size: int = 1) -> None:
        super().__init__()
        self.upstream = urllib.parse.urlsplit(upstream)
        self.page_size = page_size
        self.reservations: dict[str, dict[str, t.Any]] = {}
        #: (instance type, zone ID) -> score; a type with none scores ``default_score`` in
        #: every zone of ``zone_ids`` (moto's us-west-2), so checks that do not look pass.
        self.scores: dict[tuple[str, str], int] = {}
        self.default_score: int | None = 9
        self.zone_ids = ["usw2-az1", "usw2-az2", "usw2-az3", "usw2-az4"]
        #: action -> error code to answer with (AccessDenied-like codes are HTTP 403, throttling 503).
        self.fail_with: dict[str, str] = {}
        #: actions to answer only after this many seconds (a silent endpoint; ends when the stand-in closes).
        self.silent: dict[str, float] = {}
        self.calls: list[str] = []

    def handle(self, request: Request) -> Reply:
        form = dict(urllib.parse.parse_qsl(request.body.decode()))
        action = form.get("Action", "")
        self.calls.append(action)
        if action in self.silent:
            self.pause(self.silent[action])
        if action in self.fail_with:
            return xml_reply(*self.error(self.fail_with[action]))
        if action in OWN:
            return xml_reply(*self.answer(action, form))
        return self.forward(request)

    def forward(self, request: Request) -> Reply:
        """The request as moto answers it."""
        connection = http.client.HTTPConnection(self.upstream.hostname or "127.0.0.1", self.upstream.port, timeout=30)
        try:
            headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
            connection.request("POST", request.path, request.body, headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        passed = [
            (key, value)
            for key, value in response.getheaders()
            if key.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server")
        ]
        return Reply(response.status, passed, data)

    def reset(self) -> None:
        self.reservations.clear()
        self.scores.clear()
        self.default_score = 9
        self.fail_with.clear()
        self.silent.clear()
        self.calls.clear()
        self.wake()

    @staticmethod
    def error(code: str) -> tuple[int, str]:
        status = 403 if "Unauthorized" in code or "AccessDenied" in code else 503 if "Limit" in code else 400
        text = (
            f"<Response><Errors><Error><Code>{escape(code)}</Code><Message>stand-in says {escape(code)}</Message>"
            "</Error></Errors><RequestID>standin</RequestID></Response>"
        )
        return status, text

    def _page(self, items: list[str], form: dict[str, str]) -> tuple[list[str], str]:
        start = int(form.get("NextToken") or 0)
        page = items[start : start + self.page_size]
        token = f"<nextToken>{start + self.page_size}</nextToken>" if start + self.page_size < len(items) else ""
        return page, token

    def answer(self, action: str, form: dict[str, str]) -> tuple[int, str]:
        if action == "DescribeCapacityReservations":
            wanted = [v for k, v in sorted(form.items()) if k.startswith("CapacityReservationId.")]
            missing = [w for w in wanted if w not in self.reservations]
            if missing:
                return self.error("InvalidCapacityReservationId.NotFound")
            items = [_item(self.reservations[w]) for w in (wanted or sorted(self.reservations))]
            page, token = self._page(items, form)
            return 200, (
                f'<DescribeCapacityReservationsResponse xmlns="{NS}"><requestId>standin</requestId>'
                f"<capacityReservationSet>{''.join(page)}</capacityReservationSet>{token}"
                "</DescribeCapacityReservationsResponse>"
            )
        # EC2's query protocol names list members by their locationName (InstanceType.1, ...)
        instance_type = next((v for k, v in form.items() if k.startswith("InstanceType")), "")
        region = next((v for k, v in form.items() if k.startswith("RegionName")), "")
        scores = {zone_id: score for (name, zone_id), score in sorted(self.scores.items()) if name == instance_type}
        if not scores and self.default_score is not None:
            scores = dict.fromkeys(self.zone_ids, self.default_score)
        items = [
            _item({"region": region, "availabilityZoneId": zone_id, "score": score})
            for zone_id, score in sorted(scores.items())
        ]
        page, token = self._page(items, form)
        return 200, (
            f'<GetSpotPlacementScoresResponse xmlns="{NS}"><requestId>standin</requestId>'
            f"<spotPlacementScoreSet>{''.join(page)}</spotPlacementScoreSet>{token}"
            "</GetSpotPlacementScoresResponse>"
        )
