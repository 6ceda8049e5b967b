"""The RHCOS AMIs the Machine Config Operator knows, from its pinned source.

The MCO's boot image controller updates the AMI of a MachineSet only when that AMI is in
``AllowedAMIs`` (openshift/machine-config-operator ``pkg/controller/bootimage/ami.go``,
generated from every AMI the installer's ``data/data/coreos/rhcos.json`` has listed). A pool
whose AMI is not there boots whatever image that is, and is never moved to the cluster's boot
image. The file is pinned by commit and sha256 in ``accelcap/validate/crds.yaml`` (``files:``,
``rhcos-amis``) and fetched and cached like the pinned CRDs; it is parsed here, never run.
"""

from __future__ import annotations

import re

from ..config import Settings
from ..errors import InputError
from .pinned import fetch_pinned, pinned_file

PIN = "rhcos-amis"
#: ``var AllowedAMIs = sets.New( "ami-...", ... )``: the one declaration the list is read from.
_DECLARATION = re.compile(r"\bvar\s+AllowedAMIs\s*=\s*sets\.New(?:\[string\])?\((?P<body>[^)]*)\)", re.DOTALL)
_ENTRY = re.compile(r'"(ami-[0-9a-f]{8,17})"')
#: What may stand between the entries: commas, white space and Go comments.
_FILLER = re.compile(r"(?:\s|,|//[^\n]*)*")


def parse_allowed_amis(text: str, where: str) -> frozenset[str]:
    """The AMI IDs of ``AllowedAMIs`` in the Go source ``text``; anything else in the list, or
    no list, is bad input at ``where`` (the pinned file is not what the rule expects)."""
    match = _DECLARATION.search(text)
    if match is None:
        raise InputError(where, "no 'var AllowedAMIs = sets.New(...)' declaration")
    body = match["body"]
    amis = _ENTRY.findall(body)
    if not amis or _FILLER.fullmatch(_ENTRY.sub("", body)) is None:
        raise InputError(where, "AllowedAMIs holds something other than quoted AMI IDs")
    return frozenset(amis)


#: Parsed lists by the pin's sha256: the bytes behind one sha256 never change.
_PARSED: dict[str, frozenset[str]] = {}


def allowed_amis(settings: Settings) -> frozenset[str]:
    """Every AMI of the pinned ``AllowedAMIs`` (fetched and checked against its sha256 first)."""
    pin = pinned_file(PIN)
    if pin.sha256 not in _PARSED:
        where = f"{pin.repo}/{pin.path}@{pin.commit[:12]}"
        try:
            text = fetch_pinned(pin, settings).decode()
        except UnicodeDecodeError:
            raise InputError(where, "is not UTF-8 text") from None
        _PARSED[pin.sha256] = parse_allowed_amis(text, where)
    return _PARSED[pin.sha256]


def source() -> str:
    """Where the list comes from, for rule texts and messages."""
    pin = pinned_file(PIN)
    return f"{pin.repo} {pin.path} at {pin.commit[:12]}"
