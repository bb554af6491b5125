"""Fast JSON in and out (orjson), and the spec's JSON hygiene: no nulls, no empty optional members."""

from __future__ import annotations

from typing import Any

import orjson

from fhir_mappings.json_hygiene import without_empty

# For nesting_exceeds: brackets as "(" and ")", kept with the quotes around strings.
_PARENS = bytes.maketrans(b"[]{}", b"()()")
_NOT_STRUCTURE = bytes(c for c in range(256) if c not in b'[]{}"')
# Above this many backslashes, escapes are removed by two `replace` scans instead of a loop over them.
ESCAPES_LOOPED_AT_MOST = 4096


__all__ = ["InvalidJson", "dumps", "loads", "nesting_exceeds", "without_empty", "without_nulls"]


def without_nulls(value: Any) -> Any:
    """`value` without null members, recursively, for the service's own JSON (review API, reports, exports): a
    member with no value is left out; an empty list stays (no calls is an answer)."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value if v is not None]
    return value


class InvalidJson(ValueError):
    pass


def loads(data: bytes | str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidJson(str(exc)) from exc


def nesting_exceeds(data: bytes, limit: int) -> bool:
    """Whether the arrays and objects of a valid JSON text nest deeper than `limit` levels (the
    top-level value is level 1), read on the bytes at C speed.

    Escape sequences are removed first, so every quote left opens or closes a string.
    Then only brackets and quotes are kept; `""` pairs go (a string without brackets, or the end of
    one and the start of the next with no bracket between), then whatever is still between quotes.
    Each pass removing "()" takes away the innermost level of what remains.
    """
    if b"\\" in data:
        data = _without_escapes(data)
    nested = data.translate(_PARENS, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in nested:
        nested = b"".join(nested.split(b'"')[::2])
    for _ in range(limit):
        if not nested:
            return False
        nested = nested.replace(b"()", b"")
    return bool(nested)


def _without_escapes(data: bytes) -> bytes:
    """The text with each escape's backslash and the character after it removed (that character is
    never a bracket; a quote after a backslash does not end a string). Typical bodies have a few dozen
    backslashes (quotes in narrative XHTML), where splitting on them beats scanning for two-byte
    sequences; many backslashes take the scans: in valid JSON a run of backslashes reads as pairs from
    its left end, as `replace` does, so removing escaped backslashes and then escaped quotes leaves
    every other escape harmless."""
    parts = data.split(b"\\")
    if len(parts) > ESCAPES_LOOPED_AT_MOST:
        return data.replace(b"\\\\", b"").replace(b'\\"', b"")
    kept = [parts[0]]
    i, count = 1, len(parts)
    while i < count:
        part = parts[i]
        if part:  # a backslash and the character it escapes, then ordinary text
            kept.append(part[1:])
            i += 1
        else:  # an escaped backslash: the piece after the pair is ordinary text
            if i + 1 < count:
                kept.append(parts[i + 1])
            i += 2
    return b"".join(kept)


def dumps(value: Any) -> bytes:
    return orjson.dumps(value)
