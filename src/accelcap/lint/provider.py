"""Where the AWS providerSpec sits in a MachineSet, for findings' JSON paths."""

from __future__ import annotations

from ..catalog.machine_api import PROVIDER

__all__ = ["PROVIDER"]
