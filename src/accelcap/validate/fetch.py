"""Reading schema files from local paths and http(s) URLs, with an on-disk cache for URLs.

Remote schemas are cached under ``cache_dir()/schemas`` named by the sha256 of the URL (as
kubeconform's ``-cache`` and check-jsonschema do) and fetched with a timeout, so a dead
mirror fails fast instead of hanging. A 404 means "not in this location"; anything else
that keeps a URL from answering is bad input (exit 2).
"""

from __future__ import annotations

import hashlib
import json
import os
import typing as t
import urllib.error
import urllib.request
from pathlib import Path

from ..errors import InputError
from ..files import write_atomically

CACHE_ENV = "ACCELCAP_CACHE_DIR"
FETCH_TIMEOUT_SECONDS = 10.0


def cache_dir() -> Path:
    """The tools' cache directory: ``$ACCELCAP_CACHE_DIR``, else ``$XDG_CACHE_HOME/accelcap``."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "accelcap"


def fetch_url(url: str, timeout: float = FETCH_TIMEOUT_SECONDS, use_cache: bool = True) -> bytes | None:
    """The body at ``url`` (cached), or None when the server says it has no such file."""
    cached = cache_dir() / "schemas" / (hashlib.sha256(url.encode()).hexdigest() + ".json")
    if use_cache and cached.is_file():
        return cached.read_bytes()
    request = urllib.request.Request(url, headers={"User-Agent": "accelcap-validate"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = t.cast(bytes, response.read())
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise InputError(url, f"schema location answered HTTP {error.code}") from None
    except (urllib.error.URLError, OSError, TimeoutError) as error:
        reason = getattr(error, "reason", error)
        raise InputError(url, f"schema location unreachable: {reason}") from None
    if use_cache:
        write_atomically(cached, body)
    return body


def parse_json(data: bytes | str, where: str) -> t.Any:
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(where, f"not a JSON schema: {error}") from None


def read_schema(address: str) -> dict[str, t.Any] | None:
    """The schema at a local path or URL; None when it does not exist there."""
    if address.startswith(("http://", "https://")):
        body = fetch_url(address)
        if body is None:
            return None
    else:
        try:
            body = Path(address).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise InputError(address, error.strerror or str(error)) from None
    schema = parse_json(body, address)
    if not isinstance(schema, dict):
        raise InputError(address, f"not a JSON schema: the document is a {type(schema).__name__}")
    return schema
