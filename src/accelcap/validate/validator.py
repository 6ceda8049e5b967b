"""One validation run: options, the schema resolver it shares across overlays, the engine."""

from __future__ import annotations

import dataclasses
import typing as t
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings, load_settings
from ..errors import InputError
from ..model import ClusterModel
from ..render import Document
from . import cel, nulls, provider_spec
from .builtin_engine import Outcome, check_documents, finding, resource_type, root_field_findings
from .core_schemas import DEFAULT_KUBERNETES_VERSION
from .finding_codes import CEL_RULE_FAILED, PROVIDER_SPEC_INVALID
from .kubeconform import find_kubeconform, run_kubeconform
from .locations import configured_locations, normalized_kubernetes_version, parse_location
from .pinned import GeneratedSchemas
from .resolver import SchemaResolver

ENGINES = ("auto", "builtin", "kubeconform")


@dataclass(frozen=True)
class ValidateOptions:
    #: Raw locations; None: environment, settings or defaults (see ``locations``).
    schema_locations: t.Sequence[str] | None = None
    #: Overrides the version derived from each cluster's facts.
    kubernetes_version: str | None = None
    ignore_missing_schemas: bool = False
    #: Where ``{generated}`` schemas go; None: the cache.
    generated_dir: Path | None = None
    engine: str = "auto"


class Validator:
    """Validates rendered overlays; compiled schemas are shared between them."""

    def __init__(self, settings: Settings | None = None, options: ValidateOptions | None = None) -> None:
        self.settings = settings or load_settings()
        self.options = options or ValidateOptions()
        if self.options.kubernetes_version:
            normalized_kubernetes_version(self.options.kubernetes_version)  # bad input fails here, once
        self.generated = GeneratedSchemas(self.settings, self.options.generated_dir)
        raw = configured_locations(self.settings, self.options.schema_locations)
        self.locations = [parse_location(r, self.settings, self.generated.directory) for r in raw]
        self.resolver = SchemaResolver(self.locations, self.generated)
        self.kubeconform = self._pick_engine()

    def _pick_engine(self) -> str | None:
        engine = self.options.engine
        if engine not in ENGINES:
            raise InputError("--engine", f"unknown engine {engine!r} (known: {', '.join(ENGINES)})")
        found = find_kubeconform() if engine != "builtin" else None
        if engine == "kubeconform" and found is None:
            raise InputError("--engine kubeconform", "kubeconform is not on PATH")
        return found

    @property
    def engine(self) -> str:
        return "kubeconform" if self.kubeconform else "builtin"

    def kubernetes_version(self, rendered: ClusterModel) -> str:
        if self.options.kubernetes_version:
            return self.options.kubernetes_version
        return rendered.facts.kubernetes_version if rendered.facts else DEFAULT_KUBERNETES_VERSION

    def server_views(self, documents: t.Sequence[Document], kubernetes_version: str) -> list[Document]:
        """The documents as the API server validates them: nulls pruned or defaulted (``nulls``)."""
        views = []
        for index, document in enumerate(documents):
            if nulls.contains_null(document.obj):
                compiled = self.resolver.resolve(resource_type(document, index), kubernetes_version)
                if compiled is not None:
                    document = dataclasses.replace(
                        document, obj=nulls.server_view(document.obj, compiled.validator.schema)
                    )
            views.append(document)
        return views

    def validate_documents(self, documents: t.Sequence[Document], kubernetes_version: str) -> Outcome:
        # Both engines check what the API server would check (a null where an object is
        # wanted is dropped or defaulted first); findings still point at the source.
        documents = self.server_views(documents, kubernetes_version)
        if self.kubeconform:
            outcome = run_kubeconform(
                self.kubeconform, documents, self.locations, kubernetes_version, self.generated,
                self.options.ignore_missing_schemas,
            )  # fmt: skip
            # kubeconform leaves open schema roots open; the project's root check runs on top,
            # through the same locations, so both engines give the same verdict.
            for index, document in enumerate(documents):
                compiled = self.resolver.resolve(resource_type(document, index), kubernetes_version)
                if compiled is not None:
                    outcome.findings += root_field_findings(document, compiled)
        else:
            outcome = check_documents(documents, self.resolver, kubernetes_version, self.options.ignore_missing_schemas)
        for index, document in enumerate(documents):
            # CEL rules run on the API server only; both engines get the project's evaluation.
            compiled = self.resolver.resolve(resource_type(document, index), kubernetes_version)
            if compiled is not None:
                for path, message in cel.rule_errors(document.obj, compiled.validator.schema):
                    outcome.findings.append(finding(CEL_RULE_FAILED, document, path, message))
            if provider_spec.applies_to(document):
                for path, message in provider_spec.provider_spec_errors(document):
                    outcome.findings.append(finding(PROVIDER_SPEC_INVALID, document, path, message))
        return outcome

    def validate_overlay(self, rendered: ClusterModel) -> Outcome:
        # The overlay's facts file was checked against cluster-facts.schema.json when it was
        # loaded (accelcap.facts.check_facts_document); an invalid one never gets here.
        return self.validate_documents(rendered.documents, self.kubernetes_version(rendered))


class ValidationRun:
    """The validation of one run's overlays, one at a time, and what it checked."""

    def __init__(self, validator: Validator) -> None:
        self.validator = validator
        self.total = Outcome()
        self.objects = 0
        self.overlays: list[str] = []
        self.versions: dict[str, str] = {}
        self.facts: dict[str, str] = {}

    def add(self, rendered: ClusterModel) -> Outcome:
        outcome = self.validator.validate_overlay(rendered)
        self.total.extend(outcome)
        self.objects += len(rendered.documents)
        self.overlays.append(rendered.name)
        self.versions[rendered.name] = self.validator.kubernetes_version(rendered)
        if rendered.facts:
            self.facts[rendered.name] = self.validator.settings.relative(rendered.facts.path)
        return outcome

    def summary(self) -> dict[str, t.Any]:
        engine = self.validator.engine
        return {
            "checked": f"{self.total.checked} of {self.objects} objects in {len(self.overlays)} overlay(s), "
            f"engine {engine}",
            "engine": engine,
            "objects": self.objects,
            "validated": self.total.checked,
            "skipped": self.total.skipped,
            "overlays": self.overlays,
            "kubernetes_versions": self.versions,
            "facts": self.facts,
            "schemas": self.total.schemas,
        }
