"""Kubernetes core schemas, offline, from the ``kubernetes-validate`` package.

The package ships ``kubernetes-json-schema/v1.XX.0-local-strict/<kind><suffix>.json`` per
Kubernetes minor version; the "local" flavour ``$ref``s a shared ``_definitions.json`` by its
``$id`` (``https://kubernetes.io/api/_definitions.json``), which ``referencing`` resolves
once it is in the registry, so each version's definitions are parsed once per process.
"""

from __future__ import annotations

import functools
import json
import re
import typing as t
from importlib import resources
from pathlib import Path

from ..catalog.openshift_versions import KUBERNETES_FOR_OPENSHIFT
from ..errors import InputError
from .fetch import parse_json
from .locations import ResourceType

#: Without cluster facts: the newest Kubernetes minor the project maps an OpenShift to.
DEFAULT_KUBERNETES_VERSION = max(KUBERNETES_FOR_OPENSHIFT.values(), key=lambda v: tuple(map(int, v.split("."))))


def _minor(version: str) -> tuple[int, int]:
    if version == "master":  # kubeconform's name for the newest: the newest bundled here
        return (999, 999)
    match = re.match(r"v?(\d+)\.(\d+)", version)
    if match is None:
        raise InputError("kubernetes version", f"{version!r} is not X.Y, X.Y.Z or master")
    return int(match.group(1)), int(match.group(2))


@functools.cache
def bundle_root() -> Path:
    try:
        root = Path(str(resources.files("kubernetes_validate").joinpath("kubernetes-json-schema")))
    except ModuleNotFoundError:
        raise InputError(
            "kubernetes-validate", "the package is not installed (pip install kubernetes-validate)"
        ) from None
    return root


@functools.cache
def bundled_versions() -> tuple[str, ...]:
    """``v1.25.0`` ... of the strict local flavour, oldest first."""
    names = [p.name.removesuffix("-local-strict") for p in bundle_root().glob("v*-local-strict")]
    return tuple(sorted(names, key=_minor))


def known_kubernetes_version(text: str) -> str:
    """``--kubernetes-version``: ``X.Y`` (or ``X.Y.Z``, ``vX.Y``) of a Kubernetes minor whose
    schemas are bundled, or ``master``; anything else (``9.99``) is bad input, never quietly
    the newest schemas."""
    match = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?", text)
    if text == "master" or (match is not None and (int(match[1]), int(match[2])) in map(_minor, bundled_versions())):
        return text
    known = ", ".join(version.removeprefix("v").rsplit(".", 1)[0] for version in bundled_versions())
    raise InputError("--kubernetes-version", f"{text!r} is not a Kubernetes version with schemas here (known: {known})")


def bundle_directory(kubernetes_version: str) -> Path:
    """The newest bundled version not newer than ``kubernetes_version`` (as kubernetes-validate picks)."""
    wanted = _minor(kubernetes_version)
    candidates = [v for v in bundled_versions() if _minor(v) <= wanted]
    if not candidates:
        raise InputError(
            "kubernetes-validate",
            f"no bundled schemas for Kubernetes {kubernetes_version} (bundled: {', '.join(bundled_versions())})",
        )
    return bundle_root() / f"{candidates[-1]}-local-strict"


def schema_path(resource: ResourceType, kubernetes_version: str) -> Path:
    return bundle_directory(kubernetes_version) / f"{resource.kind.lower()}{resource.kind_suffix}.json"


@functools.cache
def definitions(directory: Path) -> dict[str, t.Any]:
    """The version's ``_definitions.json``, parsed once."""
    path = directory / "_definitions.json"
    try:
        return t.cast(dict[str, t.Any], parse_json(path.read_bytes(), str(path)))
    except OSError as error:
        raise InputError(str(path), error.strerror or str(error)) from None


#: The ``$ref`` prefix of the local flavour, and what it becomes in a standalone copy.
_DEFINITIONS_REF = '"/api/_definitions.json#/$defs/'


def standalone_schema(path: Path) -> bytes:
    """The schema at ``path`` with its definitions inlined, for engines without our registry.

    kubeconform cannot resolve the local flavour's ``$ref`` to ``https://kubernetes.io/...``
    offline; a copy with ``$defs`` inside and ``#/$defs/...`` references can be.
    """
    text = path.read_text()
    schema = parse_json(text.replace(_DEFINITIONS_REF, '"#/$defs/'), str(path))
    schema["$defs"] = definitions(path.parent)["$defs"]
    return json.dumps(schema).encode()
