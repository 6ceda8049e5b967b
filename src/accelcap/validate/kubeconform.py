"""The kubeconform engine: used when ``kubeconform`` is on PATH (or ``--engine kubeconform``).

It gets the same locations (``kubernetes-validate`` becomes a cache directory of standalone
copies of the bundled core schemas, ``{generated}`` is filled first), ``-strict`` and
``-output json``; its JSON is parsed into the same findings. Each document goes into a file
of its own so every result maps back to exactly one document.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import typing as t
from pathlib import Path

from .. import timeouts
from ..errors import InputError
from ..files import write_atomically
from ..render import Document
from . import core_schemas
from .builtin_engine import Outcome, finding, missing_schema, resource_type
from .fetch import cache_dir
from .finding_codes import SCHEMA_INVALID, SCHEMA_MISSING
from .locations import Location, ResourceType, normalized_kubernetes_version
from .pinned import GeneratedSchemas

BINARY = "kubeconform"


def find_kubeconform() -> str | None:
    return shutil.which(BINARY)


def _core_location(resources: t.Iterable[ResourceType], kubernetes_version: str) -> str:
    bundle = core_schemas.bundle_directory(kubernetes_version)
    target = cache_dir() / "kubeconform-core" / bundle.name
    for resource in resources:
        source = bundle / f"{resource.kind.lower()}{resource.kind_suffix}.json"
        destination = target / source.name
        if source.is_file() and not destination.is_file():
            write_atomically(destination, core_schemas.standalone_schema(source))
    target.mkdir(parents=True, exist_ok=True)
    return f"{target}/{{{{.ResourceKind}}}}{{{{.KindSuffix}}}}.json"


def kubeconform_arguments(
    locations: t.Sequence[Location],
    resources: t.Sequence[ResourceType],
    kubernetes_version: str,
    generated: GeneratedSchemas | None,
    ignore_missing: bool,
) -> list[str]:
    arguments = [
        # -verbose: skipped documents are only reported with it (kubeconform v0.8).
        "-strict", "-output", "json", "-summary", "-verbose",
        "-kubernetes-version", normalized_kubernetes_version(kubernetes_version).lstrip("v"),
        "-cache", str(cache_dir() / "kubeconform"),
    ]  # fmt: skip
    (cache_dir() / "kubeconform").mkdir(parents=True, exist_ok=True)
    if ignore_missing:
        arguments.append("-ignore-missing-schemas")
    for location in locations:
        if location.kind == "builtin":
            template = _core_location(resources, kubernetes_version)
        else:
            if location.generated and generated is not None:
                for resource in resources:
                    generated.ensure(resource.group, resource.kind)
            template = location.template
        arguments += ["-schema-location", template]
    return arguments


def run_kubeconform(
    binary: str,
    documents: t.Sequence[Document],
    locations: t.Sequence[Location],
    kubernetes_version: str,
    generated: GeneratedSchemas | None,
    ignore_missing: bool,
) -> Outcome:
    resources = [resource_type(d, i) for i, d in enumerate(documents)]
    outcome = Outcome()
    if not documents:
        return outcome
    arguments = kubeconform_arguments(
        locations, sorted(set(resources), key=str), kubernetes_version, generated, ignore_missing
    )
    with tempfile.TemporaryDirectory(prefix="accelcap-kubeconform-") as directory:
        files = {}
        for index, document in enumerate(documents):
            path = Path(directory, f"{index:05d}.yaml")
            path.write_text(json.dumps(document.obj))  # JSON is YAML
            files[str(path)] = index
        deadline = timeouts.limits("kubeconform").total
        try:
            result = subprocess.run(
                [binary, *arguments, *files],
                capture_output=True,
                encoding="utf-8",
                errors="replace",
                timeout=deadline,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise InputError(BINARY, f"timed out: not done after {deadline:g}s (kubeconform.total)") from None
        except OSError as error:
            raise InputError(BINARY, f"cannot run {binary}: {error.strerror}") from None
    try:
        report = json.loads(result.stdout)
        entries = report["resources"]
    except (json.JSONDecodeError, KeyError, TypeError):
        lines = [line for line in (result.stderr or result.stdout).strip().splitlines() if line.strip()]
        raise InputError(
            BINARY, f"exit {result.returncode}, no JSON report: {lines[-1] if lines else 'no output'}"
        ) from None
    not_valid: set[int] = set()
    reported: set[int] = set()
    for entry in entries:
        position = files.get(str(entry.get("filename")))
        if position is None:
            raise InputError(BINARY, f"reported an unknown file {entry.get('filename')!r}")
        reported.add(position)
        document, resource = documents[position], resources[position]
        status, message = str(entry.get("status", "")), str(entry.get("msg", ""))
        if status == "statusInvalid":
            not_valid.add(position)
            errors = entry.get("validationErrors") or [{"path": None, "msg": message}]
            for problem in errors:
                outcome.findings.append(
                    finding(SCHEMA_INVALID, document, problem.get("path") or None, str(problem.get("msg", "")))
                )
            outcome.checked += 1
        elif status == "statusSkipped":
            not_valid.add(position)
            outcome.skipped += 1
            outcome.findings.append(
                finding(
                    SCHEMA_MISSING, document, None, f"no schema for {resource.api_version} {resource.kind}; not checked"
                )
            )
        elif status == "statusError":
            if "could not find schema" in message:
                if ignore_missing:
                    not_valid.add(position)
                    outcome.skipped += 1
                    continue
                raise missing_schema(document, resource, [loc.raw for loc in locations])
            raise InputError(f"{document.overlay}: {document.ref}", f"kubeconform: {message}")
        elif status != "statusValid":
            raise InputError(BINARY, f"reported status {status!r} for {document.overlay}: {document.ref}")
    # A document is valid only when kubeconform said so: one it left out (with -verbose it
    # reports every document) was not checked, and counting it as valid would fail open.
    unreported = [i for i in range(len(documents)) if i not in reported]
    if unreported:
        first = documents[unreported[0]]
        raise InputError(
            BINARY,
            f"did not report on {len(unreported)} of {len(documents)} objects "
            f"(first: {first.overlay}: {first.ref}); their validity is unknown",
        )
    outcome.checked += len(documents) - len(not_valid)
    for resource in set(resources):
        outcome.schemas.setdefault(f"{resource.api_version} {resource.kind}", "kubeconform")
    return outcome
