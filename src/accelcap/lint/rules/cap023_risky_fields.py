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

#: The user data secrets of workers: the installer's, and the one the MCO writes when it manages
#: boot images (its stub ignition upgrade, pkg/controller/machine-set-boot-image). Fixed here,
#: never read from the facts a pull request may edit.
WORKER_USER_DATA = (INSTALLER_USER_DATA_SECRET, "worker-user-data-managed")
#: The machine API's AWS credentials (the installer's CredentialsRequest of the machine API).
CREDENTIALS = INSTALLER_CREDENTIALS_SECRET
#: Instance profiles of the control plane and the bootstrap node: the installer names them
#: <infraID>-master-profile, <infraID>-bootstrap-profile (and control-plane in CAPI terms).
CONTROL_PLANE_PROFILE = re.compile(r"(master|control-?plane|bootstrap)", re.IGNORECASE)
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
    what=f"""Fixed rules, never copies of the facts: each pool's providerSpec names a workers' user data
    secret (`userDataSecret`: {" or ".join(f"`{n}`" for n in WORKER_USER_DATA)}), the machine API's AWS
    credentials (`credentialsSecret`: `{CREDENTIALS}`) and an instance profile that is not the control
    plane's or the bootstrap node's (`iamInstanceProfile` naming `master`, `control-plane` or
    `bootstrap`); `publicIp` is not true; `metadataServiceOptions.authentication` is `Required`
    (IMDSv2). Every Subscription names a (package,
    catalog source) pair of `accelcap.catalog.operators` ({PAIRS}), from `{MARKETPLACE_NAMESPACE}`, in
    the package's namespace. Namespace objects are only the repository's own: no `default`,
    `kube-*`, `openshift` or `openshift-*` namespace except the operators' install namespaces
    ({", ".join(sorted(OWNED))}).""",
    why="""Another user data secret boots the node as another kind of machine (or not at all), other
    credentials act with other rights; a public IP puts a GPU node on the internet; IMDSv1 lets any pod
    that reaches the metadata service take the node's AWS role. A Subscription to an unlisted package
    or catalog runs an operator nobody reviewed with cluster rights. A Namespace object for a system
    namespace makes Argo CD own it: relabelling (pod security, monitoring) or deleting it changes the
    platform for everything in it. The facts cannot lower the bar: a pull request edits them too.""",
    fix="""Keep the installer's worker secrets, a worker instance profile and
    `metadataServiceOptions.authentication: Required` (base/machineset) in the facts' `spec.worker`
    and the pools; add a new operator
    to `OLM_PACKAGES` in src/accelcap/catalog/operators.py with its source in a reviewed change; never
    list a system namespace.""",
    guard=True,
    failing=(
        example("another user data secret", Set("MachineSet", f"{PROVIDER}/userDataSecret/name", "master-user-data")),
        example("other credentials", Set("MachineSet", f"{PROVIDER}/credentialsSecret/name", "my-aws-keys")),
        example("public IP", Set("MachineSet", f"{PROVIDER}/publicIp", True)),
        example("IMDSv1 allowed by default", Set("MachineSet", f"{PROVIDER}/metadataServiceOptions", {})),
        example("IMDS optional", Set("MachineSet", f"{PROVIDER}/metadataServiceOptions/authentication", "Optional")),
        example(
            "IMDS optional in the facts too",
            Worker("/metadataServiceOptions", {"authentication": "Optional"}),
            Set("MachineSet", f"{PROVIDER}/metadataServiceOptions/authentication", "Optional"),
        ),
        example(
            "master user data in the facts too",
            Worker("/userDataSecret", {"name": "master-user-data"}),
            Set("MachineSet", f"{PROVIDER}/userDataSecret/name", "master-user-data"),
        ),
        example(
            "the control plane's instance profile",
            Worker("/iamInstanceProfile", {"id": "{infraID}-master-profile"}),
            Set("MachineSet", f"{PROVIDER}/iamInstanceProfile", {"id": "{infraID}-master-profile"}),
        ),
        example(
            "Subscription from another catalog",
            Set("Subscription", "/spec/source", "community-operators", name="gpu-operator-certified"),
        ),
        example("kube-system relabelled", _namespace("kube-system")),
        example("an openshift- system namespace", _namespace("openshift-machine-api")),
    ),
    passing=(
        example(
            "the MCO's managed user data secret",
            Set("MachineSet", f"{PROVIDER}/userDataSecret/name", "worker-user-data-managed"),
        ),
        example("a namespace of the repository's own", _namespace("gpu-burn-in")),
    ),
)
def check(context: LintContext) -> t.Iterator[Violation]:
    for pool in context.pools:
        provider, machineset = pool.provider, pool.machineset
        user_data = _name(provider.get("userDataSecret"))
        if user_data not in WORKER_USER_DATA:
            yield Violation(
                f"userDataSecret is {user_data or '(none)'}, not a workers' user data secret "
                f"({' or '.join(WORKER_USER_DATA)})",
                machineset,
                f"{PROVIDER}/userDataSecret/name",
            )
        credentials = _name(provider.get("credentialsSecret"))
        if credentials != CREDENTIALS:
            yield Violation(
                f"credentialsSecret is {credentials or '(none)'}, not {CREDENTIALS} (the machine API's AWS credentials)",
                machineset,
                f"{PROVIDER}/credentialsSecret/name",
            )
        profile = provider.get("iamInstanceProfile")
        named = " ".join(str(v) for v in profile.values()) if isinstance(profile, dict) else str(profile or "")
        if CONTROL_PLANE_PROFILE.search(named):
            yield Violation(
                f"iamInstanceProfile {named} is a control-plane (or bootstrap) instance profile: the pool's nodes "
                "would act with the control plane's AWS rights",
                machineset,
                f"{PROVIDER}/iamInstanceProfile",
            )
        if provider.get("publicIp") is True:
            yield Violation(
                "publicIp: true gives the pool's nodes public addresses", machineset, f"{PROVIDER}/publicIp"
            )
        options = provider.get("metadataServiceOptions")
        authentication = options.get("authentication") if isinstance(options, dict) else None
        if authentication != "Required":
            yield Violation(
                f"metadataServiceOptions.authentication is {authentication or '(unset: IMDSv1 allowed)'}, not "
                "Required (IMDSv2)",
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
