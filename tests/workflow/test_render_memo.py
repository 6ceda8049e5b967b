"""The render memo of the in-process tool tests (tests/render_memo.py) keeps nothing it should not:
a build over other bytes renders again, a copy with the same bytes elsewhere does not, and a
failing build fails every time."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelcap.config import load_settings
from accelcap.errors import ToolError
from accelcap.render.builds import render_build
from render_memo import RenderMemo
from support import copy_repository


def render(root: Path) -> list[tuple[str, str | None]]:
    """prod's capacity build, as a run renders it (``render.builds``)."""
    load_settings.cache_clear()
    settings = load_settings(root)
    build = render_build(settings.overlays / "prod" / "capacity", settings)
    if build.failure is not None:
        raise build.failure
    return sorted((str(obj.get("kind")), source.file) for obj, source in build.objects)


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
        assert memo.misses == 2 * built  # the edited repository's build ran again

        limits = second / "overlays" / "prod" / "capacity" / "gpu-limits.yaml"
        limits.write_text("kind: [\n")
        with pytest.raises(ToolError):
            render(second)
        failed = memo.misses
        with pytest.raises(ToolError):
            render(second)
        assert memo.misses > failed  # the failing build went to kustomize again
    load_settings.cache_clear()
