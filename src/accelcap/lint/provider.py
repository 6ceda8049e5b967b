"""Where the AWS providerSpec sits in a MachineSet, for findings' JSON paths."""

from __future__ import annotations

from ..pools import PROVIDER

__all__ = ["PROVIDER"]
