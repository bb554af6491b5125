"""JSON helpers: the nesting limit read on the raw bytes, and the hygiene that drops empty members."""

from __future__ import annotations

import json
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cds_service import jsonutil
from cds_service.jsonutil import ESCAPES_LOOPED_AT_MOST, nesting_exceeds, without_empty


def nested(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


@pytest.mark.parametrize("depth", [1, 2, 7, 8, 9, 20])
def test_depth_exactly_at_the_limit_passes_and_one_more_does_not(depth: int) -> None:
    raw = json.dumps(nested(depth)).encode()
    assert nesting_exceeds(raw, depth) is False
    assert nesting_exceeds(raw, depth - 1) is True


def test_scalars_and_empty_containers() -> None:
    assert not nesting_exceeds(b'"x"', 1)
    assert not nesting_exceeds(b"12", 1)
    assert not nesting_exceeds(b"[]", 1)
    assert nesting_exceeds(b"[[]]", 1)
    assert not nesting_exceeds(b'  { "a" : [ ] , "b" : { } }\n', 2)
    assert nesting_exceeds(b'{"a": [{}]}', 2)


@pytest.mark.parametrize("text", [
    "[[[[[[[[[[[[", "]]]]]]]]", "{[}]", '"', "\\", '\\"[[[[[[', '[[[[\\', '\\\\"', "\n[\t{", "\u005b\u005b\u005b",
    "é[ü{",
])
def test_brackets_quotes_and_escapes_inside_strings_do_not_count(text: str) -> None:
    value = {"a": [text, {text: text}], text: [[text]]}
    for raw in (json.dumps(value).encode(), json.dumps(value, ensure_ascii=False).encode()):
        assert not nesting_exceeds(raw, 3)
        assert nesting_exceeds(raw, 2)


def test_deep_body_among_escaped_quotes_is_found() -> None:
    value = {"div": '<div xmlns="http://www.w3.org/1999/xhtml">]]]</div>', "deep": nested(12, 'a\\"b')}
    raw = json.dumps(value).encode()
    assert nesting_exceeds(raw, 12)
    assert not nesting_exceeds(raw, 13)


def test_without_empty_drops_empty_members_and_array_items_everywhere() -> None:
    value = {"a": None, "b": "", "c": [], "d": {}, "e": {"f": {"g": None}}, "h": [None, None],
             "i": [None, "", {}, [], {"j": ""}, [None], 0, False], "k": 0, "l": False, "m": 0.0, "n": "x"}
    assert without_empty(value) == {"i": [0, False], "k": 0, "l": False, "m": 0.0, "n": "x"}
    assert without_empty([None, {"a": None}, {"b": [{"c": ""}]}, {"d": 1}]) == [{"d": 1}]
    assert without_empty("") == ""


def test_a_draft_order_with_an_emptied_coding_is_suggested_without_it() -> None:
    draft = {"resourceType": "ServiceRequest", "reasonCode": [{"text": ""}],
             "note": [{"text": "sprinter"}, {"text": ""}], "code": {"coding": [{"system": "", "code": ""}]}}
    assert without_empty(draft) == {"resourceType": "ServiceRequest", "note": [{"text": "sprinter"}]}


EXTENSION = {"extension": [{"url": "http://example.org/why", "valueString": "as discussed"}]}


@pytest.mark.parametrize(("value", "cleaned"), [
    # A value with an extension only keeps its null placeholder, and its extension stays at its position.
    ({"given": ["Jo", None], "_given": [None, EXTENSION]}, {"given": ["Jo", None], "_given": [None, EXTENSION]}),
    # Positions where both are empty go together, so the extension does not slide onto another value.
    ({"given": [None, "Jo", "", "Al"], "_given": [None, None, {}, EXTENSION]},
     {"given": ["Jo", "Al"], "_given": [None, EXTENSION]}),
    # No extension left: the `_name` array goes and the values lose their placeholders.
    ({"given": ["Jo", None], "_given": [None, {"extension": []}]}, {"given": ["Jo"]}),
    ({"given": [None], "_given": [None]}, {}),
    # Arrays of different lengths line up from the start.
    ({"given": ["Jo"], "_given": [None, EXTENSION]}, {"given": ["Jo", None], "_given": [None, EXTENSION]}),
    # A `_name` array alone is an ordinary array.
    ({"_given": [None, EXTENSION]}, {"_given": [EXTENSION]}),
])
def test_primitive_arrays_and_their_extensions_stay_aligned(value: dict[str, Any], cleaned: dict[str, Any]) -> None:
    assert without_empty(value) == cleaned
    assert without_empty(cleaned) == cleaned


@pytest.mark.parametrize("body", [
    {"cards": [{"summary": "s", "detail": 'a "quoted" null [] {} ""', "n": 0, "ok": False}]},
    {"cards": [{"summary": "s", "nested": [{"a": [1, {"b": "c"}]}]}]},
    {"cards": [{"summary": "s", "items": [0, False, 0.0, "0"]}]},  # falsy values are not empty
])
def test_without_empty_of_a_clean_value_is_that_value(body: dict[str, Any]) -> None:
    assert without_empty(body) == body


@pytest.mark.parametrize(("member", "cleaned"), [
    (None, None), ("", None), ([], None), ({}, None), ([None], None), ({"a": None}, None),
    ({"a": [{"b": ""}]}, None), ({"a": [{}, {"b": 1}]}, {"y": {"a": [{"b": 1}]}}), ({"": 1}, {"y": {"": 1}}),
])
def test_without_empty_finds_every_empty_member(member: Any, cleaned: Any) -> None:
    body = {"cards": [{"summary": "s", "x": {"y": member}}]}
    assert without_empty(body)["cards"][0].get("x") == cleaned


def depth_of(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    return 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\/abn\n é'),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(alphabet='[]{}"\\ab', max_size=4), inner,
                                                                 max_size=3),
    max_leaves=12)


@pytest.mark.parametrize("loop_limit", [ESCAPES_LOOPED_AT_MOST, 0], ids=["escapes looped", "escapes scanned"])
@settings(max_examples=300, deadline=None)
@given(value=json_values)
def test_nesting_matches_the_depth_of_the_parsed_value(loop_limit: int, value: Any) -> None:
    depth = depth_of(value)
    with patch.object(jsonutil, "ESCAPES_LOOPED_AT_MOST", loop_limit):
        for raw in (json.dumps(value).encode(), json.dumps(value, ensure_ascii=False).encode()):
            assert not nesting_exceeds(raw, max(depth, 1))
            if depth > 1:
                assert nesting_exceeds(raw, depth - 1)
