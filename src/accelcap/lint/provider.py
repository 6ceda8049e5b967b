"""Where the AWS providerSpec sits in a MachineSet, for findings' JSON paths."""

from __future__ import annotations

#: JSON pointer of the providerSpec value inside a MachineSet.
PROVIDER = "/spec/template/spec/providerSpec/value"
