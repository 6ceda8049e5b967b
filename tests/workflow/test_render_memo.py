"""The render memo of the in-process tool tests (tests/render_memo.py) keeps nothing it should not:
a build over other bytes renders again, a copy with the same bytes elsewhere does not, and a
failing build fails every time."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelcap.config import load_settings
from accelcap.errors import InputError
from accelcap.model import render_model
from render_memo import RenderMemo
from support import copy_repository


def render(root: Path) -> list[tuple[str, str]]:
    load_settings.cache_clear()
    settings = load_settings(root)
    model = render_model(settings.overlays / "prod", settings)
    return sorted((d.kind, d.name) for d in model.documents)


def test_same_bytes_hit_other_bytes_miss_errors_are_not_kept(tmp_path: Path) -> None:
    first, second = copy_repository(tmp_path / "a"), copy_repository(tmp_path / "b")
    memo = RenderMemo()
    with memo.installed():
        rendered = render(first)
        built = memo.misses
        assert built > 0 and memo.hits == 0
        assert render(second) == rendered  # the same files in another directory
        assert (memo.misses, memo.hits) == (built, built)

        pool = second / "overlays" / "prod" / "capacity" / "gpu-us-west-2a" / "pool.yaml"
        pool.write_text(pool.read_text().replace("maxReplicas: 2 ", "maxReplicas: 3 "))
        render(second)
        assert memo.misses == 2 * built  # every build of the edited repository ran again

        limits = second / "overlays" / "prod" / "capacity" / "gpu-limits.yaml"
        limits.write_text("kind: [\n")
        with pytest.raises(InputError):
            render(second)
        failed = memo.misses
        with pytest.raises(InputError):
            render(second)
        assert memo.misses > failed  # the failing build went to kustomize again
    load_settings.cache_clear()
