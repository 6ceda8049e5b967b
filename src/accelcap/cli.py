"""What every tool's command line shares: the parser (usage errors as one line, exit 2,
``--debug``), the ``--format`` option, the PATH/``--cluster``/``--changed`` arguments of the
tools that render, and the one frame every tool runs in (``run_tool``):

- every expected error becomes one line ``tool: where: what`` on stderr and its exit code;
  control characters in it are escaped, so it stays one line whatever the input held;
- standard output is written when the verdict is known: if it cannot be written (a closed
  pipe, ``tool | head -1``, a closed stdout) the exit code is the verdict's, or
  ``EXIT_OUTPUT_LOST`` (141, as for SIGPIPE) when the verdict was 0, so lost findings never
  pass for success;
- a catchable signal (SIGTERM, SIGHUP, ...) raises ``Interrupted``, so every ``finally`` runs
  (temporary files and directories are removed) and the tool exits 128 + the signal number.

A tool module defines ``TOOL``, ``build_parser()`` and ``execute(args) -> int``, and
``main = entry_point(TOOL, build_parser, execute)``; ``accelcap.toolbox`` registers it.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import os
import signal
import sys
import traceback
import typing as t

from .errors import EXIT_BAD_INPUT, InputError, ToolError
from .signals import CATCHABLE_SIGNALS, signals_handled

#: Standard output could not be written and the verdict was 0 (128 + SIGPIPE, as a shell
#: reports a command that SIGPIPE stopped).
EXIT_OUTPUT_LOST = 141
#: The exit codes every tool shares beyond its own (``new_parser`` adds them to every epilog).
COMMON_EXITS_HELP = """  141  standard output could not be written (a closed pipe) and the verdict was 0;
     otherwise the verdict's code
  128+N  stopped by signal N (130 Ctrl-C, 143 SIGTERM); nothing half-written is left
a path that does not exist or cannot be read is bad input (2) in every tool"""

#: What each exit code means unless a tool says otherwise (``exit_codes_help``).
EXIT_MEANINGS: t.Mapping[int, str] = {
    0: "fine",
    1: "the check found a problem",
    2: "bad input or usage (file, overlay, flag, schema, kustomize failure)",
    3: "an external system refused or answered nonsense (AWS credentials, access, wrong\n"
    "account, an unreadable answer, a timeout; oc)",
}


def exit_codes_help(meanings: t.Mapping[int, str] | None = None, tool: str | None = None) -> str:
    """The ``exit codes:`` block of an epilog: ``EXIT_MEANINGS`` with a tool's own meanings
    in place of the shared ones (a tool says what 3 means for it by key, not by rewording
    text it would have to match exactly). With ``tool``, only the codes the registry
    (``accelcap.toolbox``) says that tool can return: a help never lists a code the tool
    cannot return."""
    table = {**EXIT_MEANINGS, **(meanings or {})}
    codes = registered_exit_codes(tool) if tool is not None else None
    if codes is not None:
        table = {code: text for code, text in table.items() if code in codes}
    lines = (f"  {code}  {text}".replace("\n", "\n     ") for code, text in sorted(table.items()))
    return "exit codes:\n" + "\n".join(lines)


def registered_exit_codes(tool: str) -> frozenset[int] | None:
    """The exit codes of ``tool`` in the registry of tools, or None for a tool not listed there."""
    from .toolbox import TOOLS_BY_NAME  # the registry imports the tools' modules lazily

    registered = TOOLS_BY_NAME.get(tool)
    return None if registered is None else frozenset(code for code, _ in registered.exit_codes)


class Interrupted(BaseException):
    """A catchable signal arrived: unwinds like KeyboardInterrupt, so cleanups run."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class ToolArgumentParser(argparse.ArgumentParser):
    """argparse that reports usage errors as an ``InputError`` (one line, exit 2)."""

    def error(self, message: str) -> t.NoReturn:
        raise InputError("usage", f"{message} (see --help)")


def new_parser(tool: str, description: str, epilog: str | None = None) -> ToolArgumentParser:
    if epilog is None:
        epilog = exit_codes_help(tool=tool)
    parser = ToolArgumentParser(
        prog=tool,
        description=description,
        epilog=f"{epilog.rstrip()}\n{COMMON_EXITS_HELP}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    return parser


#: Default ``--format`` for every tool that offers the value, e.g. ``github`` in CI.
FORMAT_ENV = "ACCELCAP_FORMAT"


#: What each output format is for, in ``--help``.
FORMAT_PURPOSES = {
    "text": "text for people",
    "json": "json for machines",
    "markdown": "markdown for the GitHub step summary",
    "github": "github for workflow annotations",
}


def add_format_option(parser: argparse.ArgumentParser, choices: t.Sequence[str] = ("text", "json", "github")) -> None:
    configured = os.environ.get(FORMAT_ENV, "")
    purposes = ", ".join(FORMAT_PURPOSES[c] for c in choices)
    parser.add_argument(
        "--format",
        choices=choices,
        default=configured if configured in choices else "text",
        help=f"{purposes} (default text, or ${FORMAT_ENV})",
    )


def add_paths_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="an overlay directory (or its name under overlays/), a file of rendered YAML, "
        "or - for standard input; none: every overlay",
    )
    parser.add_argument(
        "--cluster",
        metavar="NAME",
        help="cluster whose facts apply to rendered-YAML files and standard input",
    )
    parser.add_argument(
        "--changed",
        nargs="*",
        metavar="FILE",
        help="instead of PATHs: check the overlays these changed files touch, found from the "
        "kustomization graph (for pre-commit; none touched: nothing to check)",
    )


def one_line(text: str) -> str:
    """``text`` with every control character escaped (a newline from input becomes ``\\n``)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _raise_interrupted(signum: int, _frame: t.Any) -> None:
    raise Interrupted(signum)


def signals_raise() -> t.ContextManager[None]:
    """Inside: each of ``CATCHABLE_SIGNALS`` raises ``Interrupted`` (main thread only)."""
    return signals_handled(CATCHABLE_SIGNALS, _raise_interrupted)


class _HeldOutput(io.StringIO):
    """Standard output held until the verdict is known; it answers ``isatty`` for the real
    stream, so colour still follows the terminal."""

    def __init__(self, real: t.TextIO | None) -> None:
        super().__init__()
        self._real = real

    def isatty(self) -> bool:
        return bool(self._real is not None and self._real.isatty())


def _deliver(held: _HeldOutput, real: t.TextIO | None) -> bool:
    """Write what the tool printed to the real standard output; False when it could not."""
    text = held.getvalue()
    if not text:
        return True
    if real is None:
        return False
    try:
        binary = getattr(real, "buffer", None)
        if binary is not None:
            real.flush()
            binary.write(text.encode(real.encoding or "utf-8", errors="backslashreplace"))
            binary.flush()
        else:
            real.write(text)
            real.flush()
    except (OSError, ValueError):  # BrokenPipeError, EBADF, a closed file
        _silence(real)
        return False
    return True


def _silence(stream: t.TextIO) -> None:
    """Point a broken standard stream at /dev/null, so the interpreter's last flush at exit
    does not print 'Exception ignored ... BrokenPipeError'."""
    try:
        descriptor = stream.fileno()
    except (OSError, ValueError, io.UnsupportedOperation):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, descriptor)
    finally:
        os.close(devnull)


def _report(tool: str, where: str, what: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        print(f"{tool}: {one_line(where)}: {one_line(what)}", file=sys.stderr)


def _execute(
    tool: str,
    build_parser: t.Callable[[], argparse.ArgumentParser],
    execute: t.Callable[[argparse.Namespace], int],
    argv: list[str],
) -> int:
    debug = "--debug" in argv
    try:
        return execute(build_parser().parse_args(argv))
    except ToolError as error:
        if debug:
            traceback.print_exc()
        _report(tool, error.where, error.what)
        return error.exit_code
    except SystemExit as done:  # argparse after --help
        return done.code if isinstance(done.code, int) else (0 if done.code is None else EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        _report(tool, "interrupted", "SIGINT")
        return 128 + signal.SIGINT
    except Interrupted as interrupted:
        _report(tool, "interrupted", signal.Signals(interrupted.signum).name)
        return 128 + interrupted.signum
    except Exception as error:  # noqa: BLE001 - the one place that turns bugs into one line
        if debug:
            traceback.print_exc()
        _report(tool, "internal error", f"{type(error).__name__}: {error} (rerun with --debug)")
        return EXIT_BAD_INPUT


def run_tool(
    tool: str,
    build_parser: t.Callable[[], argparse.ArgumentParser],
    execute: t.Callable[[argparse.Namespace], int],
    argv: t.Sequence[str] | None = None,
) -> int:
    """Parse ``argv``, run ``execute``, turn every error into one line and an exit code.

    See the module docstring for standard output and signals.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    real_out, real_err = sys.stdout, sys.stderr
    held = _HeldOutput(real_out)
    with contextlib.ExitStack() as stack:
        if real_err is None:  # stderr closed: errors go nowhere, never onto stdout
            sys.stderr = stack.enter_context(open(os.devnull, "w"))
        sys.stdout = held
        try:
            with signals_raise():
                code = _execute(tool, build_parser, execute, argv)
        finally:
            sys.stdout, sys.stderr = real_out, real_err
    if not _deliver(held, real_out):
        return code or EXIT_OUTPUT_LOST
    return code


def entry_point(
    tool: str, build_parser: t.Callable[[], argparse.ArgumentParser], execute: t.Callable[[argparse.Namespace], int]
) -> t.Callable[[], t.NoReturn]:
    """A console-script function for ``tool``."""

    def main() -> t.NoReturn:
        # A tool allocates many small objects that are freed by reference counting (parsed YAML);
        # at Python's default threshold (700) the cycle collector ran about a thousand times in
        # a check of 200 clusters, scanning every live document: 0.9 s of 8.1 s of Python CPU.
        gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
        sys.exit(run_tool(tool, build_parser, execute))

    return main


#: Allocations between two collections of the youngest generation, for a tool's process.
GC_THRESHOLD = 50_000
