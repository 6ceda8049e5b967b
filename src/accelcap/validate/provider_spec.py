"""The project's own check of ``providerSpec.value`` of MachineSets and Machines.

The MachineSet CRD types ``providerSpec.value`` as an open object, so no upstream schema
catches ``instancetype:`` or ``spotMarketOption:``; the project's AWSMachineProviderConfig
schema (``accelcap/schemas/awsmachineproviderconfig.schema.json``) does.
"""

from __future__ import annotations

import functools
import typing as t

import jsonschema

from ..fast_valid import errors_of
from ..identifiers import with_ecma_patterns
from ..render import Document
from ..yamlload import package_schema
from .schema_errors import error_path_and_message

VALUE_PATH = {
    "MachineSet": ("spec", "template", "spec", "providerSpec", "value"),
    "Machine": ("spec", "providerSpec", "value"),
}


@functools.cache
def provider_spec_validator() -> jsonschema.Draft202012Validator:
    schema = package_schema("awsmachineproviderconfig.schema.json")
    return t.cast(jsonschema.Draft202012Validator, with_ecma_patterns(jsonschema.Draft202012Validator)(schema))


def applies_to(document: Document) -> bool:
    return document.group == "machine.openshift.io" and document.kind in VALUE_PATH


def provider_spec_errors(document: Document) -> list[tuple[str, str]]:
    """(JSON path, message) of each way ``providerSpec.value`` breaks the schema."""
    path = VALUE_PATH[document.kind]
    value = document.get(*path)
    base = "/" + "/".join(path)
    if value is None:
        # Fail closed: without a value the machine API has nothing to create machines from.
        return [
            (base.rsplit("/", 1)[0], "providerSpec.value is missing: the AWS machine configuration cannot be checked")
        ]
    return [error_path_and_message(error, base) for error in errors_of(provider_spec_validator(), value)]
