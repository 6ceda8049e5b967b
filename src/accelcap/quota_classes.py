"""EC2 vCPU quota classes: which quota an instance type draws on, On-Demand and Spot.

The one mapping of instance type -> quota class in the project (``tools/verify-quotas`` and
``tools/capacity-diff`` both use it). EC2 counts running vCPUs per *class* of families, and
each class has its own quota per market. Sources: the EC2 User Guide pages "On-Demand
Instance quotas" and "Spot Instance quotas"; the codes were checked against real
ListServiceQuotas output (see ``../shared/research/aws-quotas.md`` §1).

Matching is by the LONGEST family prefix: first-letter matching silently puts inf into
Standard (``i``), trn into Standard (``t``), dl into Standard (``d``) and hpc into Standard
(``h``); several public quota checkers have that bug. A family that matches nothing is an
error, never Standard, so a new AWS family fails loudly instead of passing against the
wrong quota.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .errors import InputError
from .instance_types import family_of


class Market(str, enum.Enum):
    """The two purchase markets with separate vCPU quotas; values match ``Pool.market``."""

    ON_DEMAND = "on-demand"
    SPOT = "spot"


@dataclass(frozen=True)
class QuotaClass:
    """One EC2 vCPU quota class and its Service Quotas codes (service code ``ec2``)."""

    #: Short stable identifier used in reports and JSON (``G``, ``Inf``, ``HighMem``).
    key: str
    #: What AWS calls it, for people.
    title: str
    on_demand_code: str
    #: None where EC2 offers no Spot for the class (High Memory, HPC).
    spot_code: str | None

    def code(self, market: Market | str) -> str | None:
        """The quota code of ``market``; None when the class cannot run in that market."""
        return self.on_demand_code if Market(market) is Market.ON_DEMAND else self.spot_code


STANDARD = QuotaClass("Standard", "Standard (A, C, D, H, I, M, R, T, Z)", "L-1216C47A", "L-34B43A08")
G_AND_VT = QuotaClass("G", "G and VT", "L-DB2E81BA", "L-3819A6DF")
P = QuotaClass("P", "P", "L-417A185B", "L-7212CCBC")
INF = QuotaClass("Inf", "Inf", "L-1945791B", "L-B5D1601B")
# Trap: some public code uses L-5480EFD2 for Trn Spot; that is "Running Dedicated inf Hosts".
TRN = QuotaClass("Trn", "Trn", "L-2C3B7624", "L-6B0D517C")
DL = QuotaClass("DL", "DL", "L-6E869C2A", "L-85EED4F7")
F = QuotaClass("F", "F", "L-74FC7D96", "L-88CF9481")
X = QuotaClass("X", "X", "L-7295265B", "L-E3A00192")
HIGH_MEMORY = QuotaClass("HighMem", "High Memory", "L-43DA4232", None)
HPC = QuotaClass("HPC", "HPC", "L-F7808C92", None)

QUOTA_CLASSES: tuple[QuotaClass, ...] = (STANDARD, G_AND_VT, P, INF, TRN, DL, F, X, HIGH_MEMORY, HPC)

#: Family prefix -> class. Multi-letter prefixes first come from the families whose first
#: letter would put them in the wrong class; the single letters are AWS's own class names.
PREFIXES: dict[str, QuotaClass] = {
    "hpc": HPC,
    "inf": INF,
    "trn": TRN,
    "dl": DL,
    "vt": G_AND_VT,
    "gr": G_AND_VT,  # gr6: G and VT despite the r
    "u-": HIGH_MEMORY,  # u-3tb1, u-6tb1, ...
    "u7": HIGH_MEMORY,  # u7i-*, u7in-*
    "im": STANDARD,  # im4gn: Standard like i
    "is": STANDARD,  # is4gen: Standard like i
    **{letter: STANDARD for letter in "acdhimrtz"},
    "g": G_AND_VT,
    "p": P,
    "f": F,
    "x": X,
}

#: Families that run on Dedicated Hosts only: they draw on no vCPU quota, so counting them
#: against one would be wrong and a pool of them cannot be checked here.
DEDICATED_HOST_ONLY_PREFIXES = ("mac",)


class UnsupportedInstanceType(InputError):
    """An instance type that maps to no vCPU quota class (exit 2 where it is the input)."""


def quota_class_of(instance_type: str) -> QuotaClass:
    """The quota class of ``instance_type`` (``g5.2xlarge`` -> G and VT), by longest prefix.

    Raises ``UnsupportedInstanceType`` for a Dedicated-Host-only family (``mac*``) and for a
    family no prefix matches.
    """
    family = family_of(instance_type)
    if not family or "." not in instance_type:
        raise UnsupportedInstanceType(instance_type, "not an EC2 instance type (FAMILY.SIZE)")
    if family.startswith(DEDICATED_HOST_ONLY_PREFIXES):
        raise UnsupportedInstanceType(
            instance_type, "runs on Dedicated Hosts only and draws on no vCPU quota; not supported"
        )
    for length in range(len(family), 0, -1):
        found = PREFIXES.get(family[:length])
        if found is not None:
            return found
    raise UnsupportedInstanceType(
        instance_type,
        f"family {family!r} maps to no EC2 vCPU quota class; add it to accelcap.quota_classes.PREFIXES",
    )


def class_by_key(key: str) -> QuotaClass:
    for quota_class in QUOTA_CLASSES:
        if quota_class.key == key:
            return quota_class
    raise KeyError(key)
