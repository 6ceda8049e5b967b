"""CAP033: every pool boots an RHCOS AMI the Machine Config Operator knows."""

from __future__ import annotations

import typing as t

from ...config import load_settings
from ...errors import InputError
from ...validate import rhcos
from ..context import LintContext
from ..examples import Set, Worker, example
from ..provider import PROVIDER
from ..rule import Violation, cannot_check, rule

#: Not RHCOS: the AMI prod's facts held before this rule (issue 19).
NOT_RHCOS = "ami-0c5f5e9b2a7d4e1f3"
#: RHCOS 4.16, x86_64, us-west-2 (the installer's rhcos.json; in AllowedAMIs).
ANOTHER_RHCOS = "ami-0870e36ac57a691a4"


@rule(
    "CAP033",
    "rhcos-ami",
    "Pools boot an RHCOS AMI the Machine Config Operator knows",
    what=f"""Each pool's providerSpec names its AMI by `ami.id`, and that ID is in `AllowedAMIs` of the
    Machine Config Operator ({rhcos.source()}, pinned by commit and sha256 in
    accelcap/validate/crds.yaml and fetched and cached like the CRDs): every RHCOS AMI the installer's
    `rhcos.json` has listed. A fixed list, not the facts: a pull request edits the facts too. When the
    list cannot be fetched the rule cannot check, and fails.""",
    why="""The AMI is the machine's whole operating system. One that is not RHCOS boots whatever its
    owner built, with the worker's user data and instance profile. The MCO moves only a MachineSet
    whose AMI it knows to the cluster's current boot image, and with `RespectIgnoreDifferences` on
    `/ami` a wrong first AMI is never corrected from Git either.""",
    fix="""Capture the workers' AMI from the cluster (`tools/set-infra-id <cluster> --from-cluster`) or take
    the RHCOS AMI of the cluster's Region and architecture from `openshift-install coreos
    print-stream-json`; write it as `ami: {id: ami-...}` in the facts' `spec.worker`.""",
    guard=True,
    failing=(
        example(
            "an AMI that is not RHCOS, in the facts too",
            Worker("/ami", {"id": NOT_RHCOS}),
            Set("MachineSet", f"{PROVIDER}/ami", {"id": NOT_RHCOS}),
        ),
        example(
            "an AMI by filters",
            Worker("/ami", {"filters": [{"name": "name", "values": ["rhcos-*"]}]}),
            Set("MachineSet", f"{PROVIDER}/ami", {"filters": [{"name": "name", "values": ["rhcos-*"]}]}),
        ),
    ),
    passing=(
        example(
            "another RHCOS AMI",
            Worker("/ami", {"id": ANOTHER_RHCOS}),
            Set("MachineSet", f"{PROVIDER}/ami", {"id": ANOTHER_RHCOS}),
        ),
    ),
)
def check(context: LintContext) -> t.Iterator[Violation]:
    if not context.pools:
        return
    try:
        allowed = rhcos.allowed_amis(load_settings())
    except InputError as error:
        yield cannot_check(
            f"the RHCOS AMI list cannot be had ({error}), so no pool's AMI can be checked", blocking=True
        )
        return
    for pool in context.pools:
        ami = pool.provider.get("ami")
        ami_id = ami.get("id") if isinstance(ami, dict) else None
        if not isinstance(ami_id, str) or not ami_id:
            yield Violation(
                "the AMI is not named by ami.id; only an RHCOS AMI ID the Machine Config Operator knows may boot a pool",
                pool.machineset,
                f"{PROVIDER}/ami",
            )
        elif ami_id not in allowed:
            yield Violation(
                f"AMI {ami_id} is not an RHCOS AMI the Machine Config Operator knows (AllowedAMIs, {rhcos.source()})",
                pool.machineset,
                f"{PROVIDER}/ami/id",
            )
