"""Each schema checked against its meta-schema once, not once per run.

``check_schema`` (jsonschema's meta-validation) of the pinned CRD schemas took about a third of
``validate``'s Python work on a 20-cluster fleet: the Argo CD Application schema alone is
175 KB and draft 4's meta-schema is a ``$ref`` to itself at every level. The schemas are files
the tools fetch by sha256 and convert into the cache, identical from run to run, so a schema
that passed is recorded in the cache (``cache_dir()/schema-checks``) under the sha256 of its
canonical JSON, its meta-schema and the jsonschema version that checked it; a later run with
the same three skips the check. Only passing is recorded: a bad schema is checked, and
refused, every time. The cache is the tools' own directory (``$ACCELCAP_CACHE_DIR`` or
``$XDG_CACHE_HOME/accelcap``), outside the repository, the same trust as the converted schemas
it sits beside: a pull request cannot add a record.
"""

from __future__ import annotations

import hashlib
import json
import typing as t
from importlib import metadata

import jsonschema

from ..errors import InputError
from ..files import write_atomically
from .fetch import cache_dir

#: Changes when what a record means changes (bump to ignore every earlier record).
RECORD_VERSION = "1"
DIRECTORY = "schema-checks"

#: Digests checked by this process: a second ``Validator`` in one process (the tests, the
#: generator) does not even look at the disk.
_checked: set[str] = set()


def _canonical(value: t.Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


#: validator class -> what its checks depend on besides the schema.
_salts: dict[type[t.Any], str] = {}


def _salt(cls: type[t.Any]) -> str:
    if cls not in _salts:
        # The formats the meta-schema's format checker asserts depend on optional packages.
        formats = ",".join(sorted(cls.FORMAT_CHECKER.checkers))
        meta = _canonical(cls.META_SCHEMA)
        _salts[cls] = f"{RECORD_VERSION}\0{metadata.version('jsonschema')}\0{formats}\0{meta}\0"
    return _salts[cls]


def schema_digest(cls: type[t.Any], schema: t.Any) -> str | None:
    """What a check of ``schema`` by ``cls`` depends on: the schema's canonical JSON, the
    meta-schema and the jsonschema release (its meta-schemas and format checkers). None for
    a schema that is no JSON (keys that are not strings): checked every time."""
    try:
        body = _canonical(schema)
    except (TypeError, ValueError):
        return None
    return hashlib.sha256((_salt(cls) + body).encode()).hexdigest()


def check_schema_once(cls: type[t.Any], schema: t.Any, source: str) -> None:
    """``cls.check_schema(schema)`` unless a record says this schema passed it; an invalid
    schema is bad input naming ``source`` and where in the schema it is wrong."""
    digest = schema_digest(cls, schema)
    if digest in _checked:
        return
    record = cache_dir() / DIRECTORY / digest if digest else None
    if record is not None and record.is_file():
        _checked.add(t.cast(str, digest))
        return
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as error:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        raise InputError(source, f"not a valid JSON schema at {where}: {error.message}") from None
    if record is None:
        return
    _checked.add(record.name)
    try:
        write_atomically(record, b"")
    except (InputError, OSError):
        pass  # a cache that cannot be written costs the check next time, nothing else
