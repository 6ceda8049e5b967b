"""Operands and operators from known places (issue 19, part 5): pull requests that would run an
attacker's image as privileged DaemonSets on every GPU node."""

from __future__ import annotations

from pathlib import Path

from gate_support import caught, edit, lint

POLICY = "base/instances/gpu-operator/clusterpolicy.yaml"
SUBSCRIPTION = "base/operators/gpu-operator/subscription.yaml"


def test_driver_and_toolkit_from_any_registry_and_ld_preload_fail(repo_copy: Path) -> None:
    edit(repo_copy, POLICY, "  driver:\n    enabled: true\n",
         "  driver:\n    enabled: true\n    repository: quay.io/attacker\n    image: driver\n    version: \"550\"\n"
         "    env:\n      - {name: LD_PRELOAD, value: /run/x.so}\n")  # fmt: skip
    edit(repo_copy, POLICY, "  toolkit:\n    enabled: true\n",
         "  toolkit:\n    enabled: true\n    image: docker.io/attacker/toolkit:1\n")  # fmt: skip
    found = caught(lint(), "CAP034")
    paths = {f["path"] for f in found}
    assert {"/spec/driver/image", "/spec/driver/env/0", "/spec/toolkit/image"} <= paths, paths


def test_an_nvidia_image_by_digest_passes(repo_copy: Path) -> None:
    edit(repo_copy, POLICY, "  driver:\n    enabled: true\n",
         "  driver:\n    enabled: true\n    repository: nvcr.io/nvidia\n    image: driver\n"
         f"    version: sha256:{'1' * 64}\n")  # fmt: skip
    result = lint()
    assert result.code == 0, result.out


def test_subscription_config_with_image_env_and_host_path_fails(repo_copy: Path) -> None:
    edit(repo_copy, SUBSCRIPTION, "  installPlanApproval: Automatic\n",
         "  installPlanApproval: Automatic\n  config:\n"
         "    env:\n      - {name: DRIVER_IMAGE, value: quay.io/attacker/driver:1}\n"
         "      - {name: RELATED_IMAGE_TOOLKIT, value: quay.io/attacker/toolkit:1}\n"
         "    volumes:\n      - {name: root, hostPath: {path: /}}\n"
         "    volumeMounts:\n      - {name: root, mountPath: /host}\n")  # fmt: skip
    paths = {f["path"] for f in caught(lint(), "CAP035")}
    assert paths == {"/spec/config/env/0", "/spec/config/env/1", "/spec/config/volumes", "/spec/config/volumeMounts"}
