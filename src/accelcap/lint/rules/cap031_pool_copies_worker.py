"""CAP031: every pool copies the cluster's worker settings, and changes only what a pool needs."""

from __future__ import annotations

import typing as t

from ...toolbox import GENERATOR
from ...worker import CAPTURED, POOL_OWNED, without_unset
from ..context import LintContext
from ..examples import Set, Worker, example
from ..provider import PROVIDER
from ..rule import Violation, rule

#: Worker fields whose value in a pool CAP023 judges (a pool may be stricter than its workers).
JUDGED_BY_CAP023 = frozenset({"userDataSecret", "credentialsSecret", "publicIp", "metadataServiceOptions"})


@rule(
    "CAP031",
    "pool-copies-worker",
    "Pools copy the cluster's worker settings",
    what=f"""Every field of the cluster's worker settings (facts `spec.worker`: AMI, tags, instance profile,
    secrets, security groups, IMDS, block devices, and whatever else the capture found) has the same
    value in each pool's `providerSpec.value`, except the root volume's `volumeSize`, which is the
    pool's; `placement.tenancy` likewise. A pool sets no other provider field than those and its
    own: {", ".join(sorted(POOL_OWNED))}. Empty values count as unset, as they do for the machine
    API. (Zone, region and subnet: CAP009. The secrets, `publicIp` and IMDS: CAP023, which also
    requires IMDSv2 of a pool whose workers name no IMDS `authentication`.)""",
    why="""A pool is the cluster's worker MachineSet with only what the pool needs changed. A pool that
    differs from the workers in its AMI, IMDSv2, KMS key, tags, security groups or secrets launches
    machines that do not join, or join against the cluster's policy, and nothing else would notice.""",
    fix=f"""Change the cluster's worker settings by capturing them (`tools/set-infra-id <cluster>
    --from-cluster`), never in a pool; remove a patch that changes them in a pool directory. When
    the facts hold a field the pool lacks, `overlays/<cluster>/facts/worker/kustomization.yaml` is stale: run
    `{GENERATOR}`.""",
    needs_facts=True,
    failing=(
        example("another KMS key", Set("MachineSet", f"{PROVIDER}/blockDevices/0/ebs/kmsKey", {"arn": "arn:x"})),
        example("facts/worker/ stale: the facts gained a field", Worker("/keyName", "ops")),
    ),
)
def check(context: LintContext) -> t.Iterator[Violation]:
    facts = context.facts
    if facts is None:
        return
    worker = without_unset(facts.worker)
    for pool in context.pools:
        provider = without_unset(pool.provider)
        for key in CAPTURED:
            if key in JUDGED_BY_CAP023:
                continue
            have, want = _pool_value(provider, key), worker.get(key)
            if have == want:
                continue
            path = f"{PROVIDER}/{key}"
            if have is None:
                yield Violation(
                    f"{key} of the cluster's worker settings (facts spec.worker) is missing from the pool: "
                    f"overlays/{facts.name}/facts/worker/kustomization.yaml is stale; run {GENERATOR}",
                    pool.machineset,
                    path,
                )
            elif want is None:
                yield Violation(
                    f"the pool sets {key} {have!r}, which the cluster's workers do not (facts spec.worker)",
                    pool.machineset,
                    path,
                )
            else:
                yield Violation(
                    f"{key} is {have!r} but the cluster's workers have {want!r} (facts spec.worker)",
                    pool.machineset,
                    path,
                )
        for key in sorted(set(provider) - set(CAPTURED) - POOL_OWNED):
            yield Violation(
                f"the pool sets {key}, which neither the cluster's workers nor pool.yaml set",
                pool.machineset,
                f"{PROVIDER}/{key}",
            )


def _pool_value(provider: dict[str, t.Any], key: str) -> t.Any:
    value = provider.get(key)
    if key == "placement" and isinstance(value, dict):
        value = {k: v for k, v in value.items() if k not in ("region", "availabilityZone")} or None
    if key == "blockDevices" and isinstance(value, list) and value and isinstance(value[0], dict):
        root = dict(value[0])
        if isinstance(root.get("ebs"), dict):
            root["ebs"] = {k: v for k, v in root["ebs"].items() if k != "volumeSize"}
        value = [without_unset(root), *value[1:]]
    return value
