"""Issue 22, part 1: tools/new-cluster writes a cluster from a template of its own."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from accelcap import new_cluster
from accelcap.check import cli as check_cli
from support import enable_inferentia, run_in_process

DATA = Path(__file__).resolve().parent / "data"
STAGING = ("staging", "--region", "us-east-1", "--account", "210987654321", "--zone", "us-east-1a")
WITHOUT_CLUSTER = ("--instance-type", "g6.xlarge", "--infra-id", "staging-4kq7z", "--ami", "ami-0b32f2ab78dc2189b")
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
GIT_ENV |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}


@pytest.fixture(autouse=True)
def _text_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACCELCAP_FORMAT", raising=False)


def git(root: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True, env=env).stdout


@pytest.fixture
def repo(repo_copy: Path) -> Path:
    git(repo_copy, "init", "-q")
    git(repo_copy, "add", "-A")
    git(repo_copy, "commit", "-qm", "base")
    return repo_copy


def test_without_the_cluster_it_writes_an_unconfirmed_cluster_that_checks_clean(repo: Path) -> None:
    result = run_in_process(new_cluster, *STAGING, *WITHOUT_CLUSTER)
    assert (result.code, result.err) == (0, ""), result.err
    staging = repo / "overlays" / "staging"
    text = "".join(p.read_text() for p in sorted(staging.rglob("*.yaml")))
    assert "prod" not in text  # a template of its own, never a copy of prod
    assert "oc apply -k overlays/staging/validation" in text
    facts = (staging / "facts/cluster.yaml").read_text()
    assert "accel-capacity.io/unconfirmed" in facts and "staging-4kq7z-subnet-private-us-east-1a" in facts
    pool = (staging / "capacity/gpu-us-east-1a/pool.yaml").read_text()
    assert "instanceType: g6.xlarge" in pool and "acceleratorLabel: nvidia-l4" in pool
    assert "staging-4kq7z-gpu-us-east-1a" in (staging / "capacity/gpu-limits.yaml").read_text()
    # Every file git-added: `git commit -am` would have skipped them.
    assert git(repo, "status", "--porcelain", "--untracked-files=all", "--", "overlays/staging").splitlines() == [
        f"A  {line}" for line in git(repo, "ls-files", "--", "overlays/staging").splitlines()
    ]
    assert "git add overlays/staging" in result.out
    steps = result.out.split("new-cluster: next steps:\n", 1)[1]
    for words in ("tools/set-infra-id staging --from-cluster", "account 210987654321", "docs/iam-policy.json", "CI", "Bootstrap"):  # fmt: skip
        assert words in steps, words

    checked = run_in_process(check_cli, "staging", "--format", "json")
    assert checked.code == 0, checked.out
    assert [f["code"] for f in json.loads(checked.out)["findings"]] == ["facts-unconfirmed"]
    enable_inferentia(repo, "staging")
    assert run_in_process(check_cli, "staging").code == 0


def test_from_a_machineset_the_facts_are_captured(repo: Path) -> None:
    workers = DATA / "worker-machineset-terraform.yaml"
    result = run_in_process(
        new_cluster, "legacy", "--region", "us-west-2", "--account", "153526447089", "--zone", "us-west-2b",
        "--instance-type", "g5.xlarge", "--openshift-version", "4.15", "--from-machineset", str(workers),
    )  # fmt: skip
    assert result.code == 0, result.err
    facts = (repo / "overlays/legacy/facts/cluster.yaml").read_text()
    assert "infraID: ocp-legacy-b2c4d" in facts and "installNaming: terraform" in facts
    assert "unconfirmed" not in facts
    assert run_in_process(check_cli, "legacy").code == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((*STAGING, "--instance-type", "g6.3xlarge", "--infra-id", "s-1", "--ami", "ami-01234567"), "did you mean"),
        ((*STAGING, "--instance-type", "g6.xlarge", "--infra-id", "staging-4kq7z"), "needs --ami"),
        (("prod", *STAGING[1:], *WITHOUT_CLUSTER), "exists already"),
        (("stag-ing", *STAGING[1:], *WITHOUT_CLUSTER), "no '-'"),
        (("staging", "--region", "us-east-1", "--account", "1", "--zone", "us-east-1a", *WITHOUT_CLUSTER), "12 digits"),
        (
            ("staging", "--region", "us-east-1", "--account", "210987654321", "--zone", "us-west-2a", *WITHOUT_CLUSTER),
            "not in us-east-1",
        ),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(repo: Path, argv: tuple[str, ...], message: str) -> None:
    result = run_in_process(new_cluster, *argv)
    assert result.code == 2 and result.err.count("\n") == 1 and message in result.err, result.err
    assert sorted(p.name for p in (repo / "overlays").iterdir()) == ["prod"]


def test_another_clusters_infra_id_is_refused_and_nothing_is_left(repo: Path) -> None:
    argv = (*STAGING[:2], "us-west-2", "--account", "153526447089", "--zone", "us-west-2a")
    result = run_in_process(
        new_cluster, *argv, "--instance-type", "g5.xlarge", "--infra-id", "prod-x7k2p", "--ami", "ami-01234567"
    )
    assert result.code == 2
    assert "refused: infraID prod-x7k2p is also cluster prod's" in result.err
    assert not (repo / "overlays" / "staging").exists()
