"""Issue 22, part 2: facts that belong to one cluster. A copied overlay that keeps prod's
infraID, or prod's worker capture, is an error naming both clusters."""

from __future__ import annotations

import collections
import json
import shutil
import typing as t
from pathlib import Path

import pytest

from accelcap import set_infra_id
from accelcap.check import cli as check_cli
from accelcap.config import load_settings
from accelcap.generate import write_derived
from support import run_in_process


@pytest.fixture(autouse=True)
def _text_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACCELCAP_FORMAT", raising=False)


def copy_prod(root: Path, name: str = "staging", old: str | None = None, new: str | None = None) -> Path:
    """prod copied as ``name``; ``old`` -> ``new`` replaced in its facts (None: left as prod's)."""
    shutil.copytree(root / "overlays" / "prod", root / "overlays" / name)
    facts = root / "overlays" / name / "facts" / "cluster.yaml"
    text = facts.read_text().replace("\n  name: prod\n", f"\n  name: {name}\n")
    if old is not None and new is not None:
        text = text.replace(old, new)
    facts.write_text(text)
    load_settings.cache_clear()
    write_derived(root)
    return facts


def infra_findings(result_out: str) -> list[dict[str, str]]:
    return [f for f in json.loads(result_out)["findings"] if f["check"] == "infra-id"]


def test_a_copy_with_prods_infra_id_is_refused(repo_copy: Path) -> None:
    copy_prod(repo_copy)
    result = run_in_process(check_cli, "staging", "--format", "json")
    assert result.code == 1, result.err
    (finding,) = infra_findings(result.out)
    assert finding["code"] == "infra-id-shared"
    assert finding["message"].startswith(
        "infraID prod-x7k2p is also cluster prod's (overlays/prod/facts/cluster.yaml): two clusters cannot share one"
    )
    assert finding["file"] == "overlays/staging/facts/cluster.yaml"
    alone = run_in_process(set_infra_id, "--check")
    assert alone.code == 1
    assert "overlays/staging/facts/cluster.yaml: infraID prod-x7k2p is also cluster prod's" in alone.err
    assert "overlays/prod/facts/cluster.yaml: infraID prod-x7k2p is also cluster staging's" in alone.err


def test_a_copy_with_prods_worker_capture_is_refused(repo_copy: Path) -> None:
    copy_prod(repo_copy, old="infraID: prod-x7k2p", new="infraID: staging-q9w8e")
    result = run_in_process(check_cli, "staging", "--format", "json")
    assert result.code == 1
    (finding,) = infra_findings(result.out)
    assert finding["message"].startswith(
        "the worker capture names cluster prod's infraID prod-x7k2p (same account 153526447089 and Region us-west-2"
    )
    assert "tools/set-infra-id staging --from-cluster" in finding["message"]


def test_a_copy_with_its_own_names_passes(repo_copy: Path) -> None:
    copy_prod(repo_copy, old="prod-x7k2p", new="staging-q9w8e")
    result = run_in_process(check_cli, "staging", "--format", "json")
    assert result.code == 0, result.out
    assert infra_findings(result.out) == []


def test_set_infra_id_refuses_another_clusters_infra_id(repo_copy: Path) -> None:
    facts = copy_prod(repo_copy, old="prod-x7k2p", new="staging-q9w8e")
    before = facts.read_text()
    result = run_in_process(set_infra_id, "staging", "--infra-id", "prod-x7k2p")
    assert result.code == 2
    assert result.err.startswith(
        "set-infra-id: overlays/staging/facts/cluster.yaml: refused: infraID prod-x7k2p is also"
    )
    assert facts.read_text() == before


def test_check_reads_each_clusters_facts_a_fixed_number_of_times(
    repo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each cluster is compared with every other: their facts are read once per run for that,
    # not once per pair (a 200-cluster check read 40,000 facts files).
    from accelcap import facts as facts_module

    for name in ("staging", "dev", "qa"):
        copy_prod(repo_copy, name)
    read: collections.Counter[Path] = collections.Counter()
    real = facts_module.load_facts_file

    def counting(path: Path, *args: t.Any) -> t.Any:
        read[path] += 1
        return real(path, *args)

    monkeypatch.setattr(facts_module, "load_facts_file", counting)
    result = run_in_process(check_cli, "--format", "json", "--skip", "validate", "--skip", "quota-plan")
    assert result.code == 1, result.err  # the copies share prod's infraID
    assert len(read) == 4 and max(read.values()) <= 2, read
