"""CAP021: only content reviewed in this repository syncs; no remote bases, resources, components or files."""

from __future__ import annotations

import typing as t

from ..context import LintContext
from ..examples import Remote, example
from ..rule import Violation, rule


@rule(
    "CAP021",
    "reviewed-content-only",
    "Only reviewed content syncs: no remote kustomize content",
    what="""No kustomization that a build of the overlay reaches (the bootstrap, every path an
    Application syncs, the validation builds) names content that is not a file or directory of
    this repository, in any field kustomize loads content from: resources, components, bases,
    generators, transformers, validators, crds, configurations, openapi, patches,
    patchesStrategicMerge, patchesJson6902, replacements, and the files and env files of
    configMapGenerator and secretGenerator. Remote is any form kustomize's repospec parser or
    file loader may fetch (a URL, `git::`, an SCP form `user@host:org/repo` or
    `github.com:org/repo`, `github.com/...`, `repo//path`, a `?ref=` query), even where a path
    of that name exists, and any path that does not exist in the repository; Helm charts
    (`helmCharts`, `helmGlobals`, `helmChartInflationGenerator`) always. Such a build is not
    rendered at all (the linter never fetches it), so no other rule judges the overlay until the
    reference is gone; kustomize itself runs unable to fetch, so a form this misses fails the
    render instead.""",
    why="""Kustomize fetches remote content when it builds, so what it adds was never reviewed in a pull
    request here and can change under the same Git revision (a branch, a moved tag). Argo CD would
    apply it with the controller's rights; the checks of this repository would have seen something
    else, or nothing.""",
    fix="""Copy what you need into `base/` or `components/` (pinning its origin and commit in a comment) and
    refer to it by a relative path; an operator from a catalog belongs in an OLM Subscription.""",
    guard=True,
    runs_unrendered=True,
    failing=(
        example(
            "remote base in the capacity build",
            Remote(
                "overlays/prod/capacity/kustomization.yaml",
                "resources",
                "https://github.com/example/pools//gpu?ref=main",
            ),
        ),
        example(
            "remote component",
            Remote("overlays/prod/operators/kustomization.yaml", "components", "github.com/example/x/components/y"),
        ),
    ),
)
def check(context: LintContext) -> t.Iterator[Violation]:
    for reference in context.overlay.remote_references:
        yield Violation(
            f"{reference.file} names {reference.field} entry {reference.value!r}, which is not a file or directory "
            f"of this repository: kustomize would fetch it from elsewhere; build {reference.build} was not rendered",
            file=reference.file,
        )
