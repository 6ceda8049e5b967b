"""Lint against Argo CD: mutants of prod that a rule modelling Argo CD refuses, synced by the real
controller. Lint and Argo CD must agree: lint reports the rule, and Argo CD refuses as the rule
predicts (the condition or operation message it writes, or what it does to the cluster); a
disagreement fails naming the rule.

Covered: CAP018 (AppProject admission), CAP019 (the controller's RBAC), CAP020 (the root's
Application health check), CAP022 (boot-image ignoreDifferences: Argo CD reverts the MCO) and of
the fence's guard rules CAP032 (an Application naming Argo CD's built-in project `default`) and
CAP036 (a bootstrap ClusterRoleBinding for someone else than the controller). The bootstrap before
issue 20, which lint refuses with CAP040, is test_argocd_sync.py's old-bootstrap test.

Mutants share a world where their refusals land on different Applications and cannot hide one
another. The root's waves stop at a wave-0 Application that is not Healthy, so with the health
check in place a refusal on prod-operators hides whatever wave 1 would show. Both worlds therefore
carry CAP020's mutant (the bootstrap's ArgoCD without the Application health check): the root then
creates prod-capacity although prod-operators is refused, which is CAP020's prediction (with the
check, the root would stop at wave 0), and wave 1 can show its own refusal. Two refusals on one
Application would hide each other (its first failure is all it reports), and CAP036's binding
takes the controller's role away from every Application, so:

- CAP020, CAP036 (prod-operators: forbidden), CAP018 (a Service in prod-capacity: not permitted
  in the project, which Argo CD checks before it applies anything, so the missing role cannot
  hide it) and CAP032 (a new wave-0 Application naming `default`: refused by the locked project
  before any sync);
- CAP020, CAP019 (prod-operators: forbidden on NodeFeatureDiscovery) and CAP022 (prod-capacity,
  which the role still lets sync: Argo CD reverts the AMI the MCO writes).
"""

from __future__ import annotations

import typing as t
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from argocd_world import MACHINE_SET, ArgoCDWorld, GitRepository, World, status_of, watch_waves
from fake_operators import FakeOperators

from accelcap.catalog.gitops import CONTROLLER_SERVICE_ACCOUNT, INSTANCE_NAMESPACE
from accelcap.config import load_settings
from accelcap.lint.engine import lint_overlay
from accelcap.model import render_model

#: A kind no AppProject of the bootstrap admits (ConfigMap is admitted: the priority expander).
SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: not-in-the-project
  namespace: openshift-machine-api
spec:
  ports:
    - port: 8080
"""
NFD_RULE = """\
  - apiGroups:
      - nfd.openshift.io
    resources:
      - nodefeaturediscoveries
    verbs: [create, delete, get, list, patch, update, watch]
"""
#: A new Application, synced by the root in wave 0 beside prod-operators, in Argo CD's built-in project.
UNFENCED_APPLICATION = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: prod-unfenced
  namespace: openshift-gitops
spec:
  project: default
  source:
    repoURL: https://github.com/example-org/accelerator-capacity.git
    targetRevision: main
    path: overlays/prod/inferentia/operators
  destination:
    server: https://kubernetes.default.svc
    namespace: openshift-nfd
"""
#: The bootstrap's binding of base/bootstrap/controller-rbac.yaml, rebound: another role to people
#: instead of the controller's role to the controller.
CONTROLLER_BINDING = """\
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: accelerator-capacity-argocd-sync
subjects:
  - kind: ServiceAccount
    name: openshift-gitops-argocd-application-controller
    namespace: openshift-gitops
"""
OTHER_BINDING = """\
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: admin
subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: Group
    name: platform-engineers
"""
POOL, POOL_NAMESPACE = "prod-x7k2p-gpu-us-west-2a", "openshift-machine-api"
CONTROLLER_USER = f"system:serviceaccount:{INSTANCE_NAMESPACE}:{CONTROLLER_SERVICE_ACCOUNT}"
#: What Argo CD may take to refuse on 2 shared cores (a wait polls; it ends as soon as it holds).
REFUSAL_SECONDS = 240


def cap018(repository: GitRepository) -> None:
    (repository.path / "overlays/prod/capacity/service.yaml").write_text(SERVICE)
    repository.edit("overlays/prod/capacity/kustomization.yaml", "resources:\n", "resources:\n  - service.yaml\n")


def cap019(repository: GitRepository) -> None:
    repository.edit("base/bootstrap/controller-rbac.yaml", NFD_RULE, "")


def cap020(repository: GitRepository) -> None:
    # The Application entry and its comment, up to the Subscription's comment.
    path = repository.path / "base/bootstrap/argocd-application-health.yaml"
    text = path.read_text()
    start = text.index("    # Argo CD has no Application health")
    end = text.index("    # OLM's Subscription", start)
    assert "kind: Application\n" in text[start:end], "the Application health check moved"
    path.write_text(text[:start] + text[end:])


def cap022(repository: GitRepository) -> None:
    repository.edit("overlays/prod/apps/kustomization.yaml", "  - ../../../components/boot-images", "")


def cap032(repository: GitRepository) -> None:
    url = repository.url
    (repository.path / "overlays/prod/apps/application-unfenced.yaml").write_text(
        UNFENCED_APPLICATION.replace("https://github.com/example-org/accelerator-capacity.git", url)
    )
    repository.edit(
        "overlays/prod/apps/kustomization.yaml", "resources:\n", "resources:\n  - application-unfenced.yaml\n"
    )


def cap036(repository: GitRepository) -> None:
    repository.edit("base/bootstrap/controller-rbac.yaml", CONTROLLER_BINDING, OTHER_BINDING)


#: (world, fake operators, mutant) -> what Argo CD said or did.
Judge = t.Callable[[ArgoCDWorld, FakeOperators, "Mutant"], str]


@dataclass(frozen=True)
class Mutant:
    rule: str
    description: str
    mutate: t.Callable[[GitRepository], None]
    #: Waits until Argo CD does what the rule predicts; fails naming the rule otherwise.
    judge: Judge


def refusal_of(world: ArgoCDWorld, name: str) -> str:
    """Everything Argo CD says against ``name``: its conditions, and its last operation's message
    and resource results while that operation failed or is retrying."""
    status = (world.application(name) or {}).get("status") or {}
    messages = [c.get("message", "") for c in status.get("conditions") or []]
    operation = status.get("operationState") or {}
    if operation.get("phase") in ("Failed", "Error", "Running"):
        messages.append(operation.get("message", ""))
        messages += [r.get("message", "") for r in (operation.get("syncResult") or {}).get("resources") or []]
    return "\n".join(m for m in messages if m)


def refuses(application: str, *words: str) -> Judge:
    """Argo CD refuses ``application`` with a message that holds every one of ``words``."""

    def judge(world: ArgoCDWorld, _: FakeOperators, mutant: Mutant) -> str:
        def refused() -> str | None:
            said = refusal_of(world, application)
            return said if all(word in said for word in words) else None

        return str(
            world.wait_for(
                f"{mutant.rule}: Argo CD refuses {mutant.description} (lint does), on {application} saying {words}",
                refused,
                REFUSAL_SECONDS,
            )
        )

    return judge


def starts_capacity_before_operators(world: ArgoCDWorld, operators: FakeOperators, mutant: Mutant) -> str:
    """The root creates prod-capacity (wave 1) while prod-operators (wave 0) is not Healthy: the
    watcher of ``watch_waves`` records both, from before the bootstrap."""
    events = operators.events
    created = ("exists", "Application prod-capacity")
    world.wait_for(
        f"{mutant.rule}: the root starts prod-capacity without waiting for prod-operators ({mutant.description})",
        lambda: created in events,
        REFUSAL_SECONDS,
    )
    healthy = events.get(("healthy", "prod-operators"))
    assert healthy is None or healthy > events[created], (
        f"{mutant.rule}: prod-operators was Healthy before the root created prod-capacity, so this world does not "
        f"show whether the root waits ({mutant.description})"
    )
    return f"the root created prod-capacity while prod-operators was {status_of(world.application('prod-operators'))}"


def reverts_the_mco(world: ArgoCDWorld, _: FakeOperators, mutant: Mutant) -> str:
    """Argo CD (self-heal) reverts the AMI the MCO writes."""
    world.wait_settled("prod-capacity", seconds=REFUSAL_SECONDS)
    machineset = world.get(*MACHINE_SET, POOL, POOL_NAMESPACE) or {}
    provider = machineset["spec"]["template"]["spec"]["providerSpec"]["value"]
    git_ami = provider["ami"]
    provider["ami"] = {"id": "ami-0123456789abcdef0"}
    world.server.apply(
        {"apiVersion": MACHINE_SET[0], "kind": "MachineSet", "metadata": {"name": POOL, "namespace": POOL_NAMESPACE},
         "spec": {"template": {"spec": {"providerSpec": {"value": provider}}}}}
    )  # fmt: skip

    def reverted() -> bool:
        live = world.get(*MACHINE_SET, POOL, POOL_NAMESPACE) or {}
        return bool(live["spec"]["template"]["spec"]["providerSpec"]["value"].get("ami") == git_ami)

    world.wait_for(f"{mutant.rule}: Argo CD reverts the MCO's AMI ({mutant.description}; lint predicts it)",
                   reverted, REFUSAL_SECONDS)  # fmt: skip
    return f"the AMI {provider['ami']} written, reverted to {git_ami}"


CAP018 = Mutant(
    "CAP018", "prod-capacity syncs a Service its project does not admit", cap018,
    refuses("prod-capacity", "not permitted in project"),
)  # fmt: skip
CAP019 = Mutant(
    "CAP019", "the bootstrap's ClusterRole lacks NodeFeatureDiscovery", cap019,
    refuses("prod-operators", "forbidden", "nodefeaturediscoveries"),
)  # fmt: skip
CAP020 = Mutant(
    "CAP020", "the bootstrap's ArgoCD without the Application health check", cap020, starts_capacity_before_operators
)
CAP022 = Mutant("CAP022", "prod without components/boot-images", cap022, reverts_the_mco)
CAP032 = Mutant(
    "CAP032", "a new Application naming Argo CD's built-in project default", cap032,
    # util/argo/argo.go ValidatePermissions, as the controller writes it into an InvalidSpecError
    # condition: the locked project admits no repository.
    refuses("prod-unfenced", "is not permitted in project 'default'"),
)  # fmt: skip
CAP036 = Mutant(
    "CAP036", "the bootstrap's ClusterRoleBinding binds admin to a group, not the controller's role to the controller",
    cap036, refuses("prod-operators", "forbidden", CONTROLLER_USER),
)  # fmt: skip


def lint_codes(repository: GitRepository) -> set[str]:
    overlay = render_model(repository.path / "overlays" / "prod", load_settings(repository.path))
    return {finding.code for finding in lint_overlay(overlay)}


def lint_and_argocd_agree(argocd_world: World, *mutants: Mutant) -> None:
    """Apply ``mutants`` to one tree, bootstrap, let Argo CD judge each in turn, and check lint
    reports each rule. Lint reads the committed tree in a thread while Argo CD syncs it (its ~2 s
    of rendering would otherwise come before the bootstrap); a rule lint does not report fails the
    test even when Argo CD's judgement failed as well."""
    with argocd_world(operand_delay=1.0) as (world, operators), ThreadPoolExecutor(1) as pool:
        watch_waves(operators)
        for mutant in mutants:
            mutant.mutate(world.repository)
        world.repository.commit(f"mutants: {'; '.join(m.description for m in mutants)}")
        linted = pool.submit(lint_codes, world.repository)
        world.bootstrap()
        said = {}
        try:
            for mutant in mutants:
                said[mutant.rule] = mutant.judge(world, operators, mutant)
        finally:
            codes = linted.result()
            for mutant in mutants:
                assert mutant.rule in codes, f"{mutant.rule}: lint does not refuse {mutant.description}"
        for rule, words in said.items():
            print(f"{rule}: {words}")  # shown with the test's output (pytest -rP): what Argo CD said


def test_cap020_cap036_cap018_cap032(argocd_world: World) -> None:
    lint_and_argocd_agree(argocd_world, CAP020, CAP036, CAP018, CAP032)


def test_cap020_cap019_cap022(argocd_world: World) -> None:
    lint_and_argocd_agree(argocd_world, CAP020, CAP019, CAP022)
