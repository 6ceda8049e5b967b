"""Strict schema validation of every rendered object (``tools/validate``) and the CRD ->
JSON schema converter (``tools/crd-schemas``). See docs/validate.md.

Modules: ``cli`` (the command line), ``validator`` (options and the ``Validator`` of one
run), ``builtin_engine`` and ``kubeconform`` (the two engines), ``finding_codes``,
``resolver`` (first schema location that has a kind's schema, compiled once),
``locations``, ``fetch`` (local paths and cached URLs), ``core_schemas`` (Kubernetes core
schemas from kubernetes-validate), ``pinned`` and ``convert`` (schemas from the pinned
CRDs of ``crds.yaml``), ``crd_schemas`` (``tools/crd-schemas``), ``provider_spec`` and
``schema_errors`` (a jsonschema error as path and message).

Python API for other tools and tests::

    from accelcap.validate import validate_overlay
    findings = validate_overlay(rendered)          # list[accelcap.report.Finding]
"""

from __future__ import annotations

from ..config import Settings
from ..model import ClusterModel
from ..report import Finding
from .validator import ValidateOptions, Validator

__all__ = ["ValidateOptions", "Validator", "validate_overlay"]


def validate_overlay(
    rendered: ClusterModel, settings: Settings | None = None, options: ValidateOptions | None = None
) -> list[Finding]:
    """Every schema finding of one rendered overlay (raises ``InputError`` on bad input)."""
    return Validator(settings, options).validate_overlay(rendered).findings
