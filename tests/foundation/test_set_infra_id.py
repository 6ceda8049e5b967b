"""tools/set-infra-id, run as users run it, on a disposable copy of the repository."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from accelcap.config import load_settings
from accelcap.render import render_overlay
from support import REPO

DATA = Path(__file__).resolve().parent / "data"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(REPO / "tools" / "set-infra-id"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )


def facts_file(root: Path) -> Path:
    return root / "overlays" / "prod" / "facts" / "cluster.yaml"


def rendered_text(root: Path) -> str:
    load_settings.cache_clear()
    rendered = render_overlay(root / "overlays" / "prod", load_settings(root))
    return json.dumps([d.obj for d in rendered.documents])


def test_infra_id_reaches_every_place_and_second_run_changes_nothing(repo_copy: Path) -> None:
    before = facts_file(repo_copy).read_text()
    result = run("prod", "--infra-id", "ocp-blue-9q8w7")
    assert result.returncode == 0, result.stderr
    assert "infraID prod-x7k2p -> ocp-blue-9q8w7" in result.stdout
    after = facts_file(repo_copy).read_text()
    # Only the infraID line changed; every comment survived.
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=False) if a != b]
    assert changed == [("  infraID: prod-x7k2p", "  infraID: ocp-blue-9q8w7")]
    text = rendered_text(repo_copy)
    assert "prod-x7k2p" not in text
    # name, 2+1 cluster labels, 2 machineset labels, profile, 2 SGs, subnet, tag, autoscaler x2
    assert text.count("ocp-blue-9q8w7") >= 12

    again = run("prod", "--infra-id", "ocp-blue-9q8w7")
    assert again.returncode == 0 and "unchanged" in again.stdout
    assert facts_file(repo_copy).read_text() == after


@pytest.mark.parametrize(
    "bad",
    ["9starts-with-digit", "has_underscore", "a" * 28, "", "INFRAID", "dot.ted"],
)
def test_bad_infra_ids_are_refused(repo_copy: Path, bad: str) -> None:
    before = facts_file(repo_copy).read_text()
    result = run("prod", "--infra-id", bad)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("set-infra-id: --infra-id: ")
    assert "Traceback" not in result.stderr
    assert facts_file(repo_copy).read_text() == before


def test_longest_valid_infra_id(repo_copy: Path) -> None:
    assert run("prod", "--infra-id", "a" + "b-" * 13).returncode == 0


def test_missing_cluster(repo_copy: Path) -> None:
    result = run("staging", "--infra-id", "abc")
    assert result.returncode == 2
    assert result.stderr == "set-infra-id: staging: no such cluster in overlays/ (known: prod)\n"


def test_unreadable_machineset_file(repo_copy: Path, tmp_path: Path) -> None:
    missing = run("prod", "--from-machineset", str(tmp_path / "absent.yaml"))
    assert missing.returncode == 2 and "No such file" in missing.stderr
    garbage = tmp_path / "garbage.yaml"
    garbage.write_text("kind: MachineSet\nspec: [unclosed\n")
    broken = run("prod", "--from-machineset", str(garbage))
    assert broken.returncode == 2 and broken.stderr.startswith(f"set-infra-id: {garbage}:")
    assert broken.stderr.count("\n") == 1
    no_workers = tmp_path / "none.yaml"
    no_workers.write_text("apiVersion: v1\nkind: List\nitems: []\n")
    empty = run("prod", "--from-machineset", str(no_workers))
    assert empty.returncode == 2 and "no worker MachineSet" in empty.stderr


def test_from_machineset_learns_naming_and_ami(repo_copy: Path) -> None:
    result = run("prod", "--from-machineset", str(DATA / "worker-machineset-terraform.yaml"))
    assert result.returncode == 0, result.stderr
    text = facts_file(repo_copy).read_text()
    assert "  infraID: ocp-legacy-b2c4d\n" in text
    assert "  ami: ami-0a1b2c3d4e5f60718\n" in text
    assert "  installNaming: terraform\n" in text
    wiring = (repo_copy / "overlays" / "prod" / "facts" / "kustomization.yaml").read_text()
    assert "\n  - ../../../components/install-naming/terraform\n" in wiring
    # ...so the pools render with the Terraform-era names, everywhere.
    rendered = rendered_text(repo_copy)
    assert "ocp-legacy-b2c4d-worker-sg" in rendered and "ocp-legacy-b2c4d-private-us-west-2a" in rendered
    assert "-node" not in rendered and "subnet-private" not in rendered
    assert run("prod", "--from-machineset", str(DATA / "worker-machineset-terraform.yaml")).stdout.endswith(
        "unchanged\n"
    )


def test_from_machineset_in_another_region_is_refused(repo_copy: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text((DATA / "worker-machineset-terraform.yaml").read_text().replace("us-west-2", "eu-west-1"))
    result = run("prod", "--from-machineset", str(other))
    assert result.returncode == 2 and "wrong cluster?" in result.stderr


# --from-cluster runs against a real API server: tests/kube/test_cluster_client.py


def test_check(repo_copy: Path) -> None:
    assert run("--check").returncode == 0
    path = facts_file(repo_copy)
    path.write_text(path.read_text().replace("infraID: prod-x7k2p", "infraID: INFRAID"))
    result = run("--check")
    assert result.returncode == 1 and "infraID is unset" in result.stderr
    assert run("prod", "--check").returncode == 1
