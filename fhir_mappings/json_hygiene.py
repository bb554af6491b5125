"""FHIR JSON has no null and no empty value (string, array or object), and a CDS Hooks answer has no
null or empty optional member: `without_empty` drops them, recursively, array items included.

The one place FHIR wants a null is a repeating primitive whose extensions sit in the `_name` sibling
array: the two arrays line up by position, and a null holds the place of a value that only has an
extension (`"given": ["Jo", null], "_given": [null, {"extension": [...]}]`). Such pairs are cleaned
together: a position goes when both its value and its extension are empty, so what stays keeps its
extension.

Used on draft orders before suggestions copy them (cds_service.pipeline) and to read a resource that
fails validation only because of such members (fhir_mappings.parse).
"""

from __future__ import annotations

from typing import Any


def without_empty(value: Any) -> Any:
    """Drop None, "", [] and {} members and array items recursively (CDS Hooks 'Use of JSON');
    `name`/`_name` primitive arrays stay aligned."""
    if isinstance(value, dict):
        return _dict_without_empty(value)
    if isinstance(value, list):
        return _list_without_empty(value)
    return value


def _dict_without_empty(value: dict[Any, Any]) -> dict[Any, Any]:
    pairs = [key[1:] for key, item in value.items()  # names with both a `name` and a `_name` array
             if isinstance(key, str) and key[:1] == "_" and isinstance(item, list)
             and isinstance(value.get(key[1:]), list)]
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
            if pairs and (key in pairs or (isinstance(key, str) and key[:1] == "_" and key[1:] in pairs)):
                continue  # the `name` and `_name` arrays are cleaned together, below
            item = _list_without_empty(item)
            if not item:
                continue
        elif item is None:
            continue
        out[key] = item
    for name in pairs:
        values, extensions = _aligned(value[name], value[f"_{name}"])
        if values:
            out[name] = values
        if any(e is not None for e in extensions):
            out[f"_{name}"] = extensions
    return out


def _aligned(values: list[Any], extensions: list[Any]) -> tuple[list[Any], list[Any]]:
    kept_values: list[Any] = []
    kept_extensions: list[Any] = []
    for i in range(max(len(values), len(extensions))):
        item = values[i] if i < len(values) else None
        extension = extensions[i] if i < len(extensions) else None
        item = without_empty(item) if item not in ("", [], {}) else None
        extension = _dict_without_empty(extension) or None if isinstance(extension, dict) else None
        if item is None and extension is None:
            continue
        kept_values.append(item)
        kept_extensions.append(extension)
    return kept_values, kept_extensions


def _list_without_empty(value: list[Any]) -> list[Any]:
    out = []
    for item in value:
        if isinstance(item, dict):
            item = _dict_without_empty(item)
        elif isinstance(item, list):
            item = _list_without_empty(item)
        elif item is None or item == "":
            continue
        if item or item is False or item == 0:
            out.append(item)
    return out


def dicts_in(value: Any) -> list[dict[str, Any]]:
    """The objects of a repeating element as senders write it: one object where R4 has an array is read as a
    list of one; anything else that is not an object (a string, a number, null) is left out."""
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, dict)]
