"""One way to turn a jsonschema error into (JSON path, message), for every schema we check."""

from __future__ import annotations

import typing as t

import jsonschema

from ..yamlload import pointer_step


def json_pointer(parts: t.Iterable[object]) -> str:
    """``["spec", "template", 0]`` -> ``/spec/template/0`` (RFC 6901 escaping)."""
    steps = [pointer_step(p) for p in parts]
    return "/" + "/".join(steps) if steps else "/"


def error_path_and_message(error: jsonschema.ValidationError, prefix: str = "") -> tuple[str, str]:
    """The path of the object that is wrong and why, as kubeconform reports it.

    For ``anyOf``/``oneOf`` the most relevant branch error is reported when it points
    deeper into the object, since "is not valid under any of the given schemas" alone does
    not say which field to fix.
    """
    if error.context:
        best = jsonschema.exceptions.best_match(error.context)
        if best is not None and len(best.absolute_path) > len(error.absolute_path):
            error = best
    path = json_pointer(error.absolute_path)
    if prefix:
        path = prefix.rstrip("/") + (path if path != "/" else "")
    return path, error.message
