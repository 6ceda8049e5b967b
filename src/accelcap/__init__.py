"""Tools that keep the accelerator-capacity GitOps repository safe to merge."""

from __future__ import annotations

__version__ = "0.1.0"
