"""CAP034: operands and validation pods run images from their vendor's registries, by digest or a known tag; no LD_PRELOAD."""

from __future__ import annotations

import re
import typing as t

from ...catalog.images import REGISTRIES, VENDOR_OF_KIND, image_problem, vendors
from ...render import Document
from ..context import LintContext
from ..examples import Set, example
from ..rule import Violation, rule

#: Variables that make the dynamic loader run or find other code in every process of the
#: container (ld.so(8)): an operand with one runs whatever the variable names.
LOADER_ENV = re.compile(r"^(LD_[A-Z_]+|DYLD_[A-Z_]+)$")
#: DeviceConfig and the like name images in fields ``<what>Image``.
IMAGE_FIELD = re.compile(r"^[a-zA-Z]*Image$")
POLICY = "gpu-cluster-policy"
#: Stands for the digest of an operator's default image when only its repository is moved.
DEFAULT_DIGEST = "sha256:" + "0" * 64


@rule(
    "CAP034",
    "operand-images",
    "Operand and validation images come from their vendor's registries, by digest or a known tag",
    what=f"""Every image an operator custom resource names (ClusterPolicy `repository`/`image`/`version` of
    each operand, NodeFeatureDiscovery `operand.image`, DeviceConfig `*Image` fields, the Neuron
    scheduler's image) and every container image of a validation pod comes from a registry of its
    vendor ({"; ".join(f"{r.vendor}: `{r.prefix}`" for r in REGISTRIES)}; sources in
    accelcap.catalog.images) and is pinned by `@sha256:` digest or by a tag the catalog lists. No
    `env` in those specs sets a dynamic-loader variable (`LD_PRELOAD`, `LD_LIBRARY_PATH`, `LD_*`).""",
    why="""The GPU operator and the Neuron operator run their operands as privileged DaemonSets on every
    accelerator node, and validation pods run there too: an image from another registry, or a
    loader variable that injects a library into the operand, is root on every GPU node for whoever
    controls that image or library.""",
    fix="""Leave operand images to the operator's defaults, or pin the vendor's image by digest; add a
    reviewed tag to `KNOWN_TAGS` (src/accelcap/catalog/images.py) with its source; remove loader
    variables from operand `env`.""",
    guard=True,
    failing=(
        example("driver image from another registry",
                Set("ClusterPolicy", "/spec/driver/repository", "quay.io/attacker", name=POLICY),
                Set("ClusterPolicy", "/spec/driver/image", "driver", name=POLICY),
                Set("ClusterPolicy", "/spec/driver/version", "550", name=POLICY)),
        example("toolkit image by an unreviewed tag",
                Set("ClusterPolicy", "/spec/toolkit/repository", "nvcr.io/nvidia/k8s", name=POLICY),
                Set("ClusterPolicy", "/spec/toolkit/image", "container-toolkit", name=POLICY),
                Set("ClusterPolicy", "/spec/toolkit/version", "latest", name=POLICY)),
        example("LD_PRELOAD in an operand",
                Set("ClusterPolicy", "/spec/devicePlugin/env", [{"name": "LD_PRELOAD", "value": "/tmp/x.so"}],
                    name=POLICY)),
        example("validation image from elsewhere",
                Set("Pod", "/spec/containers/0/image", "docker.io/library/ubuntu:24.04", name="cuda-vectoradd")),
    ),
    passing=(
        example("driver image by digest",
                Set("ClusterPolicy", "/spec/driver/repository", "nvcr.io/nvidia", name=POLICY),
                Set("ClusterPolicy", "/spec/driver/image", "driver", name=POLICY),
                Set("ClusterPolicy", "/spec/driver/version", "sha256:" + "0" * 64, name=POLICY)),
    ),
)  # fmt: skip
def check(context: LintContext) -> t.Iterator[Violation]:
    for (group, kind), vendor in sorted(VENDOR_OF_KIND.items()):
        for document in context.of_kind(group, kind):
            yield from _walk(document, document.get("spec"), "/spec", frozenset({vendor}))
    for document in context.validation:
        if document.kind == "Pod" and document.group == "":
            yield from _walk(document, document.get("spec"), "/spec", vendors())


def _walk(document: Document, node: t.Any, path: str, allowed: frozenset[str]) -> t.Iterator[Violation]:
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _walk(document, item, f"{path}/{index}", allowed)
        return
    if not isinstance(node, dict):
        return
    reference = _component_image(node)
    if reference is not None:
        problem = image_problem(reference, allowed)
        if problem:
            yield Violation(problem, document, f"{path}/image" if "image" in node else path)
    for key, value in node.items():
        if key == "env" and isinstance(value, list):
            for index, variable in enumerate(value):
                name = variable.get("name") if isinstance(variable, dict) else None
                if isinstance(name, str) and LOADER_ENV.match(name):
                    yield Violation(
                        f"env {name} makes the dynamic loader run other code in the operand", document,
                        f"{path}/env/{index}",
                    )  # fmt: skip
        elif IMAGE_FIELD.match(key) and isinstance(value, str):
            if value.strip():  # "" leaves the operator's default (DeviceConfig draDriverImage)
                problem = image_problem(value, allowed)
                if problem:
                    yield Violation(problem, document, f"{path}/{key}")
        elif key != "image":
            yield from _walk(document, value, f"{path}/{key}", allowed)


def _component_image(node: dict[str, t.Any]) -> str | None:
    """The image a component names, as the GPU operator builds it: ``repository/image:version``
    (``@version`` for a digest), or ``image`` alone when it is a full reference. A
    ``repository`` without an image moves the operator's default image: its registry is judged
    (the default's own digest stands for the image)."""
    image, repository, version = node.get("image"), node.get("repository"), node.get("version")
    image = image if isinstance(image, str) and image.strip() else None
    repository = repository.strip().rstrip("/") if isinstance(repository, str) and repository.strip() else None
    if image is None and repository is None:
        return None
    if image is None:
        return f"{repository}/operator-default@{DEFAULT_DIGEST}"
    name = image if "/" in image or repository is None else f"{repository}/{image}"
    if isinstance(version, str) and version.strip():
        name += f"@{version}" if version.startswith("sha256:") else f":{version}"
    return name
