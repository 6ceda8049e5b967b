"""Reading schema files from local paths and http(s) URLs, with an on-disk cache for URLs.

Every HTTP request (``http_get``: remote schemas, and pinned files from GitHub or a mirror)
has a connect timeout, a read timeout and a total deadline (``accelcap.timeouts``, call
``http``), so a dead or silent server fails in seconds instead of hanging; proxies from the
environment (``HTTPS_PROXY``, ``NO_PROXY``) are honoured as urllib does. Remote schemas of a
schema location are cached under ``cache_dir()/schemas`` named by the sha256 of the URL (as
kubeconform's ``-cache`` and check-jsonschema do). A 404 means "not there"; anything else
that keeps a URL from answering is bad input (exit 2) naming the URL.
"""

from __future__ import annotations

import functools
import hashlib
import http.client
import os
import typing as t
import urllib.error
import urllib.request
from pathlib import Path

from .. import timeouts
from ..errors import InputError
from ..files import read_bytes, write_atomically
from ..yamlload import load_json

CACHE_ENV = "ACCELCAP_CACHE_DIR"
#: A schema or CRD larger than this is not one (the largest upstream CRD is about 1 MiB).
MAX_BODY_BYTES = 64 * 1024 * 1024


def cache_dir() -> Path:
    """The tools' cache directory: ``$ACCELCAP_CACHE_DIR``, else ``$XDG_CACHE_HOME/accelcap``."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "accelcap"


class _TimedConnection(http.client.HTTPConnection):
    """Connects within the connect timeout, then waits at most the read timeout per read."""

    def __init__(self, *args: t.Any, limits: timeouts.Limits, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._limits = limits

    def connect(self) -> None:
        self.timeout = self._limits.connect
        super().connect()
        self.sock.settimeout(self._limits.read)


class _TimedSecureConnection(_TimedConnection, http.client.HTTPSConnection):
    pass


class _TimedHandler(urllib.request.HTTPHandler):
    def __init__(self, limits: timeouts.Limits) -> None:
        super().__init__()
        self.limits = limits

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_TimedConnection, limits=self.limits), req)


class _TimedSecureHandler(urllib.request.HTTPSHandler):
    def __init__(self, limits: timeouts.Limits) -> None:
        super().__init__()
        self.limits = limits

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connection = functools.partial(_TimedSecureConnection, limits=self.limits)
        return self.do_open(connection, req, context=self._context)  # type: ignore[attr-defined]


def _download(url: str, limits: timeouts.Limits) -> bytes | None:
    """The body at ``url``; None on HTTP 404."""
    opener = urllib.request.build_opener(_TimedHandler(limits), _TimedSecureHandler(limits))
    request = urllib.request.Request(url, headers={"User-Agent": "accelcap-validate"})
    try:
        with opener.open(request) as response:
            body = t.cast(bytes, response.read(MAX_BODY_BYTES + 1))
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise InputError(url, f"answered HTTP {error.code}") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, TimeoutError) or isinstance(error, TimeoutError):
            raise InputError(url, f"timed out: no answer within {limits.describe('http')} ({timeouts.ENV})") from None
        raise InputError(url, f"unreachable: {reason}") from None
    if len(body) > MAX_BODY_BYTES:
        raise InputError(url, f"answer larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB; not a schema")
    return body


def http_get(url: str) -> bytes | None:
    """The body at ``url``, or None when the server answers 404; every other failure is an
    ``InputError`` naming the URL (refused, timed out, TLS, other HTTP statuses, too large)."""
    limits = timeouts.limits("http")
    return timeouts.within(
        limits.total,
        lambda: _download(url, limits),
        lambda: InputError(url, f"timed out: not complete after {limits.total:g}s (http.total; {timeouts.ENV})"),
    )


def fetch_url(url: str, use_cache: bool = True) -> bytes | None:
    """The body at ``url`` (cached), or None when the server says it has no such file."""
    cached = cache_dir() / "schemas" / (hashlib.sha256(url.encode()).hexdigest() + ".json")
    if use_cache and cached.is_file():
        return read_bytes(cached)
    body = http_get(url)
    if use_cache and body is not None:
        write_atomically(cached, body)  # in the main thread, with signals held
    return body


def parse_json(data: bytes | str, where: str) -> t.Any:
    return load_json(data, where, "a JSON schema")


def read_schema(address: str) -> dict[str, t.Any] | None:
    """The schema at a local path or URL; None when it does not exist there."""
    if address.startswith(("http://", "https://")):
        body = fetch_url(address)
        if body is None:
            return None
    else:
        path = Path(address)
        if not os.path.lexists(path):
            return None
        body = read_bytes(path, address)
    schema = parse_json(body, address)
    if not isinstance(schema, dict):
        raise InputError(address, f"not a JSON schema: the document is a {type(schema).__name__}")
    return schema
