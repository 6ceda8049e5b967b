"""The shared test data as a mirror of pinned upstream files, as a team's mirror would lay it out.

The tools fetch a pinned file from ``<mirror>/<owner>/<repo>/<commit>/<path>``. The shared data
keeps byte-exact copies in two other layouts, each listed with its origin in a SOURCES.txt:
``crds/<owner>__<repo>/<path>`` (tab-separated rows: repo, path, commit, ...) and the
datreeio/CRDs-catalog files under ``schemas/<path>`` (rows ``sha  path  <=  repo@commit:path``).
``build_mirror`` maps both onto the mirror layout with copies (a directory mirror's files must
lie inside it: the tools refuse a symbolic link that leads out), taking repository and
commit from the SOURCES files, never from the project's pins, so a wrong pin finds nothing;
``serve`` puts such a directory on loopback HTTP and counts the requests.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import re
import shutil
import threading
import typing as t
from pathlib import Path

CATALOG_ROW = re.compile(
    r"^[0-9a-f]+\s+(?P<path>\S+)\s+<=\s+(?P<repo>[\w.-]+/[\w.-]+)@(?P<commit>[0-9a-f]{40}):(?P=path)"
)


def crd_rows(shared: Path) -> t.Iterator[tuple[str, str, str, Path]]:
    """(repository, commit, path, the shared copy) of each row of ``crds/SOURCES.txt``: a path
    may have several rows, one per commit."""
    for line in (shared / "crds" / "SOURCES.txt").read_text().splitlines():
        fields = line.split("\t")
        if line.startswith("#") or len(fields) < 8:
            continue
        repo, path, commit = fields[0], fields[1], fields[2]
        yield repo, commit, path, shared / "crds" / fields[7]


def _catalog_rows(shared: Path) -> t.Iterator[tuple[str, str, str, Path]]:
    for line in (shared / "schemas" / "SOURCES.txt").read_text().splitlines():
        match = CATALOG_ROW.match(line)
        if match:
            yield match["repo"], match["commit"], match["path"], shared / "schemas" / match["path"]


def build_mirror(shared: Path, root: Path) -> Path:
    """A directory laid out ``<owner>/<repo>/<commit>/<path>``, copied from the shared data."""
    for repo, commit, path, source in [*crd_rows(shared), *_catalog_rows(shared)]:
        if not source.is_file():
            raise FileNotFoundError(f"{source} is listed in its SOURCES.txt but missing")
        target = root / repo / commit / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return root


class _Handler(http.server.SimpleHTTPRequestHandler):
    requests: list[str]

    def do_GET(self) -> None:
        self.requests.append(self.path)
        super().do_GET()

    def log_message(self, *args: t.Any) -> None:
        pass


@contextlib.contextmanager
def serve(directory: Path) -> t.Iterator[tuple[str, list[str]]]:
    """(base URL on loopback, the paths requested so far) while the server runs."""
    requests: list[str] = []
    handler = type("Handler", (_Handler,), {"requests": requests})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", requests
    finally:
        server.shutdown()
        server.server_close()
