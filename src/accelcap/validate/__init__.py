"""Strict schema validation of every rendered object (``tools/validate``) and the CRD ->
JSON schema converter (``tools/crd-schemas``). See docs/validate.md.

Python API for other tools and tests::

    from accelcap.validate import validate_overlay
    findings = validate_overlay(rendered)          # list[accelcap.report.Finding]
"""

from __future__ import annotations

from ..config import Settings
from ..render import RenderedOverlay
from ..report import Finding
from .validator import ValidateOptions, Validator

__all__ = ["ValidateOptions", "Validator", "validate_overlay"]


def validate_overlay(
    rendered: RenderedOverlay, settings: Settings | None = None, options: ValidateOptions | None = None
) -> list[Finding]:
    """Every schema finding of one rendered overlay (raises ``InputError`` on bad input)."""
    return Validator(settings, options).validate_overlay(rendered).findings
