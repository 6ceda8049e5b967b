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
CEL_RULE_FAILED = Check(
    "cel-rule-failed",
    "The object breaks a CEL validation rule (x-kubernetes-validations) of its CRD, as the API server "
    "evaluates it (also a rule that errs, e.g. reads an absent field without has()); or the rule uses CEL "
    "the project's evaluator does not implement, so it cannot be checked offline.",
    "Change the object as the rule's message says (set the field the rule reads, even empty, when the CRD's "
    "rule lacks has()); for a rule that cannot be evaluated offline, check with tools/validate --server.",
)
SCHEMA_MISSING = Check(
    "schema-missing",
    "No schema location has a schema for the object's apiVersion and kind; it was not checked "
    "(only reported with --ignore-missing-schemas; otherwise a missing schema is exit 2).",
    "Add a schema location, or pin the CRD in accelcap/validate/crds.yaml.",
    severity="warning",
)

SERVER_FORBIDDEN = Check(
    "server-forbidden",
    "validate --server: the cluster's RBAC refuses the object to the identity that applies it (the Argo CD "
    "application controller's service account, --as), so the sync would fail.",
    "Grant the controller the verb on that resource (the bootstrap RBAC), or move the object to an "
    "Application whose controller may write it.",
)
SERVER_INVALID = Check(
    "server-invalid",
    "validate --server: the API server refuses the object in a server-side dry run (strict field validation, "
    "the CRD's schema and CEL rules, admission).",
    "Fix the object as the message says; the API server's word is what Argo CD will get.",
)
SERVER_KIND_UNKNOWN = Check(
    "server-kind-unknown",
    "validate --server: the cluster serves no such apiVersion and kind, and the object does not carry "
    "SkipDryRunOnMissingResource=true, so Argo CD's dry run fails.",
    "Install the operator that brings the CRD first (an earlier sync wave), and mark the object "
    "SkipDryRunOnMissingResource=true.",
)
SERVER_NOT_CHECKED = Check(
    "server-not-checked",
    "validate --server: the object could not be checked yet: its kind comes with an operator not installed "
    "yet (SkipDryRunOnMissingResource=true), or its namespace is created by the same sync.",
    "Check again once the operator or namespace exists on the cluster.",
    severity="warning",
)

CHECKS: dict[str, Check] = {
    c.code: c
    for c in (
        SCHEMA_INVALID, ROOT_FIELD_UNKNOWN, PROVIDER_SPEC_INVALID, CEL_RULE_FAILED, SCHEMA_MISSING,
        SERVER_FORBIDDEN, SERVER_INVALID, SERVER_KIND_UNKNOWN, SERVER_NOT_CHECKED,
    )
}  # fmt: skip


def markdown_table() -> str:
    """The finding codes as the Markdown table docs/validate.md carries (a test keeps them equal)."""
    return checks_table(CHECKS.values())
