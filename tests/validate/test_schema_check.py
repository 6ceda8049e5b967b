"""Each schema is meta-validated once per cache (``accelcap.validate.schema_check``): a passing
schema is recorded and not checked again; a bad one is refused every time."""

from __future__ import annotations

import typing as t
from pathlib import Path

import jsonschema
import pytest

from accelcap.errors import InputError
from accelcap.identifiers import with_ecma_patterns
from accelcap.validate import schema_check
from accelcap.validate.resolver import compile_schema


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache, and nothing remembered by this process."""
    monkeypatch.setenv("ACCELCAP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(schema_check, "_checked", set())
    return tmp_path / "cache"


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[t.Any]:
    """Every schema jsonschema meta-validates."""
    seen: list[t.Any] = []
    for dialect in (jsonschema.Draft4Validator, jsonschema.Draft202012Validator):
        validator = with_ecma_patterns(dialect)  # the classes compile_schema uses
        original = validator.check_schema

        def counting(schema: t.Any, *args: t.Any, original: t.Any = original, **kwargs: t.Any) -> None:
            seen.append(schema)
            original(schema, *args, **kwargs)

        monkeypatch.setattr(validator, "check_schema", counting)
    return seen


SCHEMA = {"type": "object", "properties": {"name": {"type": "string", "pattern": "^[a-z]+$"}}}


def test_a_passing_schema_is_checked_once_per_cache(cache: Path, checks: list[t.Any]) -> None:
    compile_schema(SCHEMA, "a.json")
    assert len(checks) == 1
    assert len(list((cache / schema_check.DIRECTORY).iterdir())) == 1
    schema_check._checked.clear()  # a later run: a new process, the same cache
    compile_schema({**SCHEMA}, "b.json")
    assert len(checks) == 1


def test_another_schema_or_dialect_is_checked(cache: Path, checks: list[t.Any]) -> None:
    compile_schema(SCHEMA, "a.json")
    compile_schema({**SCHEMA, "required": ["name"]}, "a.json")
    compile_schema({**SCHEMA, "$schema": "https://json-schema.org/draft/2020-12/schema"}, "a.json")
    assert len(checks) == 3


@pytest.mark.parametrize("bad", [{"type": 5}, {"properties": {"name": {"required": "name"}}}])
def test_a_bad_schema_is_refused_every_time(cache: Path, checks: list[t.Any], bad: dict[str, t.Any]) -> None:
    for _ in range(2):
        with pytest.raises(InputError, match="not a valid JSON schema"):
            compile_schema(bad, "bad.json")
    assert len(checks) == 2
    assert not (cache / schema_check.DIRECTORY).exists()


def test_a_record_of_another_schema_does_not_pass_a_bad_one(cache: Path) -> None:
    compile_schema(SCHEMA, "a.json")
    record = next((cache / schema_check.DIRECTORY).iterdir())
    bad = {"type": 5}
    assert schema_check.schema_digest(jsonschema.Draft4Validator, bad) != record.name
    with pytest.raises(InputError, match="not a valid JSON schema at type"):
        compile_schema(bad, "bad.json")


def test_a_cache_that_cannot_be_written_still_checks(cache: Path, checks: list[t.Any]) -> None:
    cache.mkdir()
    (cache / schema_check.DIRECTORY).write_text("a file where the directory would be")
    compile_schema(SCHEMA, "a.json")
    with pytest.raises(InputError, match="not a valid JSON schema"):
        compile_schema({"type": 5}, "bad.json")
    assert len(checks) == 2


def test_a_schema_that_is_no_json_is_checked_every_time(cache: Path, checks: list[t.Any]) -> None:
    odd = {"type": "object", "properties": {1: {"type": "string"}, "a": {}}}  # a key that is no string
    assert schema_check.schema_digest(jsonschema.Draft4Validator, odd) is None
    compile_schema(odd, "odd.json")
    compile_schema(odd, "odd.json")
    assert len(checks) == 2
