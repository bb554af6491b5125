"""The resources in a prefetch value or draftOrders, as raw JSON: a Bundle's entries or one resource,
grouping them by type, and each resource on record once. Nothing here validates (that is
fhir_mappings/parse.py)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
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


def each_once(resources: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Each resource on record once. EHRs send the same resource twice (in two prefetch keys, or a prefetch
    and a FHIR search of the same type) and, after a correction, two versions of it: of the copies with the
    same type and id, the newest version is read (the higher meta.versionId, else the later
    meta.lastUpdated, else the copy given last), at the place of the first. A resource without an id is
    always its own."""
    kept: dict[tuple[str, str], int] = {}
    out: list[Mapping[str, Any]] = []
    for resource in resources:
        rid = resource.get("id")
        if not isinstance(rid, str) or not rid:
            out.append(resource)
            continue
        key = (str(resource.get("resourceType")), rid)
        if key not in kept:
            kept[key] = len(out)
            out.append(resource)
        elif _version(resource) >= _version(out[kept[key]]):
            out[kept[key]] = resource
    return out


def _version(resource: Mapping[str, Any]) -> tuple[int, float]:
    """How new a copy is: its numeric versionId, then its lastUpdated as a UTC timestamp (unknown or
    unreadable ones tie, lowest)."""
    meta = resource.get("meta")
    meta = meta if isinstance(meta, Mapping) else {}
    version = meta.get("versionId")
    number = int(version) if isinstance(version, str) and version.isdigit() and len(version) < 19 else -1
    updated = meta.get("lastUpdated")
    when = -math.inf
    if isinstance(updated, str):
        try:
            parsed = datetime.fromisoformat(updated.replace("Z", "+00:00"))
            when = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
        except (ValueError, OverflowError, OSError):
            pass
    return number, when
