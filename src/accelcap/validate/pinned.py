"""The pinned CRDs of ``crds.yaml`` and the directory of schemas generated from them.

``GeneratedSchemas.ensure(group, kind)`` converts the pinned CRD of that kind from the
shared mirror (after checking its sha256) into the generated directory the first time a
``{generated}`` location is asked for it. The default directory is in the cache, keyed by
the manifest and the converter version, so a changed pin or converter never reuses stale
files; ``--generated DIR`` puts them elsewhere. Nothing is written into the repository.
"""

from __future__ import annotations

import functools
import hashlib
import json
import typing as t
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..config import Settings
from ..errors import InputError
from ..files import read_bytes, write_atomically
from ..paths import inside
from ..yamlload import load_documents
from .convert import CONVERTER_VERSION, ConvertedSchema, convert_documents
from .fetch import cache_dir

MANIFEST = "crds.yaml"
_FIELDS = ("kind", "group", "versions", "repo", "commit", "path", "mirror", "sha256")


@dataclass(frozen=True)
class PinnedCRD:
    kind: str
    group: str
    versions: tuple[str, ...]
    repo: str
    commit: str
    path: str
    mirror: str
    sha256: str
    catalog: str | None
    used_for: str

    def mirror_path(self, settings: Settings) -> Path:
        return settings.shared / "crds" / self.mirror


@functools.cache
def manifest_text() -> str:
    try:
        return resources.files("accelcap.validate").joinpath(MANIFEST).read_text()
    except (OSError, ModuleNotFoundError) as error:
        raise InputError(f"accelcap/validate/{MANIFEST}", f"not installed with the package: {error}") from None


@functools.cache
def pinned_crds() -> tuple[PinnedCRD, ...]:
    """Every row of the manifest, checked for the fields each needs."""
    where = f"accelcap/validate/{MANIFEST}"
    documents = load_documents(manifest_text(), where)
    rows = documents[0].get("crds") if len(documents) == 1 else None
    if not isinstance(rows, list):
        raise InputError(where, "expected one document with a list 'crds'")
    pinned = []
    for number, row in enumerate(rows):
        missing = [f for f in _FIELDS if not isinstance(row, dict) or f not in row]
        if missing:
            raise InputError(where, f"crds[{number}] lacks {', '.join(missing)}")
        pinned.append(
            PinnedCRD(
                kind=str(row["kind"]), group=str(row["group"]), versions=tuple(map(str, row["versions"])),
                repo=str(row["repo"]), commit=str(row["commit"]), path=str(row["path"]),
                mirror=str(row["mirror"]), sha256=str(row["sha256"]),
                catalog=row.get("catalog"), used_for=str(row.get("used-for", "")),
            )
        )  # fmt: skip
    return tuple(pinned)


def find_pinned(group: str, kind: str) -> PinnedCRD | None:
    for crd in pinned_crds():
        if crd.group == group and crd.kind.lower() == kind.lower():
            return crd
    return None


def convert_pinned(crd: PinnedCRD, settings: Settings) -> list[ConvertedSchema]:
    """The schemas of one pinned CRD, from its mirror; a missing or changed mirror fails."""
    path = crd.mirror_path(settings)
    where = settings.relative(path)
    if not settings.shared.is_dir():
        raise InputError(
            f"{crd.group}/{crd.kind}",
            f"the shared data directory {settings.shared} does not exist (set ACCELCAP_SHARED or shared-dir)",
        )
    data = read_bytes(path, where)
    digest = hashlib.sha256(data).hexdigest()
    if digest != crd.sha256:
        raise InputError(where, f"sha256 {digest[:12]}… differs from the pin {crd.sha256[:12]}… in {MANIFEST}")
    return convert_documents(load_documents(data, where), where)


def default_generated_dir() -> Path:
    try:
        manifest = manifest_text()
    except InputError:  # not installed: only a lookup of a pinned CRD needs it, and fails then
        manifest = ""
    key = hashlib.sha256((CONVERTER_VERSION + manifest).encode()).hexdigest()[:16]
    return cache_dir() / "generated" / key


def write_schemas(converted: t.Iterable[ConvertedSchema], directory: Path) -> list[Path]:
    """Write each schema under ``directory``; a path that would leave it is bad input (the
    converter checked group, kind and version already: this holds whatever the caller)."""
    written = []
    for schema in converted:
        where = f"{schema.group}/{schema.kind} {schema.version}"
        target = directory / schema.relative_path
        inside(directory, schema.relative_path, where, f"the output directory {directory}")
        write_atomically(target, (json.dumps(schema.schema, indent=2, sort_keys=True) + "\n").encode())
        written.append(target)
    return written


class GeneratedSchemas:
    """The ``{generated}`` directory, filled from the pinned CRDs on demand."""

    def __init__(self, settings: Settings, directory: Path | None = None) -> None:
        self.settings = settings
        self.directory = directory or default_generated_dir()
        self._done: set[tuple[str, str]] = set()

    def ensure(self, group: str, kind: str) -> None:
        """Convert the pinned CRD of ``group``/``kind`` unless its schemas are already there."""
        key = (group, kind.lower())
        if key in self._done:
            return
        self._done.add(key)
        crd = find_pinned(group, kind)
        if crd is None:
            return
        expected = [self.directory / group / f"{crd.kind.lower()}_{v}.json" for v in crd.versions]
        if all(p.is_file() for p in expected):
            return
        write_schemas(convert_pinned(crd, self.settings), self.directory)
