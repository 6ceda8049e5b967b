"""Expected failures, each with the exit code the tools document.

Every tool turns these into one line ``tool: where: what`` on stderr (see ``cli``).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2
EXIT_EXTERNAL = 3


class ToolError(Exception):
    """An expected error: ``where`` names the file, resource or call, ``what`` says why."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, where: str, what: str) -> None:
        super().__init__(f"{where}: {what}")
        self.where = where
        self.what = what


class InputError(ToolError):
    """Bad input or usage: a file, an overlay, a flag, a schema (exit 2)."""

    exit_code = EXIT_BAD_INPUT


class ExternalError(ToolError):
    """An external system refused: AWS credentials, access, wrong account, oc (exit 3)."""

    exit_code = EXIT_EXTERNAL
