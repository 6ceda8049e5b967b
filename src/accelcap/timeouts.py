"""How long each external call may take: one table, one override, one way to enforce it.

Every call the tools make to something outside the process has a total deadline, and a
connect and a read timeout where the call is a network request the tools make themselves
(``docs/timeouts.md`` explains each and why it is that long):

=============  =========  ======  =======  ===============================================
call           connect    read    total    what
=============  =========  ======  =======  ===============================================
``http``       5 s        10 s    20 s     one remote schema or CRD (validate, crd-schemas)
``aws``        5 s        10 s    30 s     one AWS API request, botocore's retries included
``kustomize``  -          -       30 s     one ``kustomize build`` (remote resources too)
``git``        -          -       30 s     one git command (capacity-diff, the repo root)
``kubeconform``-          -       120 s    one kubeconform run over an overlay
``kube``       10 s       30 s    30 s     one call of a cluster's API server (accelcap.kube_client)
=============  =========  ======  =======  ===============================================

``ACCELCAP_TIMEOUTS`` overrides any of them, e.g. ``aws.total=60,http.read=30`` (seconds).
A call that runs out of time fails with one line naming the call and the limit it hit.
"""

from __future__ import annotations

import functools
import os
import threading
import typing as t
from dataclasses import dataclass, replace

from .errors import InputError, ToolError

ENV = "ACCELCAP_TIMEOUTS"


@dataclass(frozen=True)
class Limits:
    #: Seconds to open a connection; None where the call is a subprocess.
    connect: float | None
    #: Seconds to wait for the next bytes of an answer; None where the call is a subprocess.
    read: float | None
    #: Seconds the whole call may take, retries included.
    total: float

    def describe(self, name: str) -> str:
        parts = [f"{name}.connect {self.connect:g}s"] if self.connect is not None else []
        parts += [f"{name}.read {self.read:g}s"] if self.read is not None else []
        parts.append(f"{name}.total {self.total:g}s")
        return ", ".join(parts)


DEFAULTS: dict[str, Limits] = {
    "http": Limits(connect=5, read=10, total=20),
    "aws": Limits(connect=5, read=10, total=30),
    "kustomize": Limits(connect=None, read=None, total=30),
    "git": Limits(connect=None, read=None, total=30),
    "kubeconform": Limits(connect=None, read=None, total=120),
    "kube": Limits(connect=10, read=30, total=30),
}


@functools.cache
def _overrides(text: str) -> dict[str, Limits]:
    table = dict(DEFAULTS)
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, _, value = item.partition("=")
        call, _, limit = key.strip().partition(".")
        if call not in table or limit not in ("connect", "read", "total") or getattr(table[call], limit) is None:
            known = ", ".join(f"{c}.{f}" for c, lim in DEFAULTS.items() for f in ("connect", "read", "total")
                              if getattr(lim, f) is not None)  # fmt: skip
            raise InputError(ENV, f"unknown limit {key.strip()!r} (known: {known})")
        try:
            seconds = float(value)
        except ValueError:
            seconds = -1.0
        if not 0 < seconds < 86_400:
            raise InputError(ENV, f"{key.strip()}: {value.strip()!r} is not a number of seconds above 0")
        table[call] = replace(table[call], **{limit: seconds})
    return table


def limits(call: str) -> Limits:
    """The limits of ``call`` (a key of ``DEFAULTS``), with ``ACCELCAP_TIMEOUTS`` applied."""
    return _overrides(os.environ.get(ENV, ""))[call]


T = t.TypeVar("T")


def within(seconds: float, function: t.Callable[[], T], timed_out: t.Callable[[], ToolError]) -> T:
    """``function()``, or ``timed_out()`` raised when it has not returned after ``seconds``.

    The function runs in a daemon thread; when time is up the caller goes on (to exit with
    the error) and the thread is abandoned with the process. Files are never written in
    there: writes stay in the main thread, where signals are held while they run.
    """
    outcome: dict[str, t.Any] = {}
    finished = threading.Event()

    def run() -> None:
        try:
            outcome["value"] = function()
        except BaseException as error:  # noqa: BLE001 - handed to the caller below
            outcome["error"] = error
        finally:
            finished.set()

    threading.Thread(target=run, name="accelcap-deadline", daemon=True).start()
    if not finished.wait(seconds):
        raise timed_out()
    if "error" in outcome:
        raise outcome["error"]
    return t.cast(T, outcome["value"])
