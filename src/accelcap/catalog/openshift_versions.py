"""Which Kubernetes minor version each OpenShift minor version ships.

Tools validate a cluster's objects against the Kubernetes schemas of its OpenShift version
(facts ``openshiftVersion``), so a version missing here is bad input, never a guess.
"""

from __future__ import annotations

#: Where the table was read from: each release's notes say which Kubernetes it is based on,
#: and openshift/kubernetes carries that rebase on its ``release-4.<minor>`` branch.
SOURCES = (
    (
        "https://docs.redhat.com/en/documentation/openshift_container_platform/ (release notes of each 4.x: "
        '"OpenShift Container Platform 4.x is based on Kubernetes 1.y")'
    ),
    "https://github.com/openshift/kubernetes (branch release-4.x, rebased on Kubernetes 1.y)",
)

#: OpenShift minor version -> the Kubernetes minor version it ships.
KUBERNETES_FOR_OPENSHIFT: dict[str, str] = {
    "4.14": "1.27", "4.15": "1.28", "4.16": "1.29", "4.17": "1.30",
    "4.18": "1.31", "4.19": "1.32", "4.20": "1.33", "4.21": "1.34", "4.22": "1.35",
}  # fmt: skip
