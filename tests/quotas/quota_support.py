"""Helpers and fixtures of the quota tests (conftest.py imports the fixtures): a real moto
server, the Service Quotas stand-in, AWS environment variables pointing at both, repository
copies with edited pools, and a recorder of every AWS operation the tool performs.
"""

from __future__ import annotations

import gzip
import importlib.resources
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import typing as t
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import boto3
import botocore.loaders
import botocore.session
import pytest
from ec2_standin import Ec2StandIn
from sq_standin import ServiceQuotasStandIn

from accelcap.config import load_settings
from accelcap.quotas import cli as quotas_cli
from render_memo import render_memo  # noqa: F401 - the quota tests' conftest imports it from here
from support import REPO, Result, run_in_process, without_fallback

ACCOUNT = "153526447089"  # overlays/prod/facts/cluster.yaml
OTHER_ACCOUNT = "111122223333"
REGION = "us-west-2"
INFRA_ID = "prod-x7k2p"
POOL = f"{INFRA_ID}-gpu-us-west-2a"
SERVER_START_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class MotoServer:
    url: str
    process: subprocess.Popen[bytes]

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def client(self, service: str) -> t.Any:
        """A client for seeding, made outside boto3 so the operation recorder ignores it."""
        return botocore.session.get_session().create_client(
            service,
            region_name=REGION,
            endpoint_url=self.url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


#: The RHCOS AMI prod's facts name (verify-quotas asks DescribeImages for it).
RHCOS_AMI = "ami-0870c7a3d5ef4d2b3"


def moto_amis() -> Path:
    """moto's own AMIs plus the RHCOS AMI of prod, as a MOTO_AMIS_PATH file (moto then loads
    exactly these in every Region)."""
    packaged = importlib.resources.files("moto").joinpath("ec2/resources/amis.json.gz").read_bytes()
    amis = json.loads(gzip.decompress(packaged))
    amis.append(
        {
            "ami_id": RHCOS_AMI, "state": "available", "public": True, "owner_id": "531415883065",
            "image_location": "rhcos", "root_device_type": "ebs", "root_device_name": "/dev/xvda",
            "description": "OpenShift 4.16 RHCOS x86_64", "image_type": "machine", "architecture": "x86_64",
            "name": "rhcos-416.94.202406251923-0-x86_64", "virtualization_type": "hvm", "hypervisor": "xen",
        }
    )  # fmt: skip
    path = Path(tempfile.mkdtemp(prefix="moto-amis-")) / "amis.json"
    path.write_text(json.dumps(amis))
    return path


def start_moto(account: str) -> MotoServer:
    binary = Path(sys.executable).with_name("moto_server")
    # moto[server] is in the test extra: without it the set-up is broken, and skipping would
    # let every AWS scenario pass unrun.
    if not binary.exists():
        pytest.fail(f"{binary} not installed: run the README's test command (it installs moto[server])")
    port = free_port()
    env = {
        **os.environ,
        "MOTO_ACCOUNT_ID": account,
        "MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION": "true",
        "MOTO_AMIS_PATH": str(moto_amis()),
    }
    process = subprocess.Popen(
        [str(binary), "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/moto-api/", timeout=2):
                return MotoServer(url, process)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    process.terminate()
    process.wait(timeout=10)
    raise RuntimeError(f"moto_server did not answer on {url} within {SERVER_START_SECONDS}s")


def stop(server: MotoServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=10)


@pytest.fixture(scope="session")
def moto_server() -> t.Iterator[MotoServer]:
    server = start_moto(ACCOUNT)
    # moto builds a Region's EC2 (its AMIs, types, offerings) on the first call, for seconds; after
    # a reset it is quick. Paid here, not by a test with sub-second timeouts that happens to be first.
    server.client("ec2").describe_images(ImageIds=[RHCOS_AMI])
    yield server
    stop(server)


@pytest.fixture(scope="session")
def moto_other_account() -> t.Iterator[MotoServer]:
    server = start_moto(OTHER_ACCOUNT)
    yield server
    stop(server)


@pytest.fixture(scope="session")
def standin_server() -> t.Iterator[ServiceQuotasStandIn]:
    with ServiceQuotasStandIn() as server:
        yield server


@pytest.fixture
def standin(standin_server: ServiceQuotasStandIn) -> ServiceQuotasStandIn:
    standin_server.reset()
    return standin_server


@pytest.fixture(scope="session")
def ec2_standin_server(moto_server: MotoServer) -> t.Iterator[Ec2StandIn]:
    with Ec2StandIn(moto_server.url) as server:
        yield server


@pytest.fixture
def ec2_standin(ec2_standin_server: Ec2StandIn) -> Ec2StandIn:
    """EC2 for the capacity calls moto lacks (DescribeCapacityReservations,
    GetSpotPlacementScores); every other EC2 call goes on to moto."""
    ec2_standin_server.reset()
    return ec2_standin_server


def point_aws_at(monkeypatch: pytest.MonkeyPatch, moto_url: str, standin_url: str) -> None:
    """Dummy credentials and endpoints by the standard variables only; no host config."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SERVICE_QUOTAS", standin_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def aws(
    moto_server: MotoServer, standin: ServiceQuotasStandIn, ec2_standin: Ec2StandIn, monkeypatch: pytest.MonkeyPatch
) -> MotoServer:
    moto_server.reset()
    point_aws_at(monkeypatch, moto_server.url, standin.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", ec2_standin.url)
    return moto_server


class Operations(list[str]):
    """IAM actions of the AWS calls made, in order; ``regions`` holds the Region of each."""

    def __init__(self) -> None:
        super().__init__()
        self.regions: list[str] = []

    def clear(self) -> None:
        super().clear()
        self.regions.clear()


@pytest.fixture
def aws_operations(monkeypatch: pytest.MonkeyPatch) -> Operations:
    """IAM actions of every AWS call the tool makes (botocore ``before-call`` events)."""
    recorded = Operations()
    original = boto3.session.Session.client

    def record(model: t.Any, context: dict[str, t.Any] | None = None, **_: t.Any) -> None:
        recorded.append(f"{model.service_model.signing_name}:{model.name}")
        recorded.regions.append(str((context or {}).get("client_region")))

    def client(self: boto3.session.Session, *args: t.Any, **kwargs: t.Any) -> t.Any:
        made = original(self, *args, **kwargs)
        made.meta.events.register("before-call", record)
        return made

    monkeypatch.setattr(boto3.session.Session, "client", client)
    return recorded


@pytest.fixture(scope="session", autouse=True)
def one_botocore_loader() -> t.Iterator[botocore.loaders.Loader]:
    """One botocore data loader for every session the tools make here.

    verify-quotas makes a boto3 session per run, and botocore parses its service models and
    endpoint table (read-only files of the installed botocore) per session: a fifth of a second
    of CPU a run, once per process in real use, but a hundred times in this one. Each session
    gets the same loader, its search paths as at its first use (boto3 appends its own directory
    to them per session), so each file is parsed once."""
    loader = botocore.loaders.create_loader()
    first_paths = list(loader.search_paths)

    def shared(search_path_string: str | None = None) -> botocore.loaders.Loader:
        assert search_path_string is None, "AWS_DATA_PATH set: the tests use botocore's own data"
        loader.search_paths[:] = first_paths
        return loader

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader", shared)
        yield loader


@pytest.fixture(scope="session")
def single_pool_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout's manifests with prod's pool without its fallback (``without_fallback``)."""
    return RepoCopy(tmp_path_factory.mktemp("single-pool") / "repo").root


@pytest.fixture(autouse=True)
def real_repo(monkeypatch: pytest.MonkeyPatch, single_pool_repo: Path) -> t.Iterator[None]:
    """Every test starts on this checkout's manifests (prod without its On-Demand fallback),
    with fresh cached settings."""
    monkeypatch.setenv("ACCELCAP_REPO", str(single_pool_repo))
    load_settings.cache_clear()
    yield
    load_settings.cache_clear()


class RepoCopy:
    """A copy of the repository's manifests whose prod pools a test may change."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for part in ("base", "components", "overlays"):
            shutil.copytree(REPO / part, root / part)
        shutil.copy2(REPO / "pyproject.toml", root / "pyproject.toml")
        without_fallback(root)

    @property
    def capacity(self) -> Path:
        return self.root / "overlays" / "prod" / "capacity"

    def set_pool(
        self,
        instance_type: str | None = None,
        on_demand: bool = False,
        max_replicas: int | None = None,
        pool_dir: str = "gpu-us-west-2a",
    ) -> None:
        """Edit the pool's pool.yaml, as a platform engineer does."""
        pool = self.capacity / pool_dir / "pool.yaml"
        text = pool.read_text()
        for key, value in (
            ("instanceType", instance_type),
            ("market", "OnDemand" if on_demand else None),
            ("maxReplicas", max_replicas),
        ):
            if value is not None:
                text, count = re.subn(rf"^(  {key}:) *[^ #\n]+", rf"\g<1> {value}", text, count=1, flags=re.MULTILINE)
                assert count == 1, f"{pool} has no {key} line"
        pool.write_text(text)

    def add_pools(self, instance_types: t.Sequence[str]) -> list[str]:
        """One more pool directory per type (zones zz-test-0a, zz-test-0b, ...), every second one
        On-Demand; returns the pool names."""
        source = self.capacity / "gpu-us-west-2a"
        listing = self.capacity / "kustomization.yaml"
        text = listing.read_text()
        names = []
        for number, instance_type in enumerate(instance_types):
            zone = f"zz-test-{number // 26}{chr(ord('a') + number % 26)}"
            target = self.capacity / f"gpu-{zone}"
            shutil.copytree(source, target)
            (target / "pool.yaml").write_text((source / "pool.yaml").read_text().replace("us-west-2a", zone))
            text = text.replace("  - gpu-us-west-2a\n", f"  - gpu-us-west-2a\n  - gpu-{zone}\n", 1)
            self.set_pool(instance_type=instance_type, on_demand=number % 2 == 1, pool_dir=f"gpu-{zone}")
            names.append(f"{INFRA_ID}-gpu-{zone}")
        listing.write_text(text)
        return names


@pytest.fixture
def repo_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RepoCopy:
    copy = RepoCopy(tmp_path / "repo")
    monkeypatch.setenv("ACCELCAP_REPO", str(copy.root))
    load_settings.cache_clear()
    return copy


@pytest.fixture
def run_quotas() -> t.Callable[..., Result]:
    """Run verify-quotas in-process as its console script would (``support.run_in_process``)."""

    def run(*argv: str) -> Result:
        return run_in_process(quotas_cli, *argv)

    return run


def launch(
    server: MotoServer,
    instance_type: str,
    count: int = 1,
    spot: bool = False,
    tags: dict[str, str] | None = None,
) -> list[str]:
    """Running instances in moto (it enforces no quota and starts them running at once)."""
    ec2 = server.client("ec2")
    kwargs: dict[str, t.Any] = {
        "ImageId": "ami-12c6146b",
        "InstanceType": instance_type,
        "MinCount": count,
        "MaxCount": count,
    }
    if spot:
        kwargs["InstanceMarketOptions"] = {"MarketType": "spot"}
    if tags:
        kwargs["TagSpecifications"] = [
            {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
        ]
    answer = ec2.run_instances(**kwargs)
    return [i["InstanceId"] for i in answer["Instances"]]
