"""What a tool's PATH arguments (or ``--changed`` files) name, rendered.

A PATH is an overlay directory or its name under ``overlays/``, a file of rendered YAML, or
``-`` for standard input; no PATH means every overlay; ``--changed FILE...`` means the
overlays those files touch.
"""

from __future__ import annotations

import contextlib
import typing as t
from pathlib import Path

from ..affected import affected_overlays, list_overlays
from ..config import Settings, load_settings
from ..errors import InputError
from ..files import read_bytes, read_stdin
from ..yamlload import load_documents
from .applications import rendering_overlays
from .builds import BuildCache
from .model import Document, KnownSource, RenderedOverlay


def load_rendered(path: str, settings: Settings | None = None) -> list[Document]:
    """Documents of already-rendered YAML: a file, or ``-`` for standard input."""
    settings = settings or load_settings()
    if path == "-":
        return [Document(obj, "<stdin>", "<stdin>") for obj in load_documents(read_stdin(), "<stdin>")]
    file = Path(path)
    where = settings.relative(file)
    text = read_bytes(file, where)
    return [Document(obj, where, where, source=KnownSource(where)) for obj in load_documents(text, where)]


def resolve_targets(
    paths: t.Sequence[str], settings: Settings | None = None, changed: t.Sequence[str] | None = None
) -> list[Path | str]:
    """CLI PATH arguments -> overlay directories, rendered-YAML files or ``-``.

    No PATH means every overlay, or, when ``changed`` lists changed files (pre-commit), the
    overlays those files touch (``accelcap.affected``), possibly none. A PATH that is
    neither a directory, a file nor ``-`` is an error naming the overlays that exist.
    """
    settings = settings or load_settings()
    if changed is not None:
        if paths:
            raise InputError("usage", "give PATHs or --changed, not both")
        return list(affected_overlays(changed, settings))
    if not paths:
        return list(list_overlays(settings))
    targets: list[Path | str] = []
    for raw in paths:
        if raw == "-":
            targets.append(raw)
            continue
        candidate = Path(raw)
        if not candidate.exists() and not candidate.is_absolute():
            under_overlays = settings.overlays / raw
            candidate = under_overlays if under_overlays.exists() else candidate
        if candidate.is_dir():
            targets.append(candidate)
        elif candidate.is_file():
            targets.append(str(candidate))
        else:
            known = ", ".join(p.name for p in list_overlays(settings)) or "none"
            raise InputError(raw, f"no such overlay, directory or file (overlays: {known})")
    return targets


def render_targets(
    paths: t.Sequence[str],
    settings: Settings | None = None,
    follow: bool = True,
    changed: t.Sequence[str] | None = None,
    allow_remote: bool = False,
    cache: BuildCache | None = None,
) -> list[RenderedOverlay]:
    """Render every CLI target; see ``rendering_targets``."""
    with rendering_targets(paths, settings, follow, changed, allow_remote, cache) as rendered:
        return list(rendered)


@contextlib.contextmanager
def rendering_targets(
    paths: t.Sequence[str],
    settings: Settings | None = None,
    follow: bool = True,
    changed: t.Sequence[str] | None = None,
    allow_remote: bool = False,
    cache: BuildCache | None = None,
) -> t.Iterator[t.Iterator[RenderedOverlay]]:
    """Every CLI target rendered, in the order given, while the later ones still render.

    A rendered-YAML file or ``-`` becomes an overlay of its own (with no cluster directory:
    ``accelcap.model`` gives it the facts of a cluster the user names). The overlays render at once,
    sharing the builds of the run (``rendering_overlays``). ``allow_remote``: see
    ``render_overlay``.
    """
    settings = settings or load_settings()
    targets = resolve_targets(paths, settings, changed)
    directories = [target for target in targets if isinstance(target, Path)]
    with rendering_overlays(directories, settings, follow, allow_remote, cache) as overlays:

        def in_order() -> t.Iterator[RenderedOverlay]:
            for target in targets:
                if isinstance(target, Path):
                    yield next(overlays)
                else:
                    documents = load_rendered(target, settings)
                    name = documents[0].overlay if documents else target
                    yield RenderedOverlay(Path(target), name, documents, [])

        yield in_order()
