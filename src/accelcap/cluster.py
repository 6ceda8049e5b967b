"""Reading the live cluster: one way to run ``oc get`` (or ``kubectl get``) for every tool."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .errors import ExternalError

TIMEOUT_SECONDS = 30


def client() -> str:
    """``oc`` where installed, else ``kubectl``; both read the current kubeconfig context."""
    for binary in ("oc", "kubectl"):
        found = shutil.which(binary)
        if found:
            return found
    raise ExternalError("oc", "neither oc nor kubectl is on PATH")


def get(*args: str, output: str = "json") -> bytes:
    """Standard output of ``oc get ARGS -o OUTPUT``; any failure is an ``ExternalError`` (exit 3)."""
    binary = client()
    where = " ".join([Path(binary).name, "get", *args])
    try:
        result = subprocess.run(
            [binary, "get", *args, "-o", output], capture_output=True, timeout=TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        raise ExternalError(where, f"no answer in {TIMEOUT_SECONDS}s") from None
    if result.returncode != 0:
        lines = result.stderr.decode(errors="replace").strip().splitlines()
        raise ExternalError(where, " ".join((lines[-1] if lines else "failed").split()))
    return result.stdout
