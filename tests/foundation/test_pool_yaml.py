"""pool.yaml, the one file of a pool's settings: what is refused (one line, exit 2) and why."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from accelcap.config import load_settings
from accelcap.errors import InputError
from accelcap.pool_file import pools_of_build
from accelcap.validate import cli as validate_cli
from support import enable_inferentia, run_in_process

POOL = Path("overlays/prod/capacity/gpu-us-west-2a")
WHERE = f"{POOL}/pool.yaml"


def validate(root: Path) -> subprocess.CompletedProcess[str]:
    """``validate`` (every overlay) on the repository at ``root``, its command line run in this
    process (``tools/validate`` in a process of its own: tests/validate)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ACCELCAP_REPO", str(root))
        load_settings.cache_clear()
        result = run_in_process(validate_cli)
    return subprocess.CompletedProcess(["validate"], result.code, result.out, result.err)


def edit(root: Path, old: str, new: str, file: Path = POOL / "pool.yaml") -> None:
    text = (root / file).read_text()
    assert old in text, old
    (root / file).write_text(text.replace(old, new, 1))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "  maxReplicas: 2 ",
            "  maxReplica: 2 ",
            "unknown key 'maxReplica' (did you mean maxReplicas?)",
        ),
        (
            "  market: Spot ",
            "  market: spot ",
            "spec/market: 'spot' is not one of ['Spot', 'OnDemand', 'CapacityBlock']",
        ),
        ("  volumeSize: 120 ", "  volumeSize: 120Gi ", "spec/volumeSize: '120Gi' is not of type 'integer'"),
        ("  minReplicas: 0\n", "  minReplicas: 3\n", "spec: minReplicas 3 is above maxReplicas 2"),
        (
            "  minReplicas: 0\n",
            "  replicas: 0\n  minReplicas: 0\n",
            (
                "spec: say replicas (a pool scaled by hand, components/pool/replicas) or minReplicas and "
                "maxReplicas (an autoscaled pool, components/autoscaling/pool), not both"
            ),
        ),
        ("  name: gpu-us-west-2a\n", "  name: gpu-us-west-2b\n", "metadata/name is 'gpu-us-west-2b' but the pool's"),
    ],
    ids=["misspelt key", "market case", "size with a unit", "min above max", "both scalings", "name not the dir"],
)
def test_a_bad_pool_yaml_is_one_line_of_bad_input(repo_copy: Path, old: str, new: str, message: str) -> None:
    edit(repo_copy, old, new)
    result = validate(repo_copy)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith(f"validate: {WHERE}: ") and result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr


def test_the_scaling_component_and_pool_yaml_must_agree(repo_copy: Path) -> None:
    """A pool directory that says "scaled by hand" while its pool.yaml says min/max: kustomize
    itself refuses, because the replicas the component copies are not there."""
    edit(
        repo_copy,
        "  - ../../../../components/autoscaling/pool\n",
        "  - ../../../../components/pool/replicas\n",
        POOL / "kustomization.yaml",
    )
    result = validate(repo_copy)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "fieldPath `spec.replicas` is missing for replacement source Pool" in result.stderr


def test_a_gpu_pool_needs_its_accelerator_label(repo_copy: Path) -> None:
    edit(repo_copy, "  acceleratorLabel: nvidia-a10g\n", "")
    result = validate(repo_copy)
    assert result.returncode == 2 and "fieldPath `spec.acceleratorLabel` is missing" in result.stderr


def test_two_pools_of_one_name(repo_copy: Path) -> None:
    """The Inferentia pool renamed after the GPU pool: tools could not tell which is which."""
    inferentia = repo_copy / "overlays" / "prod" / "inferentia" / "capacity"
    (inferentia / "inf2-us-west-2a").rename(inferentia / "gpu-us-west-2a")
    edit(repo_copy, "inf2-us-west-2a", "gpu-us-west-2a", inferentia.relative_to(repo_copy) / "kustomization.yaml")
    edit(
        repo_copy,
        "  name: inf2-us-west-2a\n",
        "  name: gpu-us-west-2a\n",
        inferentia.relative_to(repo_copy) / "gpu-us-west-2a" / "pool.yaml",
    )
    enable_inferentia(repo_copy)
    result = validate(repo_copy)
    assert result.returncode == 2 and "two pools are named gpu-us-west-2a" in result.stderr, result.stderr


def test_a_pool_listed_under_bases_is_read(repo_copy: Path) -> None:
    # kustomize loads bases as it loads resources: a pool reached that way is still compared
    # with its pool.yaml (CAP030), not skipped.
    edit(repo_copy, "resources:", "bases:", POOL.parent / "kustomization.yaml")
    pools = pools_of_build(repo_copy / POOL.parent, load_settings(repo_copy))
    assert [pool.file for pool in pools] == [WHERE]


def test_a_kustomization_the_pools_cannot_read_is_named_from_the_repository(repo_copy: Path) -> None:
    (repo_copy / POOL / "kustomization.yaml").write_text("resources: [\n")
    with pytest.raises(InputError) as raised:
        pools_of_build(repo_copy / POOL.parent, load_settings(repo_copy))
    assert str(raised.value).startswith(f"{POOL}/kustomization.yaml:")
