"""accelcap.catalog.ec2_quotas: one explicit row per instance family, each with its source.

The table must hold every family moto's copy of EC2 DescribeInstanceTypes knows, every family
the Amazon EC2 Instance Types guide lists, and every family this project's docs name; an
unknown family is an error, whatever its first letters.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import re
from pathlib import Path

import pytest

from accelcap.catalog.ec2_quotas import (
    FAMILIES,
    QUOTAS,
    Market,
    NoQuota,
    Quota,
    UnsupportedInstanceType,
    family_quotas,
    quota_for,
)
from accelcap.catalog.instance_types import INSTANCE_TYPES, family_of
from support import REPO


def moto_catalogue() -> dict[str, dict]:
    """moto's bundled copy of EC2 DescribeInstanceTypes (1,395 types, 189 families in 5.2.5)."""
    # Read from moto's package directory: importing moto.ec2 would take seconds of collection.
    spec = importlib.util.find_spec("moto")
    assert spec and spec.submodule_search_locations, "moto is not installed (the test extra)"
    data = (Path(spec.submodule_search_locations[0]) / "ec2" / "resources" / "instance_types.json.gz").read_bytes()
    return json.loads(gzip.decompress(data))


CATALOGUE = moto_catalogue()
MOTO_FAMILIES = sorted({family_of(name) for name in CATALOGUE})

#: The Amazon EC2 Instance Types guide, "Current generation instances" and "Previous generation
#: instances" (https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-types.html), as read
#: for this table; lower-cased.
GUIDE_LIST = """
m5 m5a m5ad m5d m5dn m5n m5zn m6a m6g m6gd m6i m6id m6idn m6in m7a m7g m7gd m7i m7i-flex m8a m8azn
m8g m8gb m8gd m8gn m8i m8id m8i-flex mac1 mac2 mac2-m1ultra mac2-m2 mac2-m2pro mac-m4 mac-m4pro t2 t3
t3a t4g c5 c5a c5ad c5d c5n c6a c6g c6gd c6gn c6i c6id c6in c7a c7g c7gd c7gn c7i c7i-flex c8a c8g
c8gb c8gd c8gn c8i c8id c8i-flex r5 r5a r5ad r5b r5d r5dn r5n r6a r6g r6gd r6i r6id r6idn r6in r7a
r7g r7gd r7i r7iz r8a r8g r8gb r8gd r8gn r8i r8id r8i-flex u-3tb1 u-6tb1 u-9tb1 u-12tb1 u-18tb1
u-24tb1 u7i-6tb u7i-8tb u7i-12tb u7in-16tb u7in-24tb u7in-32tb u7inh-32tb x1 x1e x2gd x2idn x2iedn
x2iezn x8g x8aedz x8i z1d d2 d3 d3en h1 i3 i3en i4g i4i i7i i7ie i8g i8ge im4gn is4gen dl1 dl2q f1
f2 g4ad g4dn g5 g5g g6 g6e g6f gr6 gr6f g7e inf1 inf2 p4d p4de p5 p5e p5en p6-b200 p6-b300
p6e-gb200 trn1 trn1n trn2 trn2u vt1 hpc6a hpc6id hpc7a hpc7g hpc8a
a1 m1 m2 m3 m4 t1 c1 c3 c4 r3 r4 i2 g3 p3 p3dn
"""
GUIDE_FAMILIES = GUIDE_LIST.split()

#: Families named in the issue that asked for this table.
NAMED_IN_ISSUE = ["g5", "g6e", "p5e", "inf2", "trn1n", "dl1", "x2iedn", "u-6tb1", "hpc7g"]

#: AWS's quota names and codes, transcribed from "Amazon EC2 instance type quotas"
#: (https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-quotas.html), whose
#: "Adjustable" links carry each code.
AWS_QUOTAS = {
    "L-6E869C2A": "Running On-Demand DL instances",
    "L-74FC7D96": "Running On-Demand F instances",
    "L-DB2E81BA": "Running On-Demand G and VT instances",
    "L-F7808C92": "Running On-Demand HPC instances",
    "L-43DA4232": "Running On-Demand High Memory instances",
    "L-1945791B": "Running On-Demand Inf instances",
    "L-417A185B": "Running On-Demand P instances",
    "L-1216C47A": "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances",
    "L-2C3B7624": "Running On-Demand Trn instances",
    "L-7295265B": "Running On-Demand X instances",
    "L-85EED4F7": "All DL Spot Instance Requests",
    "L-88CF9481": "All F Spot Instance Requests",
    "L-3819A6DF": "All G and VT Spot Instance Requests",
    "L-B5D1601B": "All Inf Spot Instance Requests",
    "L-7212CCBC": "All P4, P3 and P2 Spot Instance Requests",
    "L-C4BD4855": "All P5 Spot Instance Requests",
    "L-34B43A08": "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests",
    "L-6B0D517C": "All Trn Spot Instance Requests",
    "L-E3A00192": "All X Spot Instance Requests",
}

#: Series whose letter code is longer than one letter ("Amazon EC2 instance type naming
#: conventions" in the guide: https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html);
#: every other family's series is its first letter (im4gn and is4gen are I, gr6 is G).
LONG_SERIES = ("hpc", "inf", "trn", "dl", "vt", "mac", "u")
#: The series AWS's quota names cover besides their own letters: High Memory is the U series.
NAMED_SERIES = {"high memory": {"u"}}


def series_of(family: str) -> str:
    """The instance series of ``family`` by the guide's naming conventions, lower-cased."""
    return next((s for s in LONG_SERIES if re.match(rf"{s}(\d|-|$)", family)), family[0])


def series_in(quota_name: str) -> set[str]:
    """The series an AWS quota name lists, lower-cased: ``Running On-Demand Standard (A, C, D,
    H, I, M, R, T, Z) instances`` -> a, c, ...; ``All P4, P3 and P2 Spot Instance Requests`` ->
    p4, p3, p2 (the Spot quotas split P by generation)."""
    listed = re.sub(r"^(Running On-Demand|All) | (instances|Spot Instance Requests)$", "", quota_name)
    inner = re.search(r"\((.*)\)", listed)
    words = re.split(r", | and ", (inner[1] if inner else listed).lower())
    return set().union(*(NAMED_SERIES.get(w, {w}) for w in words))


def quota_named_for(family: str, market: Market) -> str | None:
    """The code of the one quota of ``market`` whose AWS name lists ``family``'s series (Spot P
    quotas by series and generation), by the names of ``AWS_QUOTAS``; None if no name does."""
    is_spot = market is Market.SPOT
    keys = {series_of(family)} | ({family[:2]} if is_spot and series_of(family) == "p" else set())
    found = [code for code, name in AWS_QUOTAS.items() if ("Spot" in name) == is_spot and keys & series_in(name)]
    assert len(found) <= 1, (family, market, found)
    return found[0] if found else None


def code_or_reason(found: Quota | NoQuota) -> str | NoQuota:
    return found.code if isinstance(found, Quota) else found


def instance_types_named_in(text: str) -> set[str]:
    pattern = r"\b([a-z][a-z0-9]*(?:-[a-z0-9]+)*)\.(?:nano|micro|small|medium|large|metal(?:-\d+xl)?|\d*xlarge)\b"
    return set(re.findall(pattern, text))


def project_docs() -> dict[str, str]:
    """README and docs/, without the generated families table (which names every row)."""
    texts = {"README.md": (REPO / "README.md").read_text()}
    for path in sorted((REPO / "docs").glob("*.md")):
        text = path.read_text()
        text = re.sub(r"<!-- generated:families.*?<!-- end:families -->", "", text, flags=re.DOTALL)
        texts[f"docs/{path.name}"] = text
    return texts


def test_the_catalogue_is_big_enough_to_mean_something() -> None:
    assert len(CATALOGUE) > 1000 and len(MOTO_FAMILIES) > 150


def test_every_family_moto_knows_is_a_row() -> None:
    assert [f for f in MOTO_FAMILIES if f not in FAMILIES] == []


def test_every_family_the_aws_guide_lists_is_a_row() -> None:
    assert [f for f in GUIDE_FAMILIES if f not in FAMILIES] == []


def test_every_family_the_docs_name_is_a_row() -> None:
    named = {family: "the issue" for family in NAMED_IN_ISSUE}
    for where, text in project_docs().items():
        named.update({family: where for family in instance_types_named_in(text)})
    named.update({family_of(name): "accelcap.catalog.instance_types" for name in INSTANCE_TYPES})
    assert {f: where for f, where in named.items() if f not in FAMILIES} == {}
    assert {"g5", "inf2", "m6i", "r5a"} <= set(named)  # the scan finds what the docs name


@pytest.mark.parametrize("family", MOTO_FAMILIES)
def test_spot_column_agrees_with_what_ec2_sells(family: str) -> None:
    """A Spot quota exactly where EC2 sells the family as Spot; P6 fails closed, Mac is refused."""
    row = FAMILIES[family]
    sold_as_spot = any("spot" in info.get("SupportedUsageClasses", []) for n, info in CATALOGUE.items()
                       if family_of(n) == family)  # fmt: skip
    if isinstance(row.spot, Quota):
        assert sold_as_spot, f"{family}: a Spot quota for a family EC2 does not sell as Spot"
    elif row.spot is NoQuota.NO_SPOT_MARKET:
        assert not sold_as_spot, f"{family}: EC2 sells it as Spot, but the table says On-Demand only"
    else:
        assert row.spot in (NoQuota.UNDOCUMENTED, NoQuota.DEDICATED_HOSTS_ONLY)


def test_every_row_names_its_aws_source() -> None:
    for row in FAMILIES.values():
        assert row.listed_in.url.startswith("https://docs.aws.amazon.com/"), row.family
        assert row.listed_in.title, row.family
    for quota in QUOTAS:
        assert quota.source.url.startswith("https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-quotas")


def test_quota_codes_and_names_are_awss() -> None:
    assert {q.code: q.name for q in QUOTAS} == AWS_QUOTAS
    assert len({(q.key, q.market) for q in QUOTAS}) == len(QUOTAS)
    assert "L-5480EFD2" not in AWS_QUOTAS  # "Running Dedicated inf Hosts", not Trn Spot
    for row in FAMILIES.values():
        for market in Market:
            found = row.quota(market)
            assert not isinstance(found, Quota) or found in QUOTAS
            assert not isinstance(found, Quota) or found.market is market, (row.family, market)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_each_family_draws_on_the_quota_whose_name_lists_its_series(family: str) -> None:
    """The table's row against AWS's quota names read by the naming conventions: the quota of
    each market is the one whose name lists the family's series, or there is none and the row
    says why (EC2 sells no Spot of it, AWS documents no Spot quota for it, Dedicated Hosts only)."""
    row = FAMILIES[family]
    for market in Market:
        named, found = quota_named_for(family, market), row.quota(market)
        if series_of(family) == "mac":
            assert found is NoQuota.DEDICATED_HOSTS_ONLY and named is None, (family, market)
        elif isinstance(found, Quota):
            assert found.code == named, f"{family} {market}: the table says {found.code}, AWS's names say {named}"
        elif found is NoQuota.UNDOCUMENTED:
            assert named is None, f"{family} {market}: {named} names it"
        else:  # NO_SPOT_MARKET: what EC2 sells, test_spot_column_agrees_with_what_ec2_sells
            assert found is NoQuota.NO_SPOT_MARKET and market is Market.SPOT, (family, market, found)


def test_the_series_reading_tells_the_first_letter_traps() -> None:
    """The naming conventions, not first letters: i, d and h are Standard, u is High Memory."""
    assert {f: quota_named_for(f, Market.ON_DEMAND) for f in ("im4gn", "d3en", "h1", "u-6tb1", "hpc7g", "gr6")} == {
        "im4gn": "L-1216C47A", "d3en": "L-1216C47A", "h1": "L-1216C47A",
        "u-6tb1": "L-43DA4232", "hpc7g": "L-F7808C92", "gr6": "L-DB2E81BA",
    }  # fmt: skip
    assert [quota_named_for(f, Market.SPOT) for f in ("p3dn", "p5en", "p6-b200")] == ["L-7212CCBC", "L-C4BD4855", None]


def test_p5_spot_is_the_p5_quota_and_p6_spot_fails_closed() -> None:
    assert code_or_reason(quota_for("p5.48xlarge", Market.SPOT)) == "L-C4BD4855"
    assert code_or_reason(quota_for("p4d.24xlarge", "spot")) == "L-7212CCBC"
    assert code_or_reason(quota_for("p6-b200.48xlarge", "on-demand")) == "L-417A185B"
    for instance_type in ("p6-b200.48xlarge", "p6-b300.48xlarge", "p6e-gb200.36xlarge"):
        with pytest.raises(UnsupportedInstanceType, match="AWS documents no Spot vCPU quota") as raised:
            quota_for(instance_type, Market.SPOT)
        assert raised.value.exit_code == 2


@pytest.mark.parametrize(
    "instance_type",
    # New families of known series: a prefix or first-letter rule would class each of them.
    ["p7.48xlarge", "p6-b400.48xlarge", "g9.xlarge", "m99.large", "inf3.xlarge", "trn9.2xlarge", "hpc9a.48xlarge",
     "u8i-6tb.112xlarge", "x9.large", "q9.large", "nonsense", "", "g5"],
)  # fmt: skip
def test_a_family_not_in_the_table_is_an_error_whatever_its_letters(instance_type: str) -> None:
    with pytest.raises(UnsupportedInstanceType) as raised:
        family_quotas(instance_type)
    assert raised.value.exit_code == 2


def test_mac_is_refused_in_both_markets() -> None:
    for market in Market:
        with pytest.raises(UnsupportedInstanceType, match="Dedicated Hosts only"):
            quota_for("mac2.metal", market)


def test_no_spot_market_is_a_finding_not_an_error() -> None:
    assert quota_for("hpc7g.16xlarge", Market.SPOT) is NoQuota.NO_SPOT_MARKET
    assert not NoQuota.NO_SPOT_MARKET.fails_closed
