"""Name -> entry point of every tool, so ``tools/<name>`` in a checkout runs exactly what
the installed console script runs. Keep in step with ``[project.scripts]``.

Usage: ``python -m accelcap.toolbox NAME [ARGS...]``.
"""

from __future__ import annotations

import importlib
import sys

TOOLS = {
    "set-infra-id": "accelcap.set_infra_id:main",
    "lint": "accelcap.lint.cli:main",
    "validate": "accelcap.validate.cli:main",
    "crd-schemas": "accelcap.validate.crd_schemas:main",
    "verify-quotas": "accelcap.quotas.cli:main",
    "capacity-diff": "accelcap.capacity_diff:main",
    "check-yaml": "accelcap.check_yaml:main",
}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TOOLS:
        print(f"toolbox: usage: python -m accelcap.toolbox {{{','.join(TOOLS)}}} [ARGS...]", file=sys.stderr)
        sys.exit(2)
    name = sys.argv.pop(1)
    sys.argv[0] = name
    module, _, function = TOOLS[name].partition(":")
    getattr(importlib.import_module(module), function)()


if __name__ == "__main__":
    main()
