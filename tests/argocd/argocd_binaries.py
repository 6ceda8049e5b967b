"""Argo CD's application controller and repo-server, built from the Go module proxy.

``test/argocd`` is a Go module that pins ``github.com/argoproj/argo-cd/v3`` (the release of the
newest OpenShift GitOps the module proxy can build, see docs/validate.md) and the kustomize its
repo-server runs. Argo CD v3 builds one binary, ``./cmd``, that is every component: it picks
one by the name it runs as or ``ARGOCD_BINARY_NAME`` (``argocd-application-controller``,
``argocd-repo-server``). Built as ``tests/kube/binaries.py`` builds the API server: into the
cache directory (``.cache/bin`` or ``$ACCELCAP_TEST_BIN_DIR``), under a key of go.mod, go.sum,
the Go version and the flags, once per machine (a file lock makes parallel runs wait), with
``-trimpath -ldflags=-s -w`` and ``CGO_ENABLED=0``. A build that cannot happen raises
``binaries.BuildError``; the tests fail on it, never skip.

    python tests/argocd/argocd_binaries.py     # build what is missing, print the time
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "kube")]  # support; the API server's build and harness

import binaries
from binaries import BUILD_FLAGS, BuildError, Built

from support import REPO

GO_MODULE = REPO / "test" / "argocd"
#: Package -> binary name, built from ``test/argocd``.
PACKAGES = {
    "github.com/argoproj/argo-cd/v3/cmd": "argocd",
    "sigs.k8s.io/kustomize/kustomize/v5": "kustomize",
}
__all__ = ["BuildError", "Built", "argocd", "key"]


def key() -> str:
    digest = hashlib.sha256()
    for name in ("go.mod", "go.sum"):
        digest.update((GO_MODULE / name).read_bytes())
    digest.update(binaries.go_version().encode())
    digest.update(" ".join([*BUILD_FLAGS, *PACKAGES]).encode())
    return digest.hexdigest()[:16]


def argocd() -> dict[str, Built]:
    """``argocd`` (every Argo CD component) and ``kustomize``, built once per pin: name -> binary."""
    directory = binaries.bin_dir() / f"argocd-{key()}"

    def build(target: Path) -> None:
        env = binaries._go_env()
        where = GO_MODULE.relative_to(REPO)
        binaries._run_go(["mod", "download"], GO_MODULE, env, f"go mod download in {where}")
        for package, name in PACKAGES.items():
            binaries._run_go(
                ["build", *BUILD_FLAGS, "-o", str(target / name), package], GO_MODULE, env, f"go build {package}"
            )

    seconds = binaries._install(directory, list(PACKAGES.values()), build)
    return {name: Built(directory / name, seconds) for name in PACKAGES.values()}


def main() -> int:
    try:
        for name, built in argocd().items():
            print(f"{name}: {built.path} ({'cached' if not built.seconds else f'built in {built.seconds:.0f}s'})")
    except BuildError as error:
        print(f"argocd_binaries: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
