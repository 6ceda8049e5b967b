"""Issue 22, part 7: set-infra-id --infra-id names what does not follow the installer's
naming, check says the facts are unconfirmed without failing, and a capture confirms them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accelcap import set_infra_id
from accelcap.check import cli as check_cli
from accelcap.infra_naming import held_infra_ids, rename
from support import REPO, run_in_process

DATA = Path(__file__).resolve().parent / "data"
FACTS = "overlays/prod/facts/cluster.yaml"


@pytest.fixture(autouse=True)
def _text_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACCELCAP_FORMAT", raising=False)


def test_rename_keeps_what_it_cannot_tell_and_names_it() -> None:
    spec = {
        "installNaming": "capi",
        "worker": {
            "tags": [{"name": "kubernetes.io/cluster/old-1a2b3", "value": "owned"}, {"name": "team", "value": "x"}],
            "iamInstanceProfile": {"id": "custom-profile"},
            "securityGroups": [{"id": "sg-0123456789abcdef0"}, {"filters": [{"name": "tag:Name", "values": ["old-1a2b3-node"]}]}],
        },
        "subnets": {"us-east-1a": {"filters": [{"name": "tag:Name", "values": ["old-1a2b3-subnet-private-us-east-1a"]}]}},
    }  # fmt: skip
    assert held_infra_ids(spec) == {"old-1a2b3"}
    result = rename(spec, "old-1a2b3", "new-4c5d6")
    assert result.spec["worker"]["tags"][0]["name"] == "kubernetes.io/cluster/new-4c5d6"
    assert result.spec["worker"]["tags"][1] == {"name": "team", "value": "x"}
    assert result.spec["worker"]["securityGroups"][1]["filters"][0]["values"] == ["new-4c5d6-node"]
    assert result.spec["subnets"]["us-east-1a"]["filters"][0]["values"] == ["new-4c5d6-subnet-private-us-east-1a"]
    assert [line.split(" ")[0] for line in result.not_following] == [
        "spec.worker.iamInstanceProfile",
        "spec.worker.securityGroups[0]",
    ]
    assert spec["worker"]["tags"][0]["name"] == "kubernetes.io/cluster/old-1a2b3"  # the input is not changed


def test_a_setting_by_id_is_named_as_needing_a_capture(repo_copy: Path) -> None:
    facts = repo_copy / FACTS
    facts.write_text(
        facts.read_text().replace(
            "      - filters:\n          - name: tag:Name\n            values:\n              - prod-x7k2p-lb\n",
            "      - id: sg-0123456789abcdef0\n",
        )
    )
    result = run_in_process(set_infra_id, "prod", "--infra-id", "prod-a1b2c")
    assert result.code == 0, result.err
    lines = result.err.splitlines()
    assert len(lines) == 2
    assert "spec.worker.securityGroups[0] prod-a1b2c-node" in lines[0]
    assert lines[1] == (
        "set-infra-id: overlays/prod/facts/cluster.yaml: spec.worker.securityGroups[1] {'id': 'sg-0123456789abcdef0'}: "
        "does not follow the installer's naming for prod-x7k2p, so it is still the old cluster's: it needs a capture, "
        "tools/set-infra-id prod --from-cluster (or --from-machineset FILE) (lint fails until then)"
    )


def test_check_says_unconfirmed_without_failing_and_a_capture_confirms(repo_copy: Path) -> None:
    assert run_in_process(set_infra_id, "prod", "--infra-id", "prod-a1b2c").code == 0
    result = run_in_process(check_cli, "prod", "--format", "json")
    assert result.code == 0, result.out
    (finding,) = [f for f in json.loads(result.out)["findings"] if f["code"] == "facts-unconfirmed"]
    assert finding["severity"] == "warning" and finding["check"] == "infra-id"
    assert "tools/set-infra-id prod --from-cluster" in finding["message"]

    machinesets = DATA / "worker-machineset-terraform.yaml"
    text = machinesets.read_text().replace("ocp-legacy-b2c4d", "prod-a1b2c")
    (repo_copy / "workers.yaml").write_text(text)
    captured = run_in_process(set_infra_id, "prod", "--from-machineset", str(repo_copy / "workers.yaml"))
    assert captured.code == 0, captured.err
    assert "accel-capacity.io/unconfirmed" not in (repo_copy / FACTS).read_text()
    assert "accel-capacity.io/unconfirmed" not in (REPO / FACTS).read_text()


def test_set_infra_id_check_warns_about_unconfirmed_facts_without_failing(repo_copy: Path) -> None:
    assert run_in_process(set_infra_id, "prod", "--infra-id", "prod-a1b2c").code == 0
    result = run_in_process(set_infra_id, "--check")
    assert result.code == 0
    assert result.err.startswith("set-infra-id: overlays/prod/facts/cluster.yaml: warning: unconfirmed facts (")
    assert result.out == "set-infra-id: infraID set for prod\n"
