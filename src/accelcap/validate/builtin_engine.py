"""The built-in engine: every document against its compiled schema."""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass, field

import referencing.exceptions

from ..errors import InputError
from ..identifiers import API_VERSION, KIND
from ..render import Document
from ..report import Check, Finding
from .finding_codes import ROOT_FIELD_UNKNOWN, SCHEMA_INVALID, SCHEMA_MISSING
from .locations import ResourceType
from .resolver import CompiledSchema, SchemaResolver
from .schema_errors import error_path_and_message


@dataclass
class Outcome:
    """What one engine found in a set of documents."""

    findings: list[Finding] = field(default_factory=list)
    checked: int = 0
    skipped: int = 0
    #: ``apiVersion Kind`` -> the schema it was checked against.
    schemas: dict[str, str] = field(default_factory=dict)

    def extend(self, other: Outcome) -> None:
        self.findings += other.findings
        self.checked += other.checked
        self.skipped += other.skipped
        self.schemas.update(other.schemas)


def finding(check: Check, document: Document, path: str | None, message: str) -> Finding:
    return Finding(
        check.code, message, document.overlay, document.ref, document.file, document.line, path, check.severity
    )


def resource_type(document: Document, index: int) -> ResourceType:
    """The document's apiVersion and kind; an object without them is bad input."""
    api_version, kind = document.obj.get("apiVersion"), document.obj.get("kind")
    if not isinstance(api_version, str) or not api_version or not isinstance(kind, str) or not kind:
        where = document.file or document.rendered_from
        missing = " and ".join(
            n for n, v in (("apiVersion", api_version), ("kind", kind)) if not isinstance(v, str) or not v
        )
        name = document.name or f"document {index + 1}"
        raise InputError(f"{document.overlay}: {where}: {name}", f"object without {missing}")
    # Both name schema files in every location: checked in full before they become a path.
    # The message's place is made only for a bad one: a document's file is found on demand.
    if not API_VERSION.matches(api_version) or not KIND.matches(kind):
        where = (
            f"{document.overlay}: {document.file or document.rendered_from}: {document.name or f'document {index + 1}'}"
        )
        API_VERSION.check(api_version, where)
        KIND.check(kind, where)
    return ResourceType(api_version, kind)


def missing_schema(document: Document, resource: ResourceType, tried: t.Sequence[str]) -> InputError:
    return InputError(
        f"{document.overlay}: {document.ref}",
        f"no schema for {resource.api_version} {resource.kind} in any location (tried: {', '.join(tried)}); "
        "add a location, pin the CRD, or pass --ignore-missing-schemas",
    )


def check_documents(
    documents: t.Sequence[Document], resolver: SchemaResolver, kubernetes_version: str, ignore_missing: bool
) -> Outcome:
    outcome = Outcome()
    for index, document in enumerate(documents):
        resource = resource_type(document, index)
        compiled = resolver.resolve(resource, kubernetes_version)
        if compiled is None:
            if not ignore_missing:
                raise missing_schema(
                    document, resource, [a for _, a in resolver.candidates(resource, kubernetes_version)]
                )
            outcome.skipped += 1
            outcome.findings.append(
                finding(
                    SCHEMA_MISSING, document, None, f"no schema for {resource.api_version} {resource.kind}; not checked"
                )
            )
            continue
        outcome.checked += 1
        outcome.schemas[f"{resource.api_version} {resource.kind}"] = compiled.source
        for error in schema_errors(compiled, document.obj):
            path, message = error_path_and_message(error)
            outcome.findings.append(finding(SCHEMA_INVALID, document, path, message))
        outcome.findings += root_field_findings(document, compiled)
    return outcome


def schema_errors(compiled: CompiledSchema, instance: t.Any) -> list[t.Any]:
    """Every way ``instance`` breaks the schema; a schema that cannot be evaluated (a
    ``$ref`` that leads nowhere, a pattern that is no regex) is bad input naming the schema
    and the reference, never the whole schema."""
    if compiled.surely_valid(instance):
        return []  # the common case, without jsonschema's descent (accelcap.fast_valid)
    try:
        return list(compiled.validator.iter_errors(instance))
    except referencing.exceptions.Unresolvable as error:
        ref = str(getattr(error, "ref", None) or str(error)[:120])
        shown = f"#{ref}" if ref.startswith("/") else ref  # PointerToNowhere gives the bare pointer
        raise InputError(compiled.source, f"$ref {shown!r} cannot be resolved") from None
    except re.error as error:
        raise InputError(compiled.source, f"pattern {error.pattern!r} is not a regular expression: {error}") from None


#: Fields every object may carry whatever its schema says.
OBJECT_FIELDS = frozenset({"apiVersion", "kind", "metadata"})


def root_field_findings(document: Document, compiled: CompiledSchema) -> list[Finding]:
    """Top-level fields an open-rooted schema does not define (see ``ROOT_FIELD_UNKNOWN``)."""
    if compiled.open_root_fields is None:
        return []
    unknown = sorted(set(document.obj) - compiled.open_root_fields - OBJECT_FIELDS, key=str)
    return [
        finding(
            ROOT_FIELD_UNKNOWN,
            document,
            "/",
            f"{name!r} is not a field of {document.kind} (its schema defines "
            f"{', '.join(sorted(compiled.open_root_fields - OBJECT_FIELDS)) or 'no other fields'})",
        )
        for name in unknown
    ]
