"""``tools/crd-schemas``: CustomResourceDefinitions -> JSON schemas in kubeconform's layout."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import kube_client
from ..cli import entry_point, new_parser
from ..config import Settings, load_settings
from ..errors import EXIT_OK, ExternalError, InputError
from ..files import read_bytes, read_stdin
from ..identifiers import CRD_NAME
from ..yamlload import load_documents
from .convert import ConvertedSchema, convert_documents
from .fetch import fetch_url
from .pinned import (
    convert_pinned,
    default_generated_dir,
    pinned_crds,
    pinned_schemas,
    write_pinned_schemas,
    write_schemas,
)

TOOL = "crd-schemas"
DESCRIPTION = """Convert CustomResourceDefinitions into JSON schemas that tools/validate and
kubeconform read: <group>/<kind>_<version>.json for every served version, strict below the
root (additionalProperties: false on every object with properties, except where
x-kubernetes-preserve-unknown-fields is set), int-or-string as oneOf [string, integer].

reads:  SOURCE files, http(s) URLs or - (standard input); with --from-cluster, the CRDs
        named by SOURCE from the cluster of the kubeconfig (--kubeconfig, --context); with
        --pinned, every pinned file of accelcap/validate/crds.yaml (CRDs converted, JSON
        schemas copied), from the cache or the mirror (GitHub, else $ACCELCAP_CRD_MIRROR
        or crd-mirror in pyproject.toml), each checked against its sha256
writes: the schemas under --output-dir (default: the cache directory that the {generated}
        schema location of tools/validate reads), and one line per file on stdout"""

EPILOG = """exit codes:
  0  schemas written
  2  bad input or usage (unreadable file or URL, not a CRD, CRD without openAPIV3Schema,
     a pinned file that cannot be fetched or whose sha256 differs)
  3  the cluster refused (unreachable, no answer in --timeout, credentials refused) or answered
     something that is not a CRD"""


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser(TOOL, DESCRIPTION, EPILOG)
    parser.add_argument(
        "sources", nargs="*", metavar="SOURCE", help="CRD file, http(s) URL, - , or a CRD name with --from-cluster"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--from-cluster", action="store_true", help="SOURCEs are CRD names to read from the cluster")
    mode.add_argument("--pinned", action="store_true", help="every file pinned in accelcap/validate/crds.yaml")
    kube_client.add_connection_options(parser)
    parser.add_argument(
        "--output-dir", "-o", type=Path, metavar="DIR", help="where to write (default: the generated-schemas cache)"
    )
    return parser


def _read_source(source: str, settings: Settings) -> tuple[bytes, str]:
    if source == "-":
        return read_stdin(), "<stdin>"
    if source.startswith(("http://", "https://")):
        body = fetch_url(source, use_cache=False)
        if body is None:
            raise InputError(source, "HTTP 404: no such CRD file")
        return body, source
    path = Path(source)
    return read_bytes(path, source), settings.relative(path)


def _from_cluster(name: str, connection: kube_client.Connection) -> list[ConvertedSchema]:
    """The schemas of CRD ``name`` as the cluster serves it; an answer that is not a CRD is
    the cluster's failure (exit 3), named by the call."""
    # Checked in full before it reaches the API as part of a path: "--kubeconfig=x" is no CRD name.
    CRD_NAME.check(name, "--from-cluster")
    live = kube_client.connect(connection)
    resource = live.find_resource("customresourcedefinitions.apiextensions.k8s.io")
    where = f"GET {live.server}{resource.path(name)}"
    answer = live.get(resource, name)
    try:
        return convert_documents([answer], where)
    except InputError as error:
        raise ExternalError(error.where, error.what) from None


def convert_sources(args: argparse.Namespace, settings: Settings) -> list[ConvertedSchema]:
    if args.pinned:
        if args.sources:
            raise InputError("usage", "--pinned takes no SOURCE (see --help)")
        return [s for crd in pinned_crds() for s in convert_pinned(crd, settings)]
    if not args.sources:
        raise InputError("usage", "give at least one SOURCE, or --pinned (see --help)")
    converted: list[ConvertedSchema] = []
    for source in args.sources:
        if args.from_cluster:
            converted += _from_cluster(source, kube_client.connection_from(args))
            continue
        data, where = _read_source(source, settings)
        converted += convert_documents(load_documents(data, where), where)
    return converted


def execute(args: argparse.Namespace) -> int:
    settings = load_settings()
    converted = convert_sources(args, settings)  # all inputs first: nothing is written on bad input
    output = args.output_dir or default_generated_dir()
    written = write_schemas(converted, output)
    if args.pinned:
        written += write_pinned_schemas(pinned_schemas(), output, settings)
    for path in written:
        print(path)
    return EXIT_OK


main = entry_point(TOOL, build_parser, execute)
