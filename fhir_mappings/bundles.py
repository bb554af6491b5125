"""The resources in a prefetch value or draftOrders, as raw JSON: a Bundle's entries or one resource,
and grouping them by type. Nothing here validates (that is fhir_mappings/parse.py)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any


def resources_in(value: Any) -> Iterator[dict[str, Any]]:
    """The resources in a prefetch value or draftOrders: a Bundle's entries, or a single resource.

    OperationOutcome entries (search.mode=outcome) are not data and are skipped.
    """
    if not isinstance(value, dict):
        return
    if value.get("resourceType") == "Bundle":
        entries = value.get("entry")
        for entry in entries if isinstance(entries, list) else ():
            if not isinstance(entry, dict):
                continue
            search = entry.get("search")
            if isinstance(search, dict) and search.get("mode") == "outcome":
                continue
            resource = entry.get("resource")
            if isinstance(resource, dict) and isinstance(resource.get("resourceType"), str):
                yield resource
    elif isinstance(value.get("resourceType"), str) and value["resourceType"] != "OperationOutcome":
        yield value


def by_type(resources: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The resources grouped by resourceType, each group in the order given (one pass for every mapper)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for resource in resources:
        groups.setdefault(str(resource.get("resourceType")), []).append(resource)
    return groups
