""" "Did you mean": the nearest known name to a misspelt one, for messages that point at the fix.

- ``did_you_mean(word, known)``: `` (did you mean maxReplicas?)`` or nothing;
- ``unknown_keys(errors, where)``: raises ``InputError`` for the first key a
  schema's ``additionalProperties: false`` refuses, naming the keys allowed there and the
  nearest one. It runs before any other schema check: a misspelt key is the cause of the
  "required" error it leaves behind, and the typo is what the user must fix.
"""

from __future__ import annotations

import difflib
import typing as t

import jsonschema

from .errors import InputError

#: How alike (difflib's ratio) a known name must be to be offered.
CUTOFF = 0.6


def nearest(word: str, known: t.Iterable[str]) -> str | None:
    """The known name nearest to ``word`` (case aside), if one is near enough."""
    choices = {name.lower(): name for name in known}
    found = difflib.get_close_matches(word.lower(), list(choices), n=1, cutoff=CUTOFF)
    return choices[found[0]] if found else None


def distance(a: str, b: str) -> int:
    """Edits (insert, delete, replace) that turn ``a`` into ``b`` (Levenshtein)."""
    previous = list(range(len(b) + 1))
    for i, left in enumerate(a, start=1):
        current = [i]
        for j, right in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (left != right)))
        previous = current
    return previous[-1]


def did_you_mean(word: str, known: t.Iterable[str]) -> str:
    """`` (did you mean X?)`` for the nearest known name, or an empty string."""
    match = nearest(word, known)
    return f" (did you mean {match}?)" if match is not None and match != word else ""


def _allowed(error: jsonschema.ValidationError) -> list[str]:
    schema = error.schema if isinstance(error.schema, dict) else {}
    return sorted(schema.get("properties") or {})


def unknown_keys(errors: t.Iterable[jsonschema.ValidationError], where: str) -> None:
    """Raise ``InputError`` for the first unknown key among a document's schema ``errors``
    (see the module)."""
    for error in errors:
        if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
            continue
        allowed = _allowed(error)
        unknown = sorted(key for key in error.instance if isinstance(key, str) and key not in allowed)
        if not unknown or not allowed:
            continue
        location = "/".join(str(p) for p in error.absolute_path) or "(document)"
        key = unknown[0]
        raise InputError(
            where, f"{location}: unknown key {key!r}{did_you_mean(key, allowed)}; known here: {', '.join(allowed)}"
        )
