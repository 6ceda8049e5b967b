"""``docs/catalog.md``: every table of the catalog with its sources, generated from the tables
(``.venv/bin/python -m accelcap.generate`` writes it, ``--check`` keeps it current)."""

from __future__ import annotations

import typing as t
from collections import defaultdict

from ..tables import markdown_table
from . import boot_images, gitops, images, install_naming, instance_types, kinds, openshift_versions, operators
from .instance_types import family_of

DOCS_FILE = "docs/catalog.md"


def _sources(sources: t.Iterable[str]) -> list[str]:
    return ["Sources:", "", *(f"- {source}" for source in sources)]


def _instance_types() -> list[str]:
    families: dict[tuple[str, str | None], list[instance_types.InstanceType]] = defaultdict(list)
    for row in instance_types.INSTANCE_TYPES.values():
        families[(family_of(row.name), row.accelerator_label)].append(row)
    rows = [
        (
            f"`{family}`",
            f"`{label}`" if label else "",
            ", ".join(f"{r.name.split('.', 1)[1]} ({r.vcpus}/{r.accelerators})" for r in members),
        )
        for (family, label), members in families.items()
    ]
    prefixes = [
        (f"`{prefix}*`", accelerator.value, f"`{accelerator.resource}`" if accelerator.resource else "")
        for prefix, accelerator in instance_types.ACCELERATOR_BY_FAMILY_PREFIX.items()
    ]
    return [
        "## EC2 instance types",
        "",
        "`accelcap.catalog.instance_types`: vCPUs and accelerators (GPUs, or Neuron devices) per size, and",
        "the value of the node label `cluster-api/accelerator` the project uses for the family. The linter,",
        "the capacity diff and `verify-quotas --plan` read them; `verify-quotas` asks EC2 instead.",
        "",
        markdown_table(("Family", "Accelerator label", "Sizes (vCPUs/accelerators)"), rows).rstrip("\n"),
        "",
        "A pool's accelerator comes from its instance family, longest prefix first (any other family:",
        "none):",
        "",
        markdown_table(("Family prefix", "Accelerator", "Pod resource"), prefixes).rstrip("\n"),
        "",
        *_sources(instance_types.SOURCES),
    ]


def _openshift_versions() -> list[str]:
    rows = list(openshift_versions.KUBERNETES_FOR_OPENSHIFT.items())
    return [
        "## OpenShift and Kubernetes versions",
        "",
        "`accelcap.catalog.openshift_versions`: `tools/validate` checks a cluster's objects against the",
        "Kubernetes schemas of its `openshiftVersion`; a version missing here is bad input.",
        "",
        markdown_table(("OpenShift", "Kubernetes"), rows).rstrip("\n"),
        "",
        *_sources(openshift_versions.SOURCES),
    ]


def _operators() -> list[str]:
    channels = [
        (f"`{row.channel}`", str(row.openshift), f"[{row.release} bundle annotations]({row.source})")
        for row in operators.GPU_OPERATOR_CHANNELS.values()
    ]
    neuron = operators.NEURON_OPERATOR_OPENSHIFT
    prebuilt = operators.NEURON_PREBUILT_DRIVERS_OPENSHIFT
    return [
        "## Accelerator operators and OpenShift versions",
        "",
        "`accelcap.catalog.operators`, checked by lint rule CAP017 against each cluster's `openshiftVersion`.",
        "",
        "NVIDIA GPU Operator (`gpu-operator-certified`): pin a version channel that supports the",
        "cluster's OpenShift version, never `stable`.",
        "",
        markdown_table(("Channel", "OpenShift", "Read from (`com.redhat.openshift.versions`)"), channels).rstrip("\n"),
        "",
        "`stable` is a real channel: every release is published to it, so it installs whichever release is",
        f"newest when OLM resolves it ({operators.newest_gpu_operator_release().release} as read). CAP017 reports it as cannot check.",
        "",
        "Without `spec.daemonsets.tolerations` (or with an empty list) the operand DaemonSets keep the",
        "operator's default tolerations: "
        + ", ".join(f"`{t['key']}` {t['operator']} {t['effect']}" for t in operators.GPU_OPERATOR_DEFAULT_TOLERATIONS)
        + " (CAP010).",
        "",
        *_sources(operators.GPU_OPERATOR_TOLERATION_SOURCES),
        "",
        f"AWS Neuron operator (`aws-neuron-operator`, community-operators): offered for OpenShift {neuron}",
        f"only; prebuilt Neuron driver images exist for {prebuilt}.",
        "",
        *_sources((*operators.NEURON_OPERATOR_SOURCES, *operators.NEURON_PREBUILT_DRIVERS_SOURCES)),
        "",
        "### Neuron scheduler per OpenShift version",
        "",
        "`DeviceConfig` `spec.customSchedulerImage`: the kube-scheduler of the Kubernetes version the cluster",
        "runs, never newer than its API server (CAP024; set it in `overlays/<cluster>/inferentia/operators`).",
        "",
        markdown_table(
            ("OpenShift", "Kubernetes", "customSchedulerImage", "Read from"),
            [(f"`{r.openshift}`", r.kubernetes, f"`{r.image}`", f"[EKS Distro release]({r.source})")
             for r in operators.NEURON_SCHEDULER_IMAGES.values()],
        ).rstrip("\n"),
        "",
        *_sources((operators.VERSION_SKEW_POLICY,)),
        "",
        "### NodeFeatureRule API per OpenShift version",
        "",
        "Where the NFD operator of each OpenShift version serves NodeFeatureRule (CAP024). OpenShift's",
        "`nfd.k8s-sigs.io` NodeFeatureRule is Namespaced, unlike upstream's cluster-scoped one.",
        "",
        markdown_table(
            ("OpenShift", "apiVersion", "Scope", "Read from"),
            [(str(r.openshift), f"`{r.api_version}`", "Namespaced" if r.namespaced else "Cluster", r.source)
             for r in operators.NODE_FEATURE_RULE_APIS],
        ).rstrip("\n"),
        "",
        "### OLM packages",
        "",
        "The only (package, catalog source) pairs a Subscription may name, each in its own namespace, from",
        f"`{operators.MARKETPLACE_NAMESPACE}` (CAP023). These namespaces are the repository's own.",
        "",
        markdown_table(
            ("Package", "Catalog source", "Namespace", "Read from"),
            [(f"`{r.package}`", f"`{r.source}`", f"`{r.namespace}`", r.reference) for r in operators.OLM_PACKAGES.values()],
        ).rstrip("\n"),
    ]  # fmt: skip


def _images() -> list[str]:
    return [
        "## Operand images",
        "",
        "The registries each vendor publishes operand images to (`accelcap.catalog.images`; CAP034). An",
        "operand or validation image must come from its vendor's registries, by `@sha256:` digest or by",
        "one of the tags below.",
        "",
        markdown_table(
            ("Vendor", "Registry", "Read from"),
            [(r.vendor, f"`{r.prefix}`", r.source) for r in images.REGISTRIES],
        ).rstrip("\n"),
        "",
        markdown_table(
            ("Repository", "Known tags"),
            [(f"`{repo}`", ", ".join(f"`{tag}`" for tag in sorted(tags))) for repo, tags in sorted(images.KNOWN_TAGS.items())],
        ).rstrip("\n"),
        "",
        f"Subscription `spec.config` may set only {', '.join(f'`{k}`' for k in sorted(operators.SUBSCRIPTION_CONFIG_KEYS))};",
        f"`installPlanApproval` is one of {', '.join(f'`{v}`' for v in sorted(operators.INSTALL_PLAN_APPROVALS))} (CAP035).",
    ]  # fmt: skip


def _install_naming() -> list[str]:
    rows = [
        (
            f"`{key}`",
            naming.installed_with,
            ", ".join(f"`{name}`" for name in naming.security_group_names("<infraID>")),
            f"`{naming.subnet_prefix('<infraID>')}<zone>`",
        )
        for key, naming in install_naming.INSTALL_NAMING.items()
    ]
    return [
        "## Install-era naming",
        "",
        "`accelcap.catalog.install_naming`: the names the installer gave a cluster's worker security groups",
        "and subnets; the facts' `installNaming` picks the row (`tools/set-infra-id` learns it).",
        "",
        markdown_table(("installNaming", "Installed with", "Security groups", "Subnet"), rows).rstrip("\n"),
        "",
        *_sources(install_naming.SOURCES),
    ]


def _verbs(verbs: frozenset[str]) -> str:
    return "all" if "*" in verbs else ", ".join(sorted(verbs))


def _gitops() -> list[str]:
    grants = [
        ("cluster", ", ".join(f"`{g}`" if g else "core" for g in sorted(grant.groups)),
         ", ".join(sorted(grant.resources)), _verbs(grant.verbs))
        for grant in gitops.DEFAULT_CLUSTER_GRANTS
    ] + [
        (f"`{gitops.INSTANCE_NAMESPACE}`", ", ".join(f"`{g}`" for g in sorted(grant.groups)),
         ", ".join(sorted(grant.resources)), _verbs(grant.verbs))
        for grant in gitops.DEFAULT_INSTANCE_NAMESPACE_GRANTS
    ]  # fmt: skip
    return [
        "## OpenShift GitOps: the default instance's application controller",
        "",
        "`accelcap.catalog.gitops`: what the default Argo CD instance's application controller may do",
        "without the bootstrap's ClusterRole (CAP019). Everything else an Application syncs needs a rule in",
        "`base/bootstrap/controller-rbac.yaml`.",
        "",
        f"- instance: `ArgoCD` `{gitops.INSTANCE_NAME}` in `{gitops.INSTANCE_NAMESPACE}`",
        f"- controller service account: `{gitops.INSTANCE_NAMESPACE}/{gitops.CONTROLLER_SERVICE_ACCOUNT}`",
        f"- its ClusterRole from the operator: `{gitops.DEFAULT_CLUSTER_ROLE}`",
        "",
        markdown_table(("Where", "API groups", "Resources", "Verbs"), grants).rstrip("\n"),
        "",
        "Its Role in the instance namespace also carries the rules of the cluster's `admin` ClusterRole, which",
        "differ per cluster and are not counted.",
        "",
        *_sources(gitops.SOURCES),
        "",
        *_sources(gitops.APPLICATION_HEALTH_SOURCES),
    ]


def _kinds() -> list[str]:
    rows = [
        (f"`{r.group}`" if r.group else "core", r.kind, r.resource, "Namespaced" if r.namespaced else "Cluster")
        for r in kinds.KINDS.values()
    ]
    return [
        "## API kinds: resource names and scope",
        "",
        "`accelcap.catalog.kinds`: what the AppProject (CAP018), RBAC (CAP019) and scope (CAP012) rules know",
        "about each kind; any other kind needs its CustomResourceDefinition in the render, or cannot be checked.",
        "",
        markdown_table(("Group", "Kind", "Resource", "Scope"), rows).rstrip("\n"),
        "",
        *_sources(kinds.SOURCES),
    ]


def _boot_images() -> list[str]:
    first = ".".join(str(n) for n in boot_images.MANAGED_BY_DEFAULT_FROM)
    return [
        "## Boot images",
        "",
        f"`accelcap.catalog.boot_images`: from OpenShift {first} the Machine Config Operator manages the boot image",
        'of AWS MachineSets by default and rewrites these fields (CAP022; docs/runbook.md, "Boot images"):',
        "",
        *(f"- `{pointer}`" for pointer in boot_images.MANAGED_POINTERS),
        "",
        f"After {boot_images.HOT_LOOP_LIMIT} identical patches of one MachineSet its hot-loop guard degrades machine-config.",
        "",
        *_sources(boot_images.SOURCES),
    ]


def render_docs() -> str:
    lines = [
        "# Vendor facts",
        "",
        "<!-- GENERATED by `.venv/bin/python -m accelcap.generate` from src/accelcap/catalog/; do not edit. -->",
        "",
        "The facts about AWS, OpenShift and the operators that the tools rely on, one table per module",
        "of `src/accelcap/catalog/`, each with where it was read. Change a table there (with its source),",
        "then run `.venv/bin/python -m accelcap.generate`.",
        "",
        *_instance_types(),
        "",
        *_openshift_versions(),
        "",
        *_operators(),
        "",
        *_images(),
        "",
        *_install_naming(),
        "",
        *_gitops(),
        "",
        *_kinds(),
        "",
        *_boot_images(),
    ]
    return "\n".join(lines) + "\n"
