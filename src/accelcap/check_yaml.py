"""tools/check-yaml: every YAML file given parses with the project's strict loader."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cli import add_format_option, entry_point, new_parser
from .errors import EXIT_FINDINGS, EXIT_OK, InputError
from .files import read_bytes
from .report import Finding, report
from .yamlload import load_documents

TOOL = "check-yaml"


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser(
        TOOL,
        "Check that YAML files parse strictly: safe tags only, no duplicate keys, aliases\n"
        "bounded, and (unless --any-document) every document a mapping.\n\n"
        "Reads: the FILEs. Writes: findings to stdout. Exit 1 when a file does not parse;\n"
        "exit 2 when a FILE does not exist or cannot be read (as in every tool).",
    )
    parser.add_argument("files", nargs="*", metavar="FILE", type=Path)
    parser.add_argument(
        "--any-document",
        action="store_true",
        help="accept documents that are not mappings (YAML that is not a Kubernetes manifest)",
    )
    add_format_option(parser)
    return parser


def execute(args: argparse.Namespace) -> int:
    # Every file is read before any is judged: a path that is missing or unreadable is bad
    # input (exit 2) in every tool, not a finding about its YAML.
    contents = [(file, read_bytes(file)) for file in args.files]
    findings = []
    for file, data in contents:
        try:
            load_documents(data, str(file), mappings_only=not args.any_document)
        except InputError as error:
            where, _, line = error.where.rpartition(":")
            on_line = line.isdigit() and where == str(file)
            findings.append(
                Finding("yaml", error.what, file=str(file), line=int(line) if on_line else None, object=error.where)
            )
    report(args.format, TOOL, findings, {"checked": f"{len(args.files)} file(s)"}, sys.stdout)
    return EXIT_FINDINGS if findings else EXIT_OK


main = entry_point(TOOL, build_parser, execute)

if __name__ == "__main__":
    main()
