"""``tools/validate``: strict schema validation of every rendered object."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import kube_client
from ..cli import add_format_option, add_paths_argument, entry_point, exit_codes_help, new_parser
from ..config import MIRROR_ENV, MIRROR_SETTING, load_settings
from ..errors import EXIT_FINDINGS, EXIT_OK, InputError
from ..model import render_models, rendering_models
from ..report import failed, report
from . import server
from .core_schemas import known_kubernetes_version
from .locations import LOCATIONS_ENV, SETTINGS_KEY
from .validator import ENGINES, ValidateOptions, ValidationRun, Validator

TOOL = "validate"
DESCRIPTION = f"""Check every rendered object of the overlays against its JSON schema, strictly
(unknown fields fail), and against its CRD's CEL rules as the API server evaluates them;
plus providerSpec.value of MachineSets against the project's AWSMachineProviderConfig
schema, and each cluster's facts file against its schema.

reads:  the overlays (rendered with kustomize, following Argo CD Applications; with
        --changed FILE... only the overlays those files touch), schema
        locations in order (--schema-location, else ${LOCATIONS_ENV}, else
        {SETTINGS_KEY} in [tool.accelcap], else built-in defaults: Kubernetes core kinds
        from the kubernetes-validate package, then schemas made from the pinned upstream
        files of accelcap/validate/crds.yaml, then the project's own schemas); a pinned
        file is fetched once, from GitHub or the mirror that ${MIRROR_ENV} (or
        {MIRROR_SETTING} in [tool.accelcap]) names, and checked against its sha256
writes: findings to stdout; fetched pinned files, converted CRD schemas and fetched remote
        schemas to the cache ($ACCELCAP_CACHE_DIR, else $XDG_CACHE_HOME/accelcap), never
        to the repository
engine: kubeconform when it is on PATH (-strict -output json), else the built-in validator;
        the summary says which ran
--server: instead, a server-side dry run (dryRun=All, fieldValidation=Strict) of every
        object on the live cluster of the kubeconfig, as the identity that applies it: what
        an Argo CD Application syncs as the application controller's service account (--as),
        what no Application syncs (the bootstrap: AppProjects, controller RBAC, ArgoCD, the
        root Application; the validation/ builds) as the kubeconfig's own user; read-only;
        refuses a cluster whose infrastructure name is not the facts' infraID (exit 3)"""

EPILOG = exit_codes_help(
    {
        2: "bad input or usage (file, overlay, flag, object without apiVersion/kind, corrupt or\n"
        "missing schema, unreachable schema location or mirror, a pinned file whose sha256\n"
        "differs, kustomize failure)",
        3: "--server: the cluster refused (unreachable, no answer in --timeout, credentials,\n"
        "impersonation) or is not the overlay's cluster (infrastructure name != infraID)",
    },
    tool=TOOL,
)


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser(TOOL, DESCRIPTION, EPILOG)
    add_paths_argument(parser)
    add_format_option(parser)
    add_schema_options(parser)
    live = parser.add_argument_group("live cluster (--server)")
    live.add_argument("--server", action="store_true", help="server-side dry run on the live cluster instead")
    live.add_argument(
        "--as", dest="as_user", default=server.DEFAULT_AS, metavar="USER",
        help=f"identity Argo CD applies Application-synced objects as (default {server.DEFAULT_AS}); "
        "the rest go as the kubeconfig's user",
    )  # fmt: skip
    kube_client.add_connection_options(live)
    return parser


def add_schema_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """The options of an offline validation (``tools/check`` takes them too)."""
    parser.add_argument(
        "--schema-location", action="append", metavar="LOCATION", dest="schema_locations",
        help="a schema location (repeatable, first match wins): default, kubernetes-validate, "
        "a local path or http(s) URL with kubeconform's {{.Group}}-style fields; local paths may "
        "start with {generated}, {project} or {repo}",
    )  # fmt: skip
    parser.add_argument(
        "--kubernetes-version", metavar="X.Y", type=known_kubernetes_version,
        help="instead of the version of each cluster's OpenShift (one whose schemas kubernetes-validate bundles)",
    )  # fmt: skip
    parser.add_argument(
        "--ignore-missing-schemas", action="store_true",
        help="report objects without a schema as warnings instead of failing (exit 2)",
    )  # fmt: skip
    parser.add_argument(
        "--generated", type=Path, metavar="DIR", help="directory for schemas converted from pinned CRDs"
    )
    parser.add_argument("--engine", choices=ENGINES, default="auto", help="auto (default): kubeconform when on PATH")


def validate_options(args: argparse.Namespace) -> ValidateOptions:
    return ValidateOptions(
        schema_locations=args.schema_locations,
        kubernetes_version=args.kubernetes_version,
        ignore_missing_schemas=args.ignore_missing_schemas,
        generated_dir=args.generated,
        engine=args.engine,
    )


def execute_server(args: argparse.Namespace) -> int:
    settings = load_settings()
    if not args.as_user.strip():
        raise InputError("--as", "must name a user or service account")
    rendered = render_models(args.paths, settings, cluster=args.cluster, changed=args.changed)
    if len(rendered) != 1:
        raise InputError("--server", f"checks one cluster at a time: name its overlay ({len(rendered)} targets given)")
    options = server.ServerOptions(kube_client.connection_from(args), args.as_user)
    outcome, live = server.check_overlay(rendered[0], options)
    objects = len(rendered[0].documents)
    summary = server.server_summary(outcome, live, options, objects, [rendered[0].name])
    report(args.format, TOOL, outcome.findings, summary, sys.stdout)
    return EXIT_FINDINGS if failed(outcome.findings) else EXIT_OK


def execute(args: argparse.Namespace) -> int:
    if args.server:
        return execute_server(args)
    settings = load_settings()
    run = ValidationRun(Validator(settings, validate_options(args)))
    # Each overlay is validated as soon as it rendered, while the others render.
    with rendering_models(args.paths, settings, cluster=args.cluster, changed=args.changed) as rendered:
        for overlay in rendered:
            run.add(overlay)
    total = run.total
    summary = run.summary()
    report(args.format, TOOL, total.findings, summary, sys.stdout)
    return EXIT_FINDINGS if failed(total.findings) else EXIT_OK


main = entry_point(TOOL, build_parser, execute)
