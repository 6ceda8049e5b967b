"""How many AWS calls tools/verify-quotas makes, and how long it takes, for fleets of
1, 10, 50 and 150 pools (a moto server and the Service Quotas stand-in on loopback).

The count must not grow with the pools beyond ceil(types / 100) DescribeInstanceTypes
calls and one default look-up per quota code. Run: .venv/bin/python benchmarks/quota_calls.py
Prints one line per fleet; no pass/fail (tests/quotas/test_quotas_calls.py asserts).
"""

from __future__ import annotations

import collections
import contextlib
import gzip
import io
import json
import os
import sys
import tempfile
import time
import typing as t
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests"), str(ROOT / "tests" / "quotas")]

import boto3
from quota_support import RepoCopy, start_moto, stop
from sq_standin import ServiceQuotasStandIn

from accelcap.catalog.ec2_quotas import FAMILIES, Quota
from accelcap.catalog.instance_types import family_of
from accelcap.cli import run_tool
from accelcap.config import load_settings
from accelcap.quotas.cli import build_parser, execute

SIZES = (1, 10, 50, 150)


def fleet_types(count: int) -> list[str]:
    """``count`` distinct instance types of moto's catalogue with a quota in both markets."""
    data = gzip.decompress(resources.files("moto.ec2").joinpath("resources/instance_types.json.gz").read_bytes())
    chosen = []
    for name in sorted(json.loads(data)):
        row = FAMILIES.get(family_of(name))
        if row is not None and isinstance(row.spot, Quota):
            chosen.append(name)
    step = max(1, len(chosen) // count)
    return chosen[::step][:count]


def main() -> None:
    recorded: list[str] = []
    original = boto3.session.Session.client

    def client(self: boto3.session.Session, *args: t.Any, **kwargs: t.Any) -> t.Any:
        made = original(self, *args, **kwargs)
        made.meta.events.register(
            "before-call", lambda model, **_: recorded.append(f"{model.service_model.signing_name}:{model.name}")
        )
        return made

    boto3.session.Session.client = client  # records every call for the whole run
    environment = dict(os.environ)
    server = start_moto("153526447089")
    try:
        with ServiceQuotasStandIn(page_size=100) as standin, tempfile.TemporaryDirectory() as tmp:
            os.environ.update(
                AWS_ENDPOINT_URL=server.url,
                AWS_ENDPOINT_URL_SERVICE_QUOTAS=standin.url,
                AWS_ACCESS_KEY_ID="testing",
                AWS_SECRET_ACCESS_KEY="testing",
                AWS_MAX_ATTEMPTS="2",
                AWS_CONFIG_FILE=os.devnull,
                AWS_SHARED_CREDENTIALS_FILE=os.devnull,
                AWS_EC2_METADATA_DISABLED="true",
            )
            os.environ.pop("AWS_PROFILE", None)
            print(f"{'pools':>5} {'types':>5} {'rows':>4} {'calls':>5} {'seconds':>7}  calls by operation")
            for size in SIZES:
                copy = RepoCopy(Path(tmp) / f"repo-{size}")
                # prod has one pool already (g5.2xlarge); add size - 1 more
                copy.add_pools(fleet_types(size - 1)) if size > 1 else None
                os.environ["ACCELCAP_REPO"] = str(copy.root)
                load_settings.cache_clear()
                recorded.clear()
                out = io.StringIO()
                started = time.perf_counter()
                with contextlib.redirect_stdout(out):
                    code = run_tool("verify-quotas", build_parser, execute, ["prod", "--format", "json"])
                seconds = time.perf_counter() - started
                if code not in (0, 1):
                    raise SystemExit(f"verify-quotas exited {code} for {size} pools")
                summary = json.loads(out.getvalue())["summary"]
                counts = collections.Counter(recorded)
                types = len(set(fleet_types(size - 1)) | {"g5.2xlarge"}) if size > 1 else 1
                by_operation = ", ".join(f"{op.split(':')[1]}={n}" for op, n in sorted(counts.items()))
                print(
                    f"{summary['pools']:>5} {types:>5} {len(summary['rows']):>4} {len(recorded):>5} {seconds:>7.2f}  {by_operation}"
                )
    finally:
        os.environ.clear()
        os.environ.update(environment)
        stop(server)


if __name__ == "__main__":
    main()
