"""Reading files from local paths and http(s) URLs, with an on-disk cache for URLs.

Every HTTP request has an explicit connect timeout and read timeout (``http_get``), so a dead
mirror or a hanging server fails fast instead of hanging the tool; proxies from the
environment (``HTTPS_PROXY``, ``NO_PROXY``) are honoured as urllib does.

Remote schemas of a schema location are cached under ``cache_dir()/schemas`` named by the
sha256 of the URL (as kubeconform's ``-cache`` and check-jsonschema do). A 404 means "not in
this location"; anything else that keeps a URL from answering is bad input (exit 2).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import socket
import typing as t
import urllib.error
import urllib.request
from pathlib import Path

from ..errors import InputError
from ..files import write_atomically

CACHE_ENV = "ACCELCAP_CACHE_DIR"
#: Seconds to wait for the TCP (and TLS) connection to a server.
CONNECT_TIMEOUT_SECONDS = 10.0
#: Seconds to wait for each read once connected: a server that stops sending fails this fast.
READ_TIMEOUT_SECONDS = 30.0
USER_AGENT = "accelcap"


def cache_dir() -> Path:
    """The tools' cache directory: ``$ACCELCAP_CACHE_DIR``, else ``$XDG_CACHE_HOME/accelcap``."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "accelcap"


class _ReadTimeout:
    """Mixin: connect with the request's timeout, then read with ``READ_TIMEOUT_SECONDS``."""

    sock: socket.socket | None

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        if self.sock is not None:
            self.sock.settimeout(READ_TIMEOUT_SECONDS)


class _HTTPConnection(_ReadTimeout, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_ReadTimeout, http.client.HTTPSConnection):
    pass


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_HTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_HTTPSConnection, req)


def http_get(url: str, connect_timeout: float = CONNECT_TIMEOUT_SECONDS) -> bytes | None:
    """The body at ``url``, or None when the server answers 404.

    Raises ``OSError`` (with a reason a person can read) for every other failure: refused or
    timed-out connections, TLS errors, other HTTP statuses, a server that stops sending.
    """
    opener = urllib.request.build_opener(_HTTPHandler(), _HTTPSHandler())
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with opener.open(request, timeout=connect_timeout) as response:
            return t.cast(bytes, response.read())
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise OSError(f"HTTP {error.code}") from None
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, TimeoutError | socket.timeout):
            raise OSError(f"no connection within {connect_timeout:g}s") from None
        raise OSError(str(getattr(reason, "strerror", None) or reason)) from None
    except TimeoutError:
        raise OSError(f"no data for {READ_TIMEOUT_SECONDS:g}s") from None
    except (http.client.HTTPException, OSError) as error:
        raise OSError(str(error) or type(error).__name__) from None


def fetch_url(url: str, use_cache: bool = True) -> bytes | None:
    """The body at ``url`` (cached), or None when the server says it has no such file."""
    cached = cache_dir() / "schemas" / (hashlib.sha256(url.encode()).hexdigest() + ".json")
    if use_cache and cached.is_file():
        return cached.read_bytes()
    try:
        body = http_get(url)
    except OSError as error:
        raise InputError(url, f"schema location unreachable: {error}") from None
    if body is not None and use_cache:
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
