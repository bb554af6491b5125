"""Data-type elements (a code, a subject reference, a quantity) validated once and reused by `parse`.

Resources of one request repeat them (eight pain scores share their code and subject); a model accepts a
validated element as it is, so each distinct element is validated once, remembered by type and content.
Failures are not kept: they fail in place, where the resource reports (and repairs) them as before.
"""

from __future__ import annotations

import types
from functools import cache
from typing import Any, Union, get_args, get_origin

import orjson
from fhir.resources.R4B.resource import Resource
from pydantic import BaseModel

ELEMENTS_LIMIT = 8192
_elements: dict[tuple[type[BaseModel], bytes], BaseModel] = {}


def with_validated_elements(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """`data` with each data-type member (or array item) that validates on its own as its validated model."""
    fields = _element_fields(model)
    out = dict(data)
    for name, value in data.items():
        element = fields.get(name)
        if element is None:
            continue
        if isinstance(value, dict):
            out[name] = _element(element, value)
        elif isinstance(value, list):
            out[name] = [_element(element, item) if isinstance(item, dict) else item for item in value]
    return out


def clear_elements() -> None:
    """Forget every remembered element (with parse.clear_validated)."""
    _elements.clear()


def _element(element: type[BaseModel], value: dict[str, Any]) -> Any:
    try:
        key = (element, orjson.dumps(value))
    except orjson.JSONEncodeError:
        return value
    validated = _elements.get(key)
    if validated is None:
        try:
            validated = element(**value)
        except Exception:  # validated again in place: the resource reports (and repairs) it as before
            return value
        if len(_elements) >= ELEMENTS_LIMIT:
            _elements.clear()
        _elements[key] = validated
    return validated


@cache
def _element_fields(model: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """A resource's members whose type is a data-type model (alone or in an array), by JSON name."""
    fields = {}
    for name, field in model.model_fields.items():
        kind = field.annotation
        if get_origin(kind) in (Union, types.UnionType):
            choices = [arg for arg in get_args(kind) if arg is not type(None)]
            kind = choices[0] if len(choices) == 1 else None
        if get_origin(kind) is list:
            kind = get_args(kind)[0]
        element = getattr(kind, "get_model_klass", lambda: None)()
        if isinstance(element, type) and issubclass(element, BaseModel) and not issubclass(element, Resource):
            fields[field.alias or name] = element
    return fields
