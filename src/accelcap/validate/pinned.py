"""The pinned upstream files of ``crds.yaml``, fetched by sha256, and the schemas made from them.

Each row names an upstream repository, a commit and a path, and the sha256 of that file. A
file is fetched from the mirror (``Settings.crd_mirror``: GitHub's raw file URLs unless
``ACCELCAP_CRD_MIRROR`` or ``crd-mirror`` names another base URL or a directory, laid out
``<owner>/<repo>/<commit>/<path>``), checked against its sha256 before anything uses it, and
kept in the cache by its sha256; a file that is already cached is never fetched again. A
mismatch, an unreachable mirror or a missing file is bad input (exit 2) and caches nothing.

``GeneratedSchemas.ensure(group, kind)`` fills the ``{generated}`` directory the first time a
kind is asked for: CRDs (``crds:``) converted with the project's converter, JSON schemas
(``schemas:``, for kinds whose CRD has no pinned source) copied as they are. The directory is
in the cache, keyed by the manifest and the converter version, so a changed pin or converter
never reuses stale files, and a second run needs no network at all. Nothing is written into
the repository.
"""

from __future__ import annotations

import functools
import hashlib
import json
import typing as t
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath

from ..config import MIRROR_ENV, MIRROR_SETTING, Settings
from ..errors import InputError
from ..files import read_bytes, write_atomically
from ..paths import inside, is_inside
from ..yamlload import load_documents
from .convert import CONVERTER_VERSION, ConvertedSchema, convert_documents, schema_relative_path
from .fetch import cache_dir, http_get, parse_json

MANIFEST = "crds.yaml"
WHERE = f"accelcap/validate/{MANIFEST}"
_FILE_FIELDS = ("kind", "group", "repo", "commit", "path", "sha256")
_CRD_FIELDS = (*_FILE_FIELDS, "versions")
_SCHEMA_FIELDS = (*_FILE_FIELDS, "version")


@dataclass(frozen=True)
class PinnedFile:
    """One upstream file at a pinned commit."""

    kind: str
    group: str
    repo: str
    commit: str
    path: str
    sha256: str
    used_for: str

    @property
    def relative(self) -> str:
        """``<owner>/<repo>/<commit>/<path>``: where it is in a mirror (and on GitHub)."""
        return f"{self.repo}/{self.commit}/{self.path}"


@dataclass(frozen=True)
class PinnedCRD(PinnedFile):
    """A CustomResourceDefinition, converted into one schema per served version."""

    versions: tuple[str, ...]
    #: The datreeio/CRDs-catalog file of the same kind, where one exists (tests compare).
    catalog: str | None


@dataclass(frozen=True)
class PinnedSchema(PinnedFile):
    """A JSON schema in kubeconform's format, used as it is (for kinds without a pinned CRD)."""

    version: str

    @property
    def relative_path(self) -> str:
        return schema_relative_path(self.group, self.kind, self.version)


@functools.cache
def manifest_text() -> str:
    try:
        return resources.files("accelcap.validate").joinpath(MANIFEST).read_text()
    except (OSError, ModuleNotFoundError) as error:
        raise InputError(WHERE, f"not installed with the package: {error}") from None


def _rows(document: dict[str, t.Any], key: str, fields: tuple[str, ...]) -> list[dict[str, t.Any]]:
    rows = document.get(key) or []
    if not isinstance(rows, list):
        raise InputError(WHERE, f"{key} must be a list")
    for number, row in enumerate(rows):
        missing = [f for f in fields if not isinstance(row, dict) or f not in row]
        if missing:
            raise InputError(WHERE, f"{key}[{number}] lacks {', '.join(missing)}")
    return rows


def _common(row: dict[str, t.Any]) -> dict[str, str]:
    return {
        "kind": str(row["kind"]), "group": str(row["group"]), "repo": str(row["repo"]),
        "commit": str(row["commit"]), "path": str(row["path"]), "sha256": str(row["sha256"]),
        "used_for": str(row.get("used-for", "")),
    }  # fmt: skip


@functools.cache
def _manifest() -> dict[str, t.Any]:
    documents = load_documents(manifest_text(), WHERE)
    if len(documents) != 1 or not isinstance(documents[0].get("crds"), list):
        raise InputError(WHERE, "expected one document with a list 'crds' (and optionally 'schemas')")
    return t.cast(dict[str, t.Any], documents[0])


@functools.cache
def pinned_crds() -> tuple[PinnedCRD, ...]:
    """Every CRD row of the manifest, checked for the fields each needs."""
    return tuple(
        PinnedCRD(**_common(row), versions=tuple(map(str, row["versions"])), catalog=row.get("catalog"))
        for row in _rows(_manifest(), "crds", _CRD_FIELDS)
    )


@functools.cache
def pinned_schemas() -> tuple[PinnedSchema, ...]:
    """Every JSON-schema row of the manifest."""
    return tuple(
        PinnedSchema(**_common(row), version=str(row["version"]))
        for row in _rows(_manifest(), "schemas", _SCHEMA_FIELDS)
    )


@functools.cache
def pinned_data_files() -> dict[str, PinnedFile]:
    """The rows of ``files:``: upstream files that are data, by ``name``."""
    return {
        str(row["name"]): PinnedFile(**_common(row)) for row in _rows(_manifest(), "files", ("name", *_FILE_FIELDS))
    }


def pinned_file(name: str) -> PinnedFile:
    """The ``files:`` row ``name``; a missing one is a broken installation (bad input)."""
    found = pinned_data_files().get(name)
    if found is None:
        raise InputError(WHERE, f"no pinned file named {name!r} under files:")
    return found


def pinned_files() -> tuple[PinnedFile, ...]:
    return (*pinned_crds(), *pinned_schemas(), *pinned_data_files().values())


def find_pinned(group: str, kind: str) -> PinnedCRD | None:
    for crd in pinned_crds():
        if crd.group == group and crd.kind.lower() == kind.lower():
            return crd
    return None


def find_pinned_schemas(group: str, kind: str) -> list[PinnedSchema]:
    return [s for s in pinned_schemas() if s.group == group and s.kind.lower() == kind.lower()]


# --- fetching -----------------------------------------------------------------------------


def cached_path(pin: PinnedFile) -> Path:
    """Where a fetched and verified file is kept: named by its sha256, so it is never stale."""
    return cache_dir() / "pinned" / pin.sha256


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _from_mirror(pin: PinnedFile, settings: Settings) -> tuple[bytes, str]:
    """The file's bytes from the configured mirror, and its address there."""
    base, setting = settings.crd_mirror
    fix = (
        f"point {MIRROR_ENV} (or {MIRROR_SETTING} in pyproject.toml) at a mirror laid out "
        "<owner>/<repo>/<commit>/<path>"
        if setting != MIRROR_ENV
        else f"check {MIRROR_ENV} (a directory or http(s) URL laid out <owner>/<repo>/<commit>/<path>)"
    )
    if base.startswith(("http://", "https://")):
        address = f"{base.rstrip('/')}/{pin.relative}"
        try:
            body = http_get(address)
        except InputError as error:
            raise InputError(address, f"cannot fetch the pinned file ({error.what}); {fix}") from None
        if body is None:
            raise InputError(address, f"the mirror has no such file (HTTP 404); {fix}")
        return body, address
    path = _mirror_file(Path(base), pin, settings)
    if not path.is_file():
        raise InputError(str(path), f"the mirror has no such file; {fix}")
    return read_bytes(path, str(path)), str(path)


def _mirror_file(mirror: Path, pin: PinnedFile, settings: Settings) -> Path:
    """Where ``pin`` is in the mirror directory ``mirror``.

    The pin's repository, commit and path are data: they name a file below the mirror, never
    above it. Links inside the mirror are the site's own (a mirror made of links to checkouts
    or to a shared store is a fine mirror), and whatever is read is checked against its sha256;
    but a mirror inside the repository is repository content, so what it holds, links
    followed, stays inside the repository.
    """
    relative = PurePosixPath(pin.relative)
    if relative.is_absolute() or ".." in relative.parts:
        raise InputError(f"{MANIFEST}: {pin.relative}", f"leads outside the mirror {mirror}")
    path = mirror / relative
    if is_inside(settings.root, mirror):
        inside(settings.root, path, str(path))
    return path


def fetch_pinned(pin: PinnedFile, settings: Settings) -> bytes:
    """The bytes of ``pin``, from the cache or the mirror; always matching its sha256."""
    cached = cached_path(pin)
    if cached.is_file():
        data = read_bytes(cached)
        if _digest(data) == pin.sha256:
            return data
        cached.unlink(missing_ok=True)  # damaged in the cache: fetch it again
    data, address = _from_mirror(pin, settings)
    digest = _digest(data)
    if digest != pin.sha256:
        raise InputError(
            address,
            f"sha256 {digest[:12]}… differs from the pin {pin.sha256[:12]}… in {MANIFEST} "
            "(the mirror is damaged or not the pinned file); nothing was cached",
        )
    write_atomically(cached, data)
    return data


def convert_pinned(crd: PinnedCRD, settings: Settings) -> list[ConvertedSchema]:
    """The schemas of one pinned CRD (fetched and checked first)."""
    where = f"{crd.repo}/{crd.path}@{crd.commit[:12]}"
    return convert_documents(load_documents(fetch_pinned(crd, settings), where), where)


def pinned_schema(pin: PinnedSchema, settings: Settings) -> dict[str, t.Any]:
    """The JSON schema of one pinned schema row (fetched and checked first)."""
    where = f"{pin.repo}/{pin.path}@{pin.commit[:12]}"
    schema = parse_json(fetch_pinned(pin, settings), where)
    if not isinstance(schema, dict):
        raise InputError(where, "not a JSON schema: the document is not an object")
    return schema


# --- the generated directory --------------------------------------------------------------


def default_generated_dir() -> Path:
    try:
        manifest = manifest_text()
    except InputError:  # not installed: only a lookup of a pinned kind needs it, and fails then
        manifest = ""
    key = hashlib.sha256((CONVERTER_VERSION + manifest).encode()).hexdigest()[:16]
    return cache_dir() / "generated" / key


def _schema_bytes(schema: dict[str, t.Any]) -> bytes:
    return (json.dumps(schema, indent=2, sort_keys=True) + "\n").encode()


def _write_schemas(
    directory: Path, schemas: t.Iterable[tuple[str, str, t.Callable[[], dict[str, t.Any]]]]
) -> list[Path]:
    """Write each (relative path, where, schema) under ``directory``. A path that would leave
    it is bad input named at ``where``, found before ``schema()`` runs, so nothing is fetched
    for a file that cannot be written."""
    written = []
    for relative_path, where, schema in schemas:
        target = inside(directory, relative_path, where, f"the output directory {directory}")
        write_atomically(target, _schema_bytes(schema()))
        written.append(target)
    return written


def write_schemas(converted: t.Iterable[ConvertedSchema], directory: Path) -> list[Path]:
    """Write each schema under ``directory``; a path that would leave it is bad input (the
    converter checked group, kind and version already: this holds whatever the caller)."""
    return _write_schemas(
        directory,
        ((s.relative_path, f"{s.group}/{s.kind} {s.version}", s.schema.copy) for s in converted),
    )


def write_pinned_schemas(pins: t.Iterable[PinnedSchema], directory: Path, settings: Settings) -> list[Path]:
    return _write_schemas(
        directory,
        ((p.relative_path, f"{MANIFEST}: {p.relative}", functools.partial(pinned_schema, p, settings)) for p in pins),
    )


class GeneratedSchemas:
    """The ``{generated}`` directory, filled from the pinned files on demand."""

    def __init__(self, settings: Settings, directory: Path | None = None) -> None:
        self.settings = settings
        self.directory = directory or default_generated_dir()
        self._done: set[tuple[str, str]] = set()

    def ensure(self, group: str, kind: str) -> None:
        """Fill in the schemas of ``group``/``kind`` unless they are already there."""
        key = (group, kind.lower())
        if key in self._done:
            return
        self._done.add(key)
        crd = find_pinned(group, kind)
        if crd is not None:
            expected = [self.directory / schema_relative_path(group, crd.kind, v) for v in crd.versions]
            if not all(p.is_file() for p in expected):
                write_schemas(convert_pinned(crd, self.settings), self.directory)
            return
        missing = [s for s in find_pinned_schemas(group, kind) if not (self.directory / s.relative_path).is_file()]
        if missing:
            write_pinned_schemas(missing, self.directory, self.settings)
