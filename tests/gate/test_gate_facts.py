"""Policy that facts cannot lower (issue 19, part 4).

Each pull request edits the cluster's facts (``spec.worker``) and regenerates, as a careless
or hostile change would, so that the pools copy the lowered value; fixed rules (CAP023, CAP033)
still refuse it. The AMI list is the Machine Config Operator's, pinned and parsed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from gate_support import caught, edit, lint

from accelcap import generate
from accelcap.config import load_settings
from accelcap.errors import InputError
from accelcap.validate.rhcos import allowed_amis, parse_allowed_amis

FACTS = "overlays/prod/facts/cluster.yaml"


def _facts_pr(root: Path, old: str, new: str) -> None:
    edit(root, FACTS, old, new)
    load_settings.cache_clear()
    generate.write_derived(root)


@pytest.mark.parametrize(
    ("old", "new", "rule", "says"),
    [
        ("      name: worker-user-data\n", "      name: master-user-data\n", "CAP023", "master-user-data"),
        ("      name: aws-cloud-credentials\n", "      name: my-keys\n", "CAP023", "my-keys"),
        ("      id: prod-x7k2p-worker-profile\n", "      id: prod-x7k2p-master-profile\n", "CAP023", "control-plane"),
        ("    metadataServiceOptions: {}\n", "    metadataServiceOptions:\n      authentication: Optional\n",
         "CAP023", "Required"),
        ("    deviceIndex: 0\n", "    deviceIndex: 0\n    publicIp: true\n", "CAP023", "publicIp"),
        ("      id: ami-0870c7a3d5ef4d2b3\n", "      id: ami-0c5f5e9b2a7d4e1f3\n", "CAP033", "ami-0c5f5e9b2a7d4e1f3"),
    ],
    ids=["master-user-data", "other-credentials", "master-profile", "imds-optional", "public-ip", "not-rhcos"],
)  # fmt: skip
def test_lowering_the_facts_does_not_lower_the_bar(repo_copy: Path, old: str, new: str, rule: str, says: str) -> None:
    _facts_pr(repo_copy, old, new)
    found = caught(lint(), rule)
    assert any(says in f["message"] for f in found), found


def test_another_rhcos_ami_in_the_facts_passes(repo_copy: Path) -> None:
    _facts_pr(repo_copy, "      id: ami-0870c7a3d5ef4d2b3\n", "      id: ami-0870e36ac57a691a4\n")
    assert lint().code == 0


def test_prod_boots_an_ami_the_mco_knows() -> None:
    amis = allowed_amis(load_settings())
    assert "ami-0870c7a3d5ef4d2b3" in amis and "ami-0c5f5e9b2a7d4e1f3" not in amis
    assert len(amis) > 9000  # every AMI rhcos.json ever listed


@pytest.mark.parametrize(
    "text",
    [
        "package bootimage\n",
        'var AllowedAMIs = sets.New(\n\t"ami-0870c7a3d5ef4d2b3", someFunction(),\n)\n',
        "var AllowedAMIs = sets.New()\n",
        'var AllowedAMIs = sets.New("ami-0870c7a3d5ef4d2b3", "rhcos-4.16")\n',
    ],
    ids=["no-declaration", "a-call", "empty", "not-an-ami"],
)
def test_a_list_that_is_not_what_the_rule_reads_is_bad_input(text: str) -> None:
    with pytest.raises(InputError):
        parse_allowed_amis(text, "ami.go")


def test_the_list_parses_with_comments_between_entries() -> None:
    text = 'var AllowedAMIs = sets.New(\n\t// 4.16\n\t"ami-0870c7a3d5ef4d2b3", "ami-0870e36ac57a691a4",\n)\n'
    assert parse_allowed_amis(text, "ami.go") == {"ami-0870c7a3d5ef4d2b3", "ami-0870e36ac57a691a4"}
