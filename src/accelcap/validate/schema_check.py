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

import functools
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


@functools.cache
def _salt(meta_schema: str) -> str:
    return f"{RECORD_VERSION}\0{metadata.version('jsonschema')}\0{meta_schema}\0"


def schema_digest(cls: type[t.Any], schema: t.Any) -> str:
    """What a check of ``schema`` by ``cls`` depends on: the schema's canonical JSON, the
    meta-schema and the jsonschema release (its meta-schemas and format checkers)."""
    salt = _salt(_canonical(cls.META_SCHEMA))
    return hashlib.sha256((salt + _canonical(schema)).encode()).hexdigest()


def check_schema_once(cls: type[t.Any], schema: t.Any, source: str) -> None:
    """``cls.check_schema(schema)`` unless a record says this schema passed it; an invalid
    schema is bad input naming ``source`` and where in the schema it is wrong."""
    digest = schema_digest(cls, schema)
    if digest in _checked:
        return
    record = cache_dir() / DIRECTORY / digest
    if record.is_file():
        _checked.add(digest)
        return
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as error:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        raise InputError(source, f"not a valid JSON schema at {where}: {error.message}") from None
    _checked.add(digest)
    try:
        write_atomically(record, b"")
    except (InputError, OSError):
        pass  # a cache that cannot be written costs the check next time, nothing else
