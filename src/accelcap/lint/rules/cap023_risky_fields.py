"""CAP023: pools boot as workers, stay private and on IMDSv2; only listed operators and owned namespaces."""

from __future__ import annotations

import re
import typing as t

from ...catalog.operators import MARKETPLACE_NAMESPACE, OLM_PACKAGES
from ...facts import INSTALLER_CREDENTIALS_SECRET, INSTALLER_USER_DATA_SECRET
from ...render import Document
from ..context import LintContext
from ..examples import Add, Set, Worker, example
from ..provider import PROVIDER
from ..rule import Violation, rule

#: Namespaces OpenShift and Kubernetes own: a repository relabelling them changes the platform.
SYSTEM_NAMESPACE = re.compile(r"^(default|openshift|kube-.*|openshift-.*)$")
#: The namespaces the repository creates for its operators (their OLM install namespaces).
OWNED = frozenset(row.namespace for row in OLM_PACKAGES.values())
PAIRS = ", ".join(f"{row.package} from {row.source}" for row in OLM_PACKAGES.values())


def _namespace(name: str) -> Add:
    obj = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {"x": "y"}}}
    return Add(obj, beside="ClusterPolicy")


@rule(
    "CAP023",
    "risky-fields",
    "Pools boot as workers, stay private and on IMDSv2; only listed operators, owned namespaces",
    what=f"""Each pool's providerSpec names the workers' user data secret (`userDataSecret`, the facts'
    `spec.worker.userDataSecret.name`, else the installer's `{INSTALLER_USER_DATA_SECRET}`) and the
    machine API's AWS credentials (`credentialsSecret`, `spec.worker.credentialsSecret.name`, else
    `{INSTALLER_CREDENTIALS_SECRET}`); `publicIp` is not true; `metadataServiceOptions.authentication`
    is `Required` (IMDSv2) unless the facts say the cluster's workers use `Optional`
    (`spec.worker.metadataServiceOptions.authentication`). Every Subscription names a (package,
    catalog source) pair of `accelcap.catalog.operators` ({PAIRS}), from `{MARKETPLACE_NAMESPACE}`, in
    the package's namespace. Namespace objects are only the repository's own: no `default`,
    `kube-*`, `openshift` or `openshift-*` namespace except the operators' install namespaces
    ({", ".join(sorted(OWNED))}).""",
    why="""Another user data secret boots the node as another kind of machine (or not at all), other
    credentials act with other rights; a public IP puts a GPU node on the internet; IMDSv1 lets any pod
    that reaches the metadata service take the node's AWS role. A Subscription to an unlisted package
    or catalog runs an operator nobody reviewed with cluster rights. A Namespace object for a system
    namespace makes Argo CD own it: relabelling (pod security, monitoring) or deleting it changes the
    platform for everything in it.""",
    fix="""Keep the pool bases' secrets and `metadataServiceOptions.authentication: Required` (base/machineset),
    or record what the cluster's workers really use in `spec.worker` of the facts; add a new operator
    to `OLM_PACKAGES` in src/accelcap/catalog/operators.py with its source in a reviewed change; never
    list a system namespace.""",
    needs_facts=True,
    guard=True,
    failing=(
        example("another user data secret", Set("MachineSet", f"{PROVIDER}/userDataSecret/name", "master-user-data")),
        example("other credentials", Set("MachineSet", f"{PROVIDER}/credentialsSecret/name", "my-aws-keys")),
        example("public IP", Set("MachineSet", f"{PROVIDER}/publicIp", True)),
        example("IMDSv1 allowed by default", Set("MachineSet", f"{PROVIDER}/metadataServiceOptions", {})),
        example("IMDS optional", Set("MachineSet", f"{PROVIDER}/metadataServiceOptions/authentication", "Optional")),
        example(
            "Subscription from another catalog",
            Set("Subscription", "/spec/source", "community-operators", name="gpu-operator-certified"),
        ),
        example("kube-system relabelled", _namespace("kube-system")),
        example("an openshift- system namespace", _namespace("openshift-machine-api")),
    ),
    passing=(
        example(
            "workers use IMDS Optional",
            Worker("/metadataServiceOptions", {"authentication": "Optional"}),
            Set("MachineSet", f"{PROVIDER}/metadataServiceOptions/authentication", "Optional"),
        ),
        example(
            "the workers' own user data secret",
            Worker("/userDataSecret", {"name": "worker-user-data-2"}),
            Set("MachineSet", f"{PROVIDER}/userDataSecret/name", "worker-user-data-2"),
        ),
        example("a namespace of the repository's own", _namespace("gpu-burn-in")),
    ),
)
def check(context: LintContext) -> t.Iterator[Violation]:
    facts = context.facts
    user_data = facts.worker_user_data_secret if facts else INSTALLER_USER_DATA_SECRET
    credentials = facts.worker_credentials_secret if facts else INSTALLER_CREDENTIALS_SECRET
    imds = facts.worker_imds_authentication if facts else "Required"
    for pool in context.pools:
        provider, machineset = pool.provider, pool.machineset
        for key, wanted, role in (
            ("userDataSecret", user_data, "the workers' user data"),
            ("credentialsSecret", credentials, "the machine API's AWS credentials"),
        ):
            name = _name(provider.get(key))
            if name != wanted:
                yield Violation(
                    f"{key} is {name or '(none)'}, not {wanted} ({role})", machineset, f"{PROVIDER}/{key}/name"
                )
        if provider.get("publicIp") is True:
            yield Violation(
                "publicIp: true gives the pool's nodes public addresses", machineset, f"{PROVIDER}/publicIp"
            )
        options = provider.get("metadataServiceOptions")
        authentication = options.get("authentication") if isinstance(options, dict) else None
        if authentication != "Required" and not (imds == "Optional" and authentication == "Optional"):
            yield Violation(
                f"metadataServiceOptions.authentication is {authentication or '(unset: IMDSv1 allowed)'}, not "
                f"Required (IMDSv2); the cluster's workers use {imds}",
                machineset,
                f"{PROVIDER}/metadataServiceOptions",
            )
    for subscription in context.of_kind("operators.coreos.com", "Subscription"):
        yield from _subscription(subscription)
    for namespace in context.of_kind("", "Namespace"):
        if SYSTEM_NAMESPACE.match(namespace.name) and namespace.name not in OWNED:
            yield Violation(
                f"namespace {namespace.name} belongs to the platform; a Namespace object here would make Argo CD "
                "own (relabel, or delete) it",
                namespace,
                "/metadata",
            )


def _subscription(subscription: Document) -> t.Iterator[Violation]:
    package = str(subscription.get("spec", "name", default=""))
    source = str(subscription.get("spec", "source", default=""))
    row = OLM_PACKAGES.get(package)
    if row is None or row.source != source:
        yield Violation(
            f"subscribes to {package or '?'} from {source or '?'}, which is not a listed (package, catalog source) "
            f"pair ({PAIRS})",
            subscription,
            "/spec",
        )
        return
    if subscription.get("spec", "sourceNamespace") != MARKETPLACE_NAMESPACE:
        yield Violation(
            f"sourceNamespace is {subscription.get('spec', 'sourceNamespace')!r}, not {MARKETPLACE_NAMESPACE}",
            subscription,
            "/spec/sourceNamespace",
        )
    if subscription.namespace != row.namespace:
        yield Violation(
            f"installs {package} in {subscription.namespace}, not in its namespace {row.namespace}",
            subscription,
            "/metadata/namespace",
        )


def _name(reference: t.Any) -> str | None:
    name = reference.get("name") if isinstance(reference, dict) else None
    return str(name) if name else None
