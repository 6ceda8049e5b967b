"""Capturing real worker MachineSets (the corpus beside the checkout) into the facts, and cutting
pools from them: what lands in the facts, what lands in the rendered pool, and the round trip.

The round trip: a pool whose pool.yaml repeats a worker's instance type, zone, market and root
volume size renders exactly that worker's providerSpec, less what the machine API reads as unset
(empty values, ``metadata: {creationTimestamp: null}``) and what capture said it does not copy.
"""

from __future__ import annotations

import copy
import re
import subprocess
import typing as t
from pathlib import Path

import pytest

from accelcap import generate, set_infra_id
from accelcap.config import load_settings
from accelcap.facts import load_facts
from accelcap.lint.engine import lint_overlay
from accelcap.model import find_machinesets, render_model
from accelcap.worker import worker_machinesets
from accelcap.yamlload import load_file
from support import run_in_process, shared_dir, without_fallback

CORPUS = shared_dir() / "corpus" / "realworld"
#: Every worker MachineSet of the corpus (machine role ``worker``), valid or not.
ALL_WORKERS = sorted(
    path.relative_to(CORPUS).as_posix()
    for path in CORPUS.glob("*/*.yaml")
    if worker_machinesets(load_file(path, mappings_only=False))
)
#: ...of which the real ones: the corpus's ``mut-*`` files are single mistakes made on purpose.
WORKERS = [name for name in ALL_WORKERS if not name.split("/")[1].startswith("mut-")]
MUTATED = [name for name in ALL_WORKERS if name not in WORKERS]
PROVIDER = ("spec", "template", "spec", "providerSpec", "value")


def test_the_corpus_has_the_workers_the_issue_names() -> None:
    assert WORKERS == [
        "invalid/real-release-build01-worker-machineset.yaml",
        "valid/bbalakriz-gpu-machineset.yaml",
        "valid/instascale-test-machineset.yaml",
        "valid/release-build03-worker-machineset.yaml",
        "valid/release-build10-gpu-machineset.yaml",
        "valid/release-build10-worker-machineset.yaml",
    ]


def provider_of(path: Path) -> dict[str, t.Any]:
    (machineset,) = load_file(path)
    value = machineset
    for step in PROVIDER:
        value = value[step]
    return t.cast(dict[str, t.Any], value)


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``set-infra-id`` on the repository at ``root``, its command line run in this process
    (``tools/set-infra-id`` in a process of its own: tests/foundation/test_set_infra_id.py)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ACCELCAP_REPO", str(root))
        load_settings.cache_clear()
        result = run_in_process(set_infra_id, *args)
    load_settings.cache_clear()
    return subprocess.CompletedProcess(["set-infra-id", *args], result.code, result.out, result.err)


def corpus_cluster(root: Path, worker: Path) -> subprocess.CompletedProcess[str]:
    """prod's overlay turned into the worker's cluster: facts in its region and zone with nothing
    captured yet, then ``set-infra-id prod --from-machineset`` on the worker, then the pool's
    pool.yaml repeating the worker's own instance type, zone, market and root volume size."""
    without_fallback(root)  # a Spot pool's On-Demand fallback would not survive a worker that is On-Demand
    provider = provider_of(worker)
    placement = provider["placement"]
    facts = root / "overlays" / "prod" / "facts" / "cluster.yaml"
    text = facts.read_text()
    text = text[: text.index("  subnets:\n")] + (
        f"  subnets:\n    {placement['availabilityZone']}:\n      id: subnet-not-captured-yet\n"
        "  worker:\n    ami:\n      id: ami-00000000\n    blockDevices:\n      - ebs: {}\n"
    )
    facts.write_text(
        text.replace("region: us-west-2", f"region: {placement['region']}").replace(
            "    - us-west-2a", f"    - {placement['availabilityZone']}"
        )
    )
    captured = run(root, "prod", "--from-machineset", str(worker))
    pool = root / "overlays" / "prod" / "capacity" / "gpu-us-west-2a" / "pool.yaml"
    size = provider["blockDevices"][0]["ebs"]["volumeSize"]
    market = "Spot" if "spotMarketOptions" in provider else "OnDemand"
    text = pool.read_text().replace("us-west-2a", placement["availabilityZone"])
    text = re.sub(r"  instanceType: .*", f"  instanceType: {provider['instanceType']}", text)
    text = re.sub(r"  market: Spot", f"  market: {market}", text)
    pool.write_text(re.sub(r"  volumeSize: .*", f"  volumeSize: {size}", text))
    pool.parent.rename(pool.parent.with_name(f"gpu-{placement['availabilityZone']}"))
    listing = pool.parent.parent / "kustomization.yaml"
    listing.write_text(listing.read_text().replace("gpu-us-west-2a", f"gpu-{placement['availabilityZone']}"))
    inferentia = root / "overlays" / "prod" / "inferentia" / "capacity" / "inf2-us-west-2a" / "pool.yaml"
    inferentia.write_text(inferentia.read_text().replace("us-west-2a", placement["availabilityZone"]))
    return captured


def unset_removed(value: t.Any) -> t.Any:
    """``value`` without what the machine API reads as unset: empty values and nulls."""
    if isinstance(value, dict):
        kept = {k: unset_removed(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in ({}, [], "", None)}
    if isinstance(value, list):
        return [unset_removed(v) for v in value]
    return value


@pytest.mark.slow
@pytest.mark.parametrize("name", WORKERS)
def test_capture_round_trips_the_worker(name: str, repo_copy: Path) -> None:
    worker = CORPUS / name
    captured = corpus_cluster(repo_copy, worker)
    assert captured.returncode == 0, captured.stderr
    load_settings.cache_clear()
    generate.write_derived(repo_copy)
    rendered = render_model(repo_copy / "overlays" / "prod", load_settings(repo_copy))
    (pool,) = find_machinesets(rendered.documents)
    expected = copy.deepcopy(provider_of(worker))
    expected.pop("metadata", None)
    expected["apiVersion"] = "machine.openshift.io/v1beta1"  # both are served; pools use this one
    for note in captured.stderr.splitlines():  # what capture said it does not copy
        match = re.search(r"providerSpec\.value\.(\S+): not an AWSMachineProviderConfig field", note)
        if match:
            *parents, leaf = re.split(r"\.|\[(\d+)\]", match[1])
            node = expected
            for step in (p for p in parents if p):
                node = node[int(step)] if isinstance(node, list) else node[step]
            del node[leaf]
    # Where the workers name no IMDS authentication, pools require IMDSv2 (base/machineset, CAP023).
    imds = expected.get("metadataServiceOptions") or {}
    if not imds.get("authentication"):
        expected["metadataServiceOptions"] = {**imds, "authentication": "Required"}
    assert unset_removed(pool.provider) == unset_removed(expected)
    # The pool is still the pool: its own name, labels and taint, not the worker's.
    assert (
        pool.machineset.get("spec", "template", "metadata", "labels")["machine.openshift.io/cluster-api-machine-role"]
        == "gpu"
    )
    assert pool.taints == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}]
    codes = {f.code for f in lint_overlay(rendered)}
    # Instance types that are no GPU make the GPU pool's labels and taint pointless (CAP005/6 are
    # about GPU pools only); nothing of the worker settings is a finding.
    assert not codes & {"CAP007", "CAP009", "CAP030", "CAP031"}, codes


def test_what_lands_in_the_facts_4_16_subnet_by_id(repo_copy: Path) -> None:
    result = corpus_cluster(repo_copy, CORPUS / "valid" / "release-build03-worker-machineset.yaml")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    facts = load_facts("prod", load_settings(repo_copy))
    assert (facts.infra_id, facts.install_naming) == ("build03-9lmnn", "capi")  # security groups -lb and -node
    assert facts.subnets == {"us-east-1a": {"id": "subnet-0da4f60eed8e71c53"}}
    assert facts.worker == {
        "ami": {"id": "ami-08f1807771f4e468b"},
        "tags": [{"name": "kubernetes.io/cluster/build03-9lmnn", "value": "owned"}],
        "iamInstanceProfile": {"id": "build03-9lmnn-worker-profile"},
        "userDataSecret": {"name": "worker-user-data"},
        "credentialsSecret": {"name": "aws-cloud-credentials"},
        "deviceIndex": 0,
        "publicIp": True,
        "securityGroups": [
            {"filters": [{"name": "tag:Name", "values": ["build03-9lmnn-lb"]}]},
            {"filters": [{"name": "tag:Name", "values": ["build03-9lmnn-node"]}]},
        ],
        "blockDevices": [{"ebs": {"encrypted": True, "iops": 0, "kmsKey": {"arn": ""}, "volumeType": "gp3"}}],
        "metadataServiceOptions": {},
    }


def test_what_lands_in_the_facts_installer_era_subnet_by_filter(repo_copy: Path) -> None:
    result = corpus_cluster(repo_copy, CORPUS / "valid" / "instascale-test-machineset.yaml")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    facts = load_facts("prod", load_settings(repo_copy))
    assert (facts.infra_id, facts.install_naming) == ("fionawaters-v2pm4", "terraform")
    assert facts.subnets == {
        "us-east-1a": {"filters": [{"name": "tag:Name", "values": ["fionawaters-v2pm4-private-us-east-1a"]}]}
    }
    assert facts.worker["blockDevices"] == [{"ebs": {"iops": 0, "kmsKey": {}, "volumeType": "gp2"}}]


@pytest.mark.slow
def test_user_defined_tags_are_copied(repo_copy: Path) -> None:
    result = corpus_cluster(repo_copy, CORPUS / "valid" / "bbalakriz-gpu-machineset.yaml")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    load_settings.cache_clear()
    generate.write_derived(repo_copy)
    (pool,) = find_machinesets(render_model(repo_copy / "overlays" / "prod", load_settings(repo_copy)).documents)
    assert {"name": "guid", "value": "df2jq"} in pool.provider["tags"]
    assert pool.provider["subnet"] == {"id": "subnet-05a9a72c36b6099c5"}
    assert "capacityReservationId" not in pool.provider  # empty on the worker; each pool's own anyway


def test_a_field_the_machine_api_ignores_is_said_and_not_copied(repo_copy: Path) -> None:
    result = corpus_cluster(repo_copy, CORPUS / "invalid" / "real-release-build01-worker-machineset.yaml")
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        "set-infra-id: overlays/prod/facts/cluster.yaml: MachineSet build01-9hdwj-worker-us-east-1a: "
        "providerSpec.value.blockDevices[0].ebs.throughput: not an AWSMachineProviderConfig field (openshift/api), "
        "so the machine API ignores it; not copied\n"
    )
    assert load_facts("prod", load_settings(repo_copy)).worker["blockDevices"] == [
        {"ebs": {"iops": 5000, "volumeType": "gp3"}}
    ]


@pytest.mark.parametrize("name", MUTATED)
def test_a_mistake_in_a_worker_is_said_or_refused(name: str, repo_copy: Path) -> None:
    """A worker with a misspelt or mistyped field: capture says on one line each what it does not
    copy, or refuses with one line; it never copies a wrong value silently."""
    result = corpus_cluster(repo_copy, CORPUS / name)
    assert "Traceback" not in result.stderr
    if result.returncode != 0:
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
        return
    worker = provider_of(CORPUS / name)
    captured = load_facts("prod", load_settings(repo_copy)).worker
    for key, value in captured.items():
        if key != "blockDevices":
            assert value == worker[key] or key in result.stderr, key
    if name.endswith("securitygroup-singular.yaml"):
        assert "providerSpec.value.securityGroup: not an AWSMachineProviderConfig field" in result.stderr
        assert "securityGroups" not in captured  # the workers have none either: the machine API ignores it
