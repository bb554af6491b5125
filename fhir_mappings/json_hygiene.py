"""FHIR JSON has no null and no empty value (string, array or object), and a CDS Hooks answer has no
null or empty optional member: `without_empty` drops them, recursively.

Used on draft orders before suggestions copy them (cds_service.pipeline) and to read a resource that
fails validation only because of such members (fhir_mappings.parse).
"""

from __future__ import annotations

from typing import Any


def without_empty(value: Any) -> Any:
    """Drop None, "", [] and {} members recursively (CDS Hooks 'Use of JSON'); in arrays, only None."""
    if isinstance(value, dict):
        return _dict_without_empty(value)
    if isinstance(value, list):
        return _list_without_empty(value)
    return value


def _dict_without_empty(value: dict[Any, Any]) -> dict[Any, Any]:
    out = {}
    for key, item in value.items():
        if isinstance(item, str):
            if not item:
                continue
        elif isinstance(item, dict):
            item = _dict_without_empty(item)
            if not item:
                continue
        elif isinstance(item, list):
            item = _list_without_empty(item)
            if not item:
                continue
        elif item is None or item == "":
            continue
        out[key] = item
    return out


def _list_without_empty(value: list[Any]) -> list[Any]:
    return [_dict_without_empty(v) if isinstance(v, dict) else _list_without_empty(v) if isinstance(v, list) else v
            for v in value if v is not None]
