"""CAP032: Applications name only the bootstrap's projects; the live `default` project is locked down."""

from __future__ import annotations

import typing as t

from ...catalog.gitops import INSTANCE_NAMESPACE
from ...render import Document
from ..context import LintContext
from ..examples import PROJECT, Drop, Set, example
from ..rule import Violation, rule

DEFAULT_PROJECT = "default"
BOOTSTRAP_FILE = "base/bootstrap/appproject-default.yaml"
#: The fields that admit something, and what the locked `default` project holds in each: the
#: restriction of the Argo CD user guide ("Projects", "The default project"), plus no
#: cluster-scoped kinds. Missing counts as empty.
LOCKED_EMPTY = (
    "sourceRepos",
    "sourceNamespaces",
    "destinations",
    "clusterResourceWhitelist",
    "namespaceResourceWhitelist",
)
DENY_ALL = {"group": "*", "kind": "*"}


def bootstrap(document: Document) -> bool:
    """Whether ``document`` is the overlay's own (what a cluster-admin applies), not synced by an
    Application nor part of a hand-applied validation build."""
    return document.application is None and document.rendered_from == document.overlay


@rule(
    "CAP032",
    "argocd-project-fence",
    "Applications name only the bootstrap's projects; the live default project admits nothing",
    what=f"""Every AppProject of the render is the bootstrap's (the overlay's own objects, applied by a
    cluster-admin): none is synced by an Application or applied with a validation build. The bootstrap
    holds Argo CD's built-in project `{DEFAULT_PROJECT}` in `{INSTANCE_NAMESPACE}`, restricted the way the
    Argo CD user guide restricts it: {", ".join(f"`{f}`" for f in LOCKED_EMPTY)} empty and
    `namespaceResourceBlacklist` denying `*/*` ({BOOTSTRAP_FILE}). Every Application names one of the
    bootstrap's projects in `spec.project`, never `{DEFAULT_PROJECT}` (which an empty project means).""",
    why="""Argo CD creates `default` itself and never deletes it; as created it admits any repository,
    destination and kind. An Application naming it (or no project) is admitted on a real cluster
    whatever this repository's projects say, and syncs a ClusterRoleBinding to cluster-admin with the
    controller's rights. A project that an Application syncs can be widened by the same pull request
    it fences. Locking `default` in the bootstrap closes the first door, this rule the others.""",
    fix=f"""Set `spec.project` to a project of base/bootstrap (`{PROJECT}` for pools and operators);
    keep {BOOTSTRAP_FILE} in the bootstrap as it is; define a new AppProject only in base/bootstrap, in a
    reviewed change a cluster-admin applies.""",
    guard=True,
    failing=(
        example(
            "the bootstrap's default project admits a repository",
            Set("AppProject", "/spec/sourceRepos", ["*"], name=DEFAULT_PROJECT),
        ),
        example(
            "the bootstrap's default project whitelists every cluster kind",
            Set("AppProject", "/spec/clusterResourceWhitelist", [{"group": "*", "kind": "*"}], name=DEFAULT_PROJECT),
        ),
        example("the bootstrap's default project no longer denies kinds",
                Set("AppProject", "/spec/namespaceResourceBlacklist", [], name=DEFAULT_PROJECT)),
        example("the bootstrap does not lock the default project", Drop("AppProject", name=DEFAULT_PROJECT)),
    ),
)  # fmt: skip
def check(context: LintContext) -> t.Iterator[Violation]:
    projects = context.of_kind("argoproj.io", "AppProject")
    defined: set[str] = set()
    locked: Document | None = None
    elsewhere = {p.name for p in projects if not bootstrap(p)}
    for project in projects:
        if not bootstrap(project):
            where = f"Application {project.application}" if project.application else f"build {project.rendered_from}"
            yield Violation(
                f"AppProject {project.name} comes from {where}; projects are the bootstrap's alone (base/bootstrap), "
                "so a pull request cannot widen the fence it is judged by",
                project,
            )
            continue
        if (project.namespace or INSTANCE_NAMESPACE) != INSTANCE_NAMESPACE:
            continue  # CAP018 ignores it too: Argo CD reads projects of its own namespace only
        if project.name == DEFAULT_PROJECT:
            locked = project
            yield from _locked(project)
        else:
            defined.add(project.name)
    if locked is None and defined:
        # A bootstrap (it defines projects) that leaves `default` as Argo CD created it.
        yield Violation(
            f"the bootstrap does not restrict Argo CD's built-in project {DEFAULT_PROJECT!r}, which admits any "
            f"repository, destination and kind; keep {BOOTSTRAP_FILE} in base/bootstrap",
            file=f"{projects[0].overlay}/kustomization.yaml",
        )
    for application in context.applications.values():
        name = str(application.get("spec", "project") or DEFAULT_PROJECT)
        if name == DEFAULT_PROJECT:
            yield Violation(
                f"names project {DEFAULT_PROJECT!r} (Argo CD's built-in project); name a project of the bootstrap "
                f"({', '.join(sorted(defined)) or 'none'})",
                application,
                "/spec/project",
            )
        elif name not in defined and name in elsewhere:
            # A project missing from the render altogether is CAP018's finding.
            yield Violation(
                f"names project {name!r}, which the bootstrap does not define ({', '.join(sorted(defined)) or 'none'})",
                application,
                "/spec/project",
            )


def _locked(project: Document) -> t.Iterator[Violation]:
    spec = project.get("spec", default={})
    spec = spec if isinstance(spec, dict) else {}
    for key in LOCKED_EMPTY:
        if spec.get(key):
            yield Violation(
                f"the built-in project {DEFAULT_PROJECT!r} lists {key}; it must stay empty so the project admits "
                "nothing",
                project,
                f"/spec/{key}",
            )
    blacklist = spec.get("namespaceResourceBlacklist")
    if not isinstance(blacklist, list) or DENY_ALL not in blacklist:
        yield Violation(
            f"the built-in project {DEFAULT_PROJECT!r} does not deny every namespaced kind "
            "(namespaceResourceBlacklist: [{group: '*', kind: '*'}])",
            project,
            "/spec/namespaceResourceBlacklist",
        )
