"""``tools/check``: render each build once, then every offline check over the same objects."""

from __future__ import annotations

import argparse
import sys

from ..cli import add_format_option, add_paths_argument, entry_point, new_parser
from ..config import MIRROR_ENV, Settings, load_settings
from ..errors import EXIT_FINDINGS, EXIT_OK, InputError
from ..lint.cli import select_rules
from ..model import build_cache, rendering_models
from ..render import JOBS_ENV
from ..report import Finding, failed
from ..run_memo import one_run
from ..validate.cli import add_schema_options, validate_options
from ..validate.locations import LOCATIONS_ENV
from .checks import CHECK_NAMES, InfraIdCheck, LintCheck, OverlayCheck, QuotaPlanCheck, ValidateCheck
from .output import FORMATS, TOOL, CheckRun, write

DESCRIPTION = f"""Render each build once and run every offline check over the same objects:

  infra-id    the cluster's infraID is set                  (alone: set-infra-id --check)
  validate    every object against its schema, strictly     (alone: validate)
  lint        the capacity safety rules, docs/lint-rules.md (alone: lint)
  quota-plan  vCPUs the pools draw at their maximum per     (alone: verify-quotas --plan)
              quota class and market; NO AWS CALL, so the quota itself is not checked

The README's main job and the pre-commit hook. Findings, codes and exit codes are those of
the tool that runs the check alone; each finding names its check.

reads:  each PATH: an overlay directory (or its name under overlays/), rendered with
        kustomize following its Argo CD Applications and adding its validation/ builds; a
        file of rendered YAML; - for standard input. No PATH: every overlay; --changed
        FILE...: the overlays those files touch (pre-commit), possibly none. Each cluster's
        facts/cluster.yaml (--cluster for rendered YAML); schemas as validate reads them
        (--schema-location, ${LOCATIONS_ENV}, pinned upstream files from GitHub or
        ${MIRROR_ENV}, cached).
        The overlays render at once: up to --jobs kustomize builds run together (default:
        the cores this process may use, or ${JOBS_ENV}), and a directory that several
        overlays or Applications reach renders once per run.
writes: the report on standard output (text, json, github annotations, markdown for
        $GITHUB_STEP_SUMMARY); errors as one line on standard error; fetched and converted
        schemas to the cache, as validate does. Nothing in the repository."""

EPILOG = """exit codes:
  0  every check passed (warnings and non-blocking cannot-check findings allowed)
  1  a check found a problem: an unset infraID, an invalid object, a lint finding, a pool
     in a market EC2 does not sell
  2  bad input or usage (file, overlay, flag, facts, pool.yaml, schema or its location,
     kustomize failure, a build that fetches remote content; an instance type the
     instance-type table lacks when lint is skipped or lint rule CAP048 is not run)"""


def _jobs(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser(TOOL, DESCRIPTION, EPILOG)
    add_paths_argument(parser)
    add_format_option(parser, FORMATS)
    parser.add_argument(
        "--skip", action="append", choices=CHECK_NAMES, default=[], metavar="CHECK",
        help=f"leave this check out (repeatable): {', '.join(CHECK_NAMES)}",
    )  # fmt: skip
    parser.add_argument(
        "--jobs", type=_jobs, metavar="N",
        help=f"the most kustomize builds at once (default: the cores this process may use, or ${JOBS_ENV})",
    )  # fmt: skip
    add_schema_options(parser.add_argument_group("validate"))
    parser.add_argument_group("lint").add_argument(
        "--rule", action="append", metavar="ID", help="run only this lint rule (repeatable); default: every rule"
    )
    return parser


def make_checks(args: argparse.Namespace, settings: Settings) -> list[OverlayCheck]:
    """The checks asked for, built before anything renders (bad options fail first)."""
    checks: list[OverlayCheck] = []
    for name in CHECK_NAMES:
        if name in args.skip:
            continue
        if name == InfraIdCheck.name:
            checks.append(InfraIdCheck(settings))
        elif name == ValidateCheck.name:
            checks.append(ValidateCheck(settings, validate_options(args)))
        elif name == LintCheck.name:
            checks.append(LintCheck(select_rules(args.rule)))
        elif name == QuotaPlanCheck.name:
            # An instance type the table lacks is lint's one finding (CAP048) when lint runs.
            linted = any(isinstance(c, LintCheck) and any(r.id == "CAP048" for r in c.rules) for c in checks)
            checks.append(QuotaPlanCheck(skip_unknown_types=linted))
    if not checks:
        raise InputError("--skip", "leaves no check to run")
    return checks


def execute(args: argparse.Namespace) -> int:
    # check reads the tree and changes nothing in it: what it works out from the tree (resolved
    # paths, kustomization graphs, facts) is worked out once per run.
    with one_run():
        return _check(args)


def _check(args: argparse.Namespace) -> int:
    settings = load_settings()
    checks = make_checks(args, settings)
    # Lint reports a build that fetches remote content (CAP021); validating or planning an
    # overlay rendered without it would pass what was never seen, so they refuse it as
    # validate and verify-quotas do.
    allow_remote = not any(check.needs_every_build for check in checks)
    found: dict[str, list[Finding]] = {check.name: [] for check in checks}
    overlays: list[str] = []
    objects = 0
    with (
        build_cache(settings, args.jobs) as builds,
        rendering_models(
            args.paths, settings, cluster=args.cluster, changed=args.changed, allow_remote=allow_remote, cache=builds
        ) as rendered,
    ):
        # Each overlay is checked as soon as it (and those before it) rendered, while the
        # rest still render.
        for overlay in rendered:
            overlays.append(overlay.name)
            objects += len(overlay.documents)
            for check in checks:
                found[check.name] += check.findings(overlay)
        render = {"builds": len(builds), "asked": builds.requests, "jobs": builds.jobs}
    findings = [finding for check in checks for finding in found[check.name]]
    write(args.format, CheckRun(checks, findings, overlays, objects, render), sys.stdout)
    return EXIT_FINDINGS if failed(findings) else EXIT_OK


main = entry_point(TOOL, build_parser, execute)
