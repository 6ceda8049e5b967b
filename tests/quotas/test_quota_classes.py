"""accelcap.quota_classes: instance type -> quota class by longest prefix."""

from __future__ import annotations

import gzip
import json
from importlib import resources

import pytest

from accelcap.instance_types import family_of
from accelcap.quota_classes import (
    DEDICATED_HOST_ONLY_PREFIXES,
    QUOTA_CLASSES,
    Market,
    UnsupportedInstanceType,
    quota_class_of,
)


def moto_catalogue() -> dict[str, dict]:
    """moto's bundled copy of EC2 DescribeInstanceTypes (1,395 types, 189 families in 5.2.5)."""
    data = resources.files("moto.ec2").joinpath("resources/instance_types.json.gz").read_bytes()
    return json.loads(gzip.decompress(data))


CATALOGUE = moto_catalogue()
FAMILIES = sorted({family_of(name) for name in CATALOGUE})

#: The families whose first letter would give the wrong class, and the classes they are in.
TRAPS = {
    "inf1": "Inf", "inf2": "Inf",
    "trn1": "Trn", "trn1n": "Trn", "trn2": "Trn", "trn2u": "Trn",
    "dl2q": "DL",
    "hpc6a": "HPC", "hpc6id": "HPC", "hpc7a": "HPC", "hpc7g": "HPC", "hpc8a": "HPC",
    "vt1": "G", "gr6": "G", "gr6f": "G",
    "im4gn": "Standard", "is4gen": "Standard", "i4i": "Standard", "d3en": "Standard", "h1": "Standard",
    "u-3tb1": "HighMem", "u7i-12tb": "HighMem", "u7in-32tb": "HighMem",
    "p6-b200": "P", "p5en": "P", "f2": "F", "x2iedn": "X", "x8aedz": "X", "z1d": "Standard",
    "g4dn": "G", "g6e": "G", "c7i-flex": "Standard", "t4g": "Standard", "a1": "Standard", "r8gb": "Standard",
}  # fmt: skip


def test_the_catalogue_is_big_enough_to_mean_something() -> None:
    assert len(CATALOGUE) > 1000 and len(FAMILIES) > 150


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_moto_knows_has_a_class_or_an_explicit_refusal(family: str) -> None:
    instance_type = next(name for name in CATALOGUE if family_of(name) == family)
    if family.startswith(DEDICATED_HOST_ONLY_PREFIXES):
        with pytest.raises(UnsupportedInstanceType, match="Dedicated Hosts only"):
            quota_class_of(instance_type)
        return
    quota_class = quota_class_of(instance_type)
    assert quota_class in QUOTA_CLASSES
    if family in TRAPS:
        assert quota_class.key == TRAPS[family]
    # A class without a Spot quota must hold no type that EC2 sells as Spot.
    if quota_class.spot_code is None:
        assert "spot" not in CATALOGUE[instance_type].get("SupportedUsageClasses", []), instance_type


def test_every_trap_is_in_the_catalogue() -> None:
    assert set(TRAPS) <= set(FAMILIES)


@pytest.mark.parametrize("instance_type", ["q9.large", "e1.xlarge", "nonsense", "", "mac2.metal", "mac-m4.metal"])
def test_unknown_or_host_only_families_are_errors_never_standard(instance_type: str) -> None:
    with pytest.raises(UnsupportedInstanceType) as raised:
        quota_class_of(instance_type)
    assert raised.value.exit_code == 2


def test_codes_are_distinct_and_the_trn_spot_trap_is_avoided() -> None:
    codes = [c.on_demand_code for c in QUOTA_CLASSES] + [c.spot_code for c in QUOTA_CLASSES if c.spot_code]
    assert len(codes) == len(set(codes))
    assert "L-5480EFD2" not in codes  # "Running Dedicated inf Hosts", not Trn Spot
    g = quota_class_of("g5.2xlarge")
    assert (g.code(Market.ON_DEMAND), g.code("spot")) == ("L-DB2E81BA", "L-3819A6DF")
    assert quota_class_of("hpc7g.16xlarge").code(Market.SPOT) is None
