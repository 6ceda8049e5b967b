"""kustomize failures become one readable line, whatever shape kubectl wraps them in."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelcap.config import load_settings
from accelcap.errors import InputError
from accelcap.render import render_kustomization
from accelcap.render.kustomize import kustomize_message

BLOCK = """E1128 09:43:17.085138    9867 run.go:72] "command failed" err=<
\taccumulating resources: accumulation err='accumulating resources from 'pool': '/r/capacity/pool' must resolve to a file': recursed accumulation of path '/r/capacity/pool': unable to parse SM or JSON patch from [patch: "x"]
 >
"""
#: kustomize itself (``kustomize build``), a configuration it quotes running over lines.
STANDALONE = """Error: accumulating resources: accumulation err='accumulating resources from 'pool': '/r/capacity/pool' must resolve to a file': recursed accumulation of path '/r/capacity/pool': trouble configuring builtin PatchTransformer with config: `
patch: x
target:
  kind: MachineSet
`: unable to parse SM or JSON patch from [patch: "x"]
"""
SINGLE = (
    'E1128 09:13:25.549860    2272 run.go:72] "command failed" err="missing metadata.name in object {{v1 ConfigMap}}"\n'
)


def test_block_record_keeps_innermost_directory_and_cause() -> None:
    assert (
        kustomize_message(BLOCK, "/tmp/w") == 'in /r/capacity/pool: unable to parse SM or JSON patch from [patch: "x"]'
    )


def test_kustomize_itself_keeps_innermost_directory_and_cause() -> None:
    assert kustomize_message(STANDALONE, "/tmp/w") == (
        "in /r/capacity/pool: trouble configuring builtin PatchTransformer with config: ` patch: x target: "
        'kind: MachineSet `: unable to parse SM or JSON patch from [patch: "x"]'
    )
    assert kustomize_message("Error: missing metadata.name in object {{v1 ConfigMap}}\n", "/tmp/w") == (
        "missing metadata.name in object {{v1 ConfigMap}}"
    )


def test_single_line_record() -> None:
    assert kustomize_message(SINGLE, "/tmp/w") == "missing metadata.name in object {{v1 ConfigMap}}"


def test_broken_patch_is_named_in_one_line(repo_copy: Path) -> None:
    pool = repo_copy / "overlays" / "prod" / "capacity" / "gpu-us-west-2a" / "kustomization.yaml"
    pool.write_text(pool.read_text() + "patches:\n  - target: {kind: MachineSet}\n    patch: 'not a patch'\n")
    with pytest.raises(InputError) as caught:
        render_kustomization(
            repo_copy / "overlays" / "prod" / "capacity", "overlays/prod", settings=load_settings(repo_copy)
        )
    message = str(caught.value)
    assert "\n" not in message and "gpu-us-west-2a" in message and "patch" in message
