"""``tools/lint``: check rendered overlays against the capacity safety rules."""

from __future__ import annotations

import argparse
import sys

from ..cli import add_format_option, add_paths_argument, entry_point, new_parser
from ..errors import EXIT_FINDINGS, EXIT_OK, InputError
from ..model import rendering_models
from ..report import Finding, failed, report
from .engine import lint_overlay
from .rule import Rule, all_rules
from .silence import IGNORE_PREFIX

TOOL = "lint"

DESCRIPTION = f"""Check rendered overlays against the capacity safety rules (docs/lint-rules.md).

Reads: each PATH -- an overlay directory (or its name under overlays/), rendered through
kustomize with every Argo CD Application of this repository followed into the path it
syncs and the cluster's validation/ build added; a file of rendered YAML; or - for
standard input. No PATH: every overlay; --changed FILE...: the overlays those files
touch (pre-commit), possibly none. Cluster facts come from the overlay's
facts/cluster.yaml, or from --cluster for rendered YAML.
Writes: findings on standard output (--format text, json or github annotations), errors
on standard error. Changes nothing. A finding is an error, or "cannot check" where a check
could not be done (a subnet referenced by ID); cannot-check findings fail the run only when
the rule's safety depends on them (marked blocking).

Silence a rule on one object with the annotation
  {IGNORE_PREFIX}<RULE-ID>: "<reason>"
(a missing reason is itself a finding, CAP101)."""


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser(TOOL, DESCRIPTION)
    add_paths_argument(parser)
    add_format_option(parser)
    parser.add_argument(
        "--rule",
        action="append",
        metavar="ID",
        help="run only this rule (repeatable); default: every rule",
    )
    parser.add_argument("--list-rules", action="store_true", help="print the rule IDs and titles, then exit")
    return parser


def select_rules(ids: list[str] | None) -> list[Rule]:
    rules = all_rules()
    if not ids:
        return rules
    known = {r.id: r for r in rules}
    unknown = [i for i in ids if i.upper() not in known]
    if unknown:
        raise InputError("--rule", f"unknown rule {', '.join(unknown)} (known: {', '.join(known)})")
    return [known[i.upper()] for i in dict.fromkeys(ids)]


def execute(args: argparse.Namespace) -> int:
    rules = select_rules(args.rule)
    if args.list_rules:
        for rule in rules:
            sys.stdout.write(f"{rule.id}  {rule.name:<30}  {rule.title}\n")
        return EXIT_OK
    findings: list[Finding] = []
    overlays: list[str] = []
    documents = 0
    # Builds that pull remote content are recorded, not refused: CAP021 reports them. Each
    # overlay is linted as soon as it rendered, while the others render.
    with rendering_models(args.paths, cluster=args.cluster, changed=args.changed, allow_remote=True) as rendered:
        for overlay in rendered:
            findings += lint_overlay(overlay, rules)
            overlays.append(overlay.name)
            documents += len(overlay.documents)
    summary = {
        "checked": f"{len(overlays)} overlay(s), {documents} object(s), {len(rules)} rule(s)",
        "overlays": overlays,
        "objects": documents,
        "rules": [r.id for r in rules],
    }
    report(args.format, TOOL, findings, summary, sys.stdout)
    return EXIT_FINDINGS if failed(findings) else EXIT_OK


main = entry_point(TOOL, build_parser, execute)
