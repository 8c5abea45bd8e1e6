"""Graph v1.0's published property names and types, and the checks the fake server runs with them.

``v1-properties.json`` is a copy of ``/work/shared/graph/v1-properties.json``: every property of message, event,
mailFolder, calendar and user, with its EDM type, extracted from Microsoft's published v1.0 schema
(microsoftgraph/msgraph-metadata ``schemas/v1.0-Prod.csdl``, snapshot of 2026-08-20). The fake checks what a
client sends against it, not against our own reading of Graph, and answers as Graph documents a bad request:
HTTP 400 with an ``error`` object (Microsoft Graph docs, "Microsoft Graph error responses and resource types").
The message texts follow what OData services answer for these cases.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

_FILE = Path(__file__).with_name("v1-properties.json")


@cache
def schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_FILE.read_text(encoding="utf-8"))
    return data


def properties(entity: str) -> dict[str, str]:
    return dict(schema()[entity])


def check_select(entity: str, select: str) -> str | None:
    """The error message for a ``$select`` naming a property the entity does not have, else None."""
    known = properties(entity)
    for name in (s.strip() for s in select.split(",")):
        if not name or name not in known or known[name].startswith("NAV:"):
            return f"Could not find a property named '{name}' on type 'microsoft.graph.{entity}'."
    return None


def check_body(entity: str, body: Any) -> str | None:
    """The error message for a request body Graph's schema would refuse (unknown property, wrong type)."""
    if not isinstance(body, dict):
        return "The request body must be a JSON object."
    return _check_object(entity, body)


def _check_object(entity: str, body: dict[str, Any]) -> str | None:
    known = properties(entity)
    for name, value in body.items():
        if name.startswith("@odata."):
            continue
        if name not in known:
            return (
                f"The property '{name}' does not exist on type 'microsoft.graph.{entity}'. Make sure to only use "
                "property names that are defined by the type or mark the type as open type."
            )
        problem = _check_value(known[name].removeprefix("NAV:"), value)
        if problem:
            return problem
    return None


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _check_value(edm: str, value: Any) -> str | None:
    if value is None:
        return None
    collection = re.fullmatch(r"Collection\((.+)\)", edm)
    if collection:
        if not isinstance(value, list):
            return f"A value of type 'Collection({collection.group(1)})' was expected; found {_kind(value)}."
        for item in value:
            problem = _check_value(collection.group(1), item)
            if problem:
                return problem
        return None
    primitive = {
        "Edm.String": str,
        "Edm.Boolean": bool,
        "Edm.Binary": str,
    }
    if edm in primitive:
        if not isinstance(value, primitive[edm]):
            return f"Cannot convert the literal '{value}' to the expected type '{edm}'."
        return None
    if edm in ("Edm.Int32", "Edm.Int64"):
        if isinstance(value, bool) or not isinstance(value, int):
            return f"Cannot convert the literal '{value}' to the expected type '{edm}'."
        return None
    if edm == "Edm.DateTimeOffset":
        if not isinstance(value, str) or not _ISO.match(value):
            return f"Cannot convert the literal '{value}' to the expected type '{edm}'."
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        return None
    name = edm.removeprefix("graph.")
    enums = schema()["enums"]
    if name in enums:
        if not isinstance(value, str) or value not in enums[name]:
            return f"The value '{value}' is not a member of the enumeration 'microsoft.graph.{name}'."
        return None
    if name in schema():
        if not isinstance(value, dict):
            return f"A value of type 'microsoft.graph.{name}' was expected; found {_kind(value)}."
        return _check_object(name, value)
    # a complex type the extract does not list (e.g. graph.physicalAddress): an object is all we can check
    if not isinstance(value, dict):
        return f"A value of type 'microsoft.graph.{name}' was expected; found {_kind(value)}."
    return None


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(type(value), "a number")
