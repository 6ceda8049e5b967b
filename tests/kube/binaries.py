"""The real binaries the tests run: kubeconform, kube-apiserver and etcd, built with Go.

Each is built once into an ignored cache directory (``.cache/bin`` of the repository, or
``$ACCELCAP_TEST_BIN_DIR``), in a directory named after what decides its content, so a
changed pin builds anew and an unchanged one is reused:

- kubeconform: ``go install github.com/yannh/kubeconform/cmd/kubeconform@KUBECONFORM_VERSION``
  (the module proxy's checksum database verifies it);
- kustomize: ``go install sigs.k8s.io/kustomize/kustomize/v5@KUSTOMIZE_VERSION``, stamped with
  its version as the release build is (a plain ``go install`` says ``(devel)``, which the render's
  version check cannot read); every test renders with it (tests/conftest.py);
- kube-apiserver and etcd: ``go build`` in the Go module ``test/apiserver`` (its go.mod pins
  ``k8s.io/kubernetes`` and ``go.etcd.io/etcd/server/v3``; go.sum verifies them). The key is
  the sha256 of go.mod, go.sum, the Go version and the build flags.

A build that cannot happen (no Go, a module the proxy refuses, a compile error) raises
``BuildError`` with Go's own last lines: the tests fail on it, they never skip.

    python tests/kube/binaries.py            # build what is missing, print the times
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import typing as t
from dataclasses import dataclass
from pathlib import Path

import pytest

# Run as a script (see above), tests/ is not on the path yet.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support import REPO

GO_MODULE = REPO / "test" / "apiserver"
BIN_DIR_ENV = "ACCELCAP_TEST_BIN_DIR"

KUBECONFORM_MODULE = "github.com/yannh/kubeconform"
#: The kubeconform the tests run (the newest the module proxy serves that builds with our Go).
KUBECONFORM_VERSION = "v0.8.0"
KUSTOMIZE_MODULE = "sigs.k8s.io/kustomize/kustomize/v5"
#: The kustomize the tests render with: the version ``kubectl kustomize`` of the machines embeds.
KUSTOMIZE_VERSION = "v5.5.0"
#: Package -> binary name, built from ``test/apiserver``.
KUBE_PACKAGES = {"k8s.io/kubernetes/cmd/kube-apiserver": "kube-apiserver", "go.etcd.io/etcd/server/v3": "etcd"}
#: No cgo (both are built CGO_ENABLED=0 upstream too), no race detector, no debug symbols:
#: the smallest and fastest build on a 2-core machine.
BUILD_FLAGS = ("-trimpath", "-ldflags=-s -w")
BUILD_TIMEOUT_SECONDS = 40 * 60


class BuildError(Exception):
    """A binary the tests need cannot be built; the message says why, in Go's words."""


@dataclass(frozen=True)
class Built:
    path: Path
    #: Seconds spent building; 0.0 when the cached binary was reused.
    seconds: float


def bin_dir() -> Path:
    configured = os.environ.get(BIN_DIR_ENV)
    return Path(configured) if configured else REPO / ".cache" / "bin"


def go_binary() -> str:
    found = shutil.which("go")
    if found is None:
        raise BuildError("go is not on PATH: the tests build kubeconform, kube-apiserver and etcd with Go")
    return found


def _go_env() -> dict[str, str]:
    # GOFLAGS from the caller could add -race or -mod=vendor; the pins decide, nothing else.
    env = {k: v for k, v in os.environ.items() if k not in ("GOFLAGS", "GOOS", "GOARCH", "GOWORK")}
    return {**env, "CGO_ENABLED": "0", "GOFLAGS": "-buildvcs=false -mod=readonly", "GOWORK": "off"}


def go_version() -> str:
    result = subprocess.run(
        [go_binary(), "env", "GOVERSION", "GOOS", "GOARCH"], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BuildError(f"go env failed: {result.stderr.strip()}")
    return " ".join(result.stdout.split())


def _run_go(arguments: t.Sequence[str], cwd: Path, env: dict[str, str], what: str) -> None:
    try:
        result = subprocess.run(
            [go_binary(), *arguments], cwd=cwd, env=env, capture_output=True, text=True,
            timeout=BUILD_TIMEOUT_SECONDS, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise BuildError(f"{what}: go did not finish in {BUILD_TIMEOUT_SECONDS}s") from None
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        raise BuildError(f"{what} failed (go {' '.join(arguments[:2])}): " + " | ".join(lines[-8:]))


@contextlib.contextmanager
def _locked(directory: Path) -> t.Iterator[None]:
    """One build of a directory at a time (two test runs on one machine wait for each other)."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    with open(directory.parent / f".{directory.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _install(directory: Path, names: t.Sequence[str], build: t.Callable[[Path], None]) -> float:
    """Run ``build`` into a temporary directory and move it into place; seconds, 0 if present."""
    if all((directory / name).is_file() for name in names):
        return 0.0
    with _locked(directory):
        if all((directory / name).is_file() for name in names):
            return 0.0
        started = time.monotonic()
        scratch = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}-"))
        try:
            build(scratch)
            missing = [n for n in names if not (scratch / n).is_file()]
            if missing:
                raise BuildError(f"go built no {', '.join(missing)} in {scratch}")
            shutil.rmtree(directory, ignore_errors=True)
            os.replace(scratch, directory)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return time.monotonic() - started


def kubeconform() -> Built:
    """The pinned kubeconform, built once."""
    directory = bin_dir() / f"kubeconform-{KUBECONFORM_VERSION}"

    def build(target: Path) -> None:
        env = {**_go_env(), "GOBIN": str(target)}
        package = f"{KUBECONFORM_MODULE}/cmd/kubeconform@{KUBECONFORM_VERSION}"
        _run_go(["install", *BUILD_FLAGS, package], REPO, env, f"go install {package}")

    seconds = _install(directory, ["kubeconform"], build)
    return Built(directory / "kubeconform", seconds)


def kustomize() -> Built:
    """The pinned standalone kustomize, built once."""
    directory = bin_dir() / f"kustomize-{KUSTOMIZE_VERSION}"

    def build(target: Path) -> None:
        env = {**_go_env(), "GOBIN": str(target)}
        package = f"{KUSTOMIZE_MODULE}@{KUSTOMIZE_VERSION}"
        # The release binaries carry their version in provenance.version (`kustomize version`).
        stamp = f"-ldflags=-s -w -X sigs.k8s.io/kustomize/api/provenance.version={KUSTOMIZE_VERSION}"
        _run_go(["install", "-trimpath", stamp, package], REPO, env, f"go install {package}")

    seconds = _install(directory, ["kustomize"], build)
    return Built(directory / "kustomize", seconds)


@pytest.fixture(scope="session")
def kube_binaries() -> dict[str, Path]:
    """kube-apiserver and etcd (``kube``) for the tests of tests/kube and tests/argocd, whose
    conftests import this fixture; a build that cannot happen fails the test."""
    try:
        return {name: built.path for name, built in kube().items()}
    except BuildError as error:
        pytest.fail(f"cannot build the test API server: {error}", pytrace=False)


def kube_key() -> str:
    digest = hashlib.sha256()
    for name in ("go.mod", "go.sum"):
        digest.update((GO_MODULE / name).read_bytes())
    digest.update(go_version().encode())
    digest.update(" ".join([*BUILD_FLAGS, *KUBE_PACKAGES]).encode())
    return digest.hexdigest()[:16]


def kube() -> dict[str, Built]:
    """kube-apiserver and etcd of ``test/apiserver``, built once per pin: name -> binary."""
    directory = bin_dir() / f"kube-{kube_key()}"

    def build(target: Path) -> None:
        env = _go_env()
        # Download first: a module the proxy refuses is named on its own line.
        _run_go(["mod", "download"], GO_MODULE, env, f"go mod download in {GO_MODULE.relative_to(REPO)}")
        for package, name in KUBE_PACKAGES.items():
            _run_go(["build", *BUILD_FLAGS, "-o", str(target / name), package], GO_MODULE, env, f"go build {package}")

    seconds = _install(directory, list(KUBE_PACKAGES.values()), build)
    return {name: Built(directory / name, seconds) for name in KUBE_PACKAGES.values()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args()
    try:
        for name, built in [("kubeconform", kubeconform()), ("kustomize", kustomize()), *kube().items()]:
            print(f"{name}: {built.path} ({'cached' if not built.seconds else f'built in {built.seconds:.0f}s'})")
    except BuildError as error:
        print(f"binaries: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
