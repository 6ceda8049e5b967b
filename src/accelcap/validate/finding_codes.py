"""The finding codes of ``tools/validate``: ID, description, remediation (docs come from here)."""

from __future__ import annotations

from ..report import Check, checks_table

SCHEMA_INVALID = Check(
    "schema-invalid",
    "The object does not match the JSON schema of its apiVersion and kind (strict: unknown fields fail).",
    "Fix or remove the field at the path; the summary names the schema each kind was checked against.",
)
PROVIDER_SPEC_INVALID = Check(
    "provider-spec-invalid",
    "providerSpec.value of a MachineSet or Machine does not match the project's AWSMachineProviderConfig schema.",
    "Use the field names of openshift/api machine/v1beta1 types_awsprovider.go (e.g. instanceType, "
    "spotMarketOptions); see docs/validate.md.",
)
ROOT_FIELD_UNKNOWN = Check(
    "root-field-unknown",
    "A top-level field that the kind's schema does not define. CRD schemas leave their root open "
    "(kubeconform's converter and the CRDs-catalog do), but the API server's strict field validation, "
    "which kubectl and Argo CD use, rejects such a field.",
    "Fix the misspelt top-level field (usually spec) or remove it.",
)
SCHEMA_MISSING = Check(
    "schema-missing",
    "No schema location has a schema for the object's apiVersion and kind; it was not checked "
    "(only reported with --ignore-missing-schemas; otherwise a missing schema is exit 2).",
    "Add a schema location, or pin the CRD in accelcap/validate/crds.yaml.",
    severity="warning",
)

CHECKS: dict[str, Check] = {
    c.code: c for c in (SCHEMA_INVALID, ROOT_FIELD_UNKNOWN, PROVIDER_SPEC_INVALID, SCHEMA_MISSING)
}


def markdown_table() -> str:
    """The finding codes as the Markdown table docs/validate.md carries (a test keeps them equal)."""
    return checks_table(CHECKS.values())
