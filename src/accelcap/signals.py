"""Which signals the tools catch, and handling them for a while: shared by the tool frame
(``accelcap.cli``, which turns them into ``Interrupted``) and atomic writes (``accelcap.files``,
which holds them back while a file is replaced)."""

from __future__ import annotations

import contextlib
import signal
import threading
import typing as t

#: Signals that end a process by default and that a process can catch; ``run_tool`` turns
#: each into ``Interrupted`` (SIGINT stays Python's KeyboardInterrupt; SIGPIPE is ignored by
#: Python, a closed pipe is a write error instead).
CATCHABLE_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name)
    for name in (
        "SIGTERM",
        "SIGHUP",
        "SIGQUIT",
        "SIGUSR1",
        "SIGUSR2",
        "SIGALRM",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
    )
    if hasattr(signal, name)
)


@contextlib.contextmanager
def signals_handled(signals: t.Iterable[int], handler: t.Callable[[int, t.Any], None]) -> t.Iterator[None]:
    """Inside: ``handler`` handles each of ``signals``; the previous handlers come back on
    leaving. Python sets handlers in the main thread only, so elsewhere this changes nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, handler) for s in signals}
    try:
        yield
    finally:
        for number, former in previous.items():
            signal.signal(number, former)
