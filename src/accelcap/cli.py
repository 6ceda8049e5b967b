"""What every tool's command line shares: the parser (usage errors as one line, exit 2,
``--debug``), the ``--format`` option, the PATH/``--cluster``/``--changed`` arguments of the
tools that render, and the one top-level handler that turns every expected error into one
line ``tool: where: what`` and its exit code.

A tool module defines ``TOOL``, ``build_parser()`` and ``execute(args) -> int``, and
``main = entry_point(TOOL, build_parser, execute)``; ``accelcap.toolbox`` registers it.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
import typing as t

from .errors import EXIT_BAD_INPUT, InputError, ToolError

EXIT_CODES_HELP = """exit codes:
  0  fine
  1  the check found a problem
  2  bad input or usage (file, overlay, flag, schema, kustomize failure)
  3  an external system refused (AWS credentials, access, wrong account; oc)"""


class ToolArgumentParser(argparse.ArgumentParser):
    """argparse that reports usage errors as an ``InputError`` (one line, exit 2)."""

    def error(self, message: str) -> t.NoReturn:
        raise InputError("usage", f"{message} (see --help)")


def new_parser(tool: str, description: str, epilog: str = EXIT_CODES_HELP) -> ToolArgumentParser:
    parser = ToolArgumentParser(
        prog=tool,
        description=description,
        epilog=epilog,
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


def run_tool(
    tool: str,
    build_parser: t.Callable[[], argparse.ArgumentParser],
    execute: t.Callable[[argparse.Namespace], int],
    argv: t.Sequence[str] | None = None,
) -> int:
    """Parse ``argv``, run ``execute``, turn every error into one line and an exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        return execute(build_parser().parse_args(argv))
    except ToolError as error:
        if debug:
            traceback.print_exc()
        print(f"{tool}: {error.where}: {error.what}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print(f"{tool}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as error:  # noqa: BLE001 - the one place that turns bugs into one line
        if debug:
            traceback.print_exc()
        print(f"{tool}: internal error: {type(error).__name__}: {error} (rerun with --debug)", file=sys.stderr)
        return EXIT_BAD_INPUT


def entry_point(
    tool: str, build_parser: t.Callable[[], argparse.ArgumentParser], execute: t.Callable[[argparse.Namespace], int]
) -> t.Callable[[], t.NoReturn]:
    """A console-script function for ``tool``."""

    def main() -> t.NoReturn:
        sys.exit(run_tool(tool, build_parser, execute))

    return main
