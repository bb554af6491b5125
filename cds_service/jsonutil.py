"""Fast JSON in and out (orjson), and the spec's JSON hygiene: no nulls, no empty optional members."""

from __future__ import annotations

from typing import Any

import orjson


class InvalidJson(ValueError):
    pass


def loads(data: bytes | str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidJson(str(exc)) from exc


def nesting_exceeds(value: Any, limit: int) -> bool:
    """Whether arrays and objects nest deeper than `limit` levels (the top-level value is level 1)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


def dumps(value: Any) -> bytes:
    return orjson.dumps(value)


def without_empty(value: Any) -> Any:
    """Drop None, "", [] and {} members recursively (CDS Hooks 'Use of JSON')."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = without_empty(item)
            if item is None or item == "" or item == [] or item == {}:
                continue
            out[key] = item
        return out
    if isinstance(value, list):
        return [without_empty(v) for v in value if v is not None]
    return value


def response_body(body: dict[str, Any]) -> dict[str, Any]:
    """A hook response with hygiene applied; `cards: []` is the one empty member the spec wants."""
    cleaned = without_empty(body)
    if "cards" in body:
        cleaned["cards"] = cleaned.get("cards", [])
    return cleaned
