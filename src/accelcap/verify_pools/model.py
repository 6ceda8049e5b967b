"""The verdict of one check on one object: ``Result``, and what its ``Status`` means."""

from __future__ import annotations

import enum
import typing as t
from dataclasses import asdict, dataclass


class Status(enum.StrEnum):
    #: Done: the live object is what the render and the platform's status say it should be.
    OK = "ok"
    #: Not done: the message says what is missing and, where the platform says, why.
    NOT_DONE = "not done"
    #: A pool at 0 replicas: nothing to check on nodes. Not a failure (``--require-nodes``
    #: makes it one, reported as not done).
    ZERO = "scaled to zero"
    #: The check could not be evaluated (say, an instance type the catalog lacks); fails
    #: closed like not done.
    CANNOT_CHECK = "cannot check"

    @property
    def done(self) -> bool:
        return self in (Status.OK, Status.ZERO)


@dataclass(frozen=True)
class Result:
    #: The check's code (``CHECKS``).
    check: str
    status: Status
    #: What was looked at: ``Kind/namespace/name``, or several objects in words.
    subject: str
    message: str
    #: The pool (its MachineSet's name); None for checks of the whole cluster.
    pool: str | None = None
    #: Where the object that was checked is written (the rendered source), for annotations.
    file: str | None = None
    line: int | None = None

    def as_dict(self) -> dict[str, t.Any]:
        return {**asdict(self), "status": str(self.status)}
