"""Reading and writing the files the tools own (facts, cached and generated schemas), and
standard input.

Every failure is an ``InputError`` naming the file (exit 2), never a bare ``OSError``.
``write_atomically`` never leaves a half-written file or a ``.tmp`` file behind: catchable
signals are held back while it writes and replaces, and any error removes the temporary
file. Text files keep their line endings: ``read_text`` says which the file uses and
``write_atomically`` writes them back the same way.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import tempfile
import typing as t
from pathlib import Path

from .errors import InputError
from .signals import CATCHABLE_SIGNALS, signals_handled

#: Held back while a file is written and replaced (the signals ``accelcap.signals`` lists,
#: which ``accelcap.cli`` turns into ``Interrupted``, plus SIGINT); the first is raised again
#: as soon as the file is in place.
_HELD_SIGNALS = frozenset({signal.SIGINT, *CATCHABLE_SIGNALS})


class Text(t.NamedTuple):
    """A text file's content with ``\\n`` line endings, and the line ending it really uses."""

    text: str
    newline: str


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def read_bytes(path: Path, where: str | None = None) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError(where or str(path), f"cannot read: {_reason(error)}") from None


def read_text(path: Path, where: str | None = None) -> Text:
    """The UTF-8 text of ``path`` with ``\\n`` line endings, and the file's own line ending
    (``\\r\\n`` when every line of the file ends so)."""
    data = read_bytes(path, where)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(where or str(path), f"not UTF-8 text (byte {error.start})") from None
    crlf = text.count("\r\n")
    newline = "\r\n" if crlf and crlf == text.count("\n") else "\n"
    return Text(text.replace("\r\n", "\n") if newline == "\r\n" else text, newline)


def read_stdin(where: str = "-") -> bytes:
    """All of standard input; closed or unreadable standard input is bad input."""
    stream = sys.stdin
    if stream is None:
        raise InputError(where, "standard input is closed")
    try:
        return stream.buffer.read() if hasattr(stream, "buffer") else stream.read().encode()
    except (OSError, ValueError) as error:
        reason = _reason(error) if isinstance(error, OSError) else str(error)
        raise InputError(where, f"cannot read standard input: {reason}") from None


@contextlib.contextmanager
def signals_held() -> t.Iterator[None]:
    """Inside: catchable signals wait, and are raised again on leaving, to whatever handles
    them then. Python runs signal handlers in the main thread only, so only there can one
    interrupt a write, whichever thread the kernel hands the signal to."""
    pending: list[int] = []
    try:
        with signals_handled(_HELD_SIGNALS, lambda signum, _frame: pending.append(signum)):
            yield
    finally:
        if pending:
            signal.raise_signal(pending[0])


def write_atomically(path: Path, data: bytes | str, newline: str = "\n", where: str | None = None) -> None:
    """Replace ``path`` with ``data`` so readers see the old or the new file, never half.

    The parent directory is created; an existing file keeps its permissions. Text is written
    with ``newline`` line endings (pass ``read_text(path).newline`` to keep a file's own).
    Nothing is left behind on failure or signal; a failure is an ``InputError`` naming
    ``where`` (default: the path).
    """
    if isinstance(data, str):
        payload = (data.replace("\n", newline) if newline != "\n" else data).encode()
    else:
        payload = data
    name = where or str(path)
    with signals_held():
        temporary: str | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            with os.fdopen(descriptor, "wb") as stream:
                stream.write(payload)
                stream.flush()
                os.fsync(stream.fileno())
            if path.exists():
                os.chmod(temporary, path.stat().st_mode & 0o777)
            os.replace(temporary, path)
            temporary = None
        except OSError as error:
            raise InputError(name, f"cannot write: {_reason(error)}") from None
        finally:
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)
