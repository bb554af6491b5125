"""Common vendor deviations from FHIR R4 JSON, read leniently before any mapper looks at a resource.

EHRs and test clients send shapes that strict R4 rejects but whose meaning is unambiguous: one object
where the element repeats (`"category": {...}`), a number or boolean sent as a string (`"value": "8"`,
`"frequency": "2"`), a reference or concept given as a bare string (`"subject": "Patient/1"`,
`"code": "PT"`), a one-item array where the element does not repeat. `conform` returns the resource in
the R4 shape and what it changed, guided by the R4B model of each member (worked out once per model).
Anything else (a date that is not a date, a string where a number is meant) is left for validation,
which then reports the resource as unreadable with its reason.
"""

from __future__ import annotations

import re
import types
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, Literal, Union, get_args, get_origin

from fhir.resources.R4B.annotation import Annotation
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.reference import Reference
from pydantic import BaseModel

Kind = Literal["complex", "integer", "decimal", "boolean", "other"]
_NUMBER = re.compile(r"^-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,18})?$")
# A bare string read as the one element it can only mean.
STRING_AS = {Reference: "reference", CodeableConcept: "text", Annotation: "text"}
UNREAD_MEMBERS = frozenset({"text", "meta", "contained"})  # narrative and metadata: no mapper reads them


@dataclass(frozen=True)
class Member:
    repeats: bool
    kind: Kind
    model: type[BaseModel] | None = None
    shape: type = object  # the JSON type a conformant value has: list, dict, or the primitive's own


SHAPES: dict[str, type] = {"complex": dict, "integer": int, "decimal": float, "boolean": bool, "other": str}


def conform(resource: dict[str, Any], model: type[BaseModel], deep: bool = True) -> tuple[dict[str, Any], list[str]]:
    """`resource` in R4's shape (the same object when nothing changed) and the changes, as member paths.

    `deep=False` looks at the resource's own members only, not inside elements of the right shape (a
    large prefetch's thousands of Observations are not walked); validation conforms the rest when it must.
    """
    changes: list[str] = []
    return _conform(resource, model, "", changes, deep), changes


def _conform(node: dict[str, Any], model: type[BaseModel], path: str, changes: list[str],
             deep: bool = True) -> dict[str, Any]:
    spec = members(model)
    out: dict[str, Any] | None = None
    for name, value in node.items():
        member = spec.get(name)
        if member is None or name in UNREAD_MEMBERS:
            continue
        kind, shape = type(value), member.shape
        if kind is shape and (not deep or member.model is None):
            continue  # the right shape; inside a complex element is validation's to conform (deep=False)
        fixed = _member(value, member, path + name, changes)
        if fixed is not value:
            if out is None:
                out = dict(node)
            out[name] = fixed
    return node if out is None else out


def _member(value: Any, member: Member, path: str, changes: list[str]) -> Any:
    if member.repeats:
        if isinstance(value, list):
            fixed = [_one(item, member, path, changes) for item in value]
            return value if all(a is b for a, b in zip(fixed, value, strict=True)) else fixed
        if value is None:
            return value
        changes.append(f"{path}: one value where R4 has an array")
        return [_one(value, member, path, changes)]
    if isinstance(value, list) and len(value) == 1 and member.kind == "complex":
        changes.append(f"{path}: a one-item array where R4 has one value")
        return _one(value[0], member, path, changes)
    return _one(value, member, path, changes)


def _one(value: Any, member: Member, path: str, changes: list[str]) -> Any:
    kind = member.kind
    if kind == "complex":
        if isinstance(value, dict):
            return _conform(value, member.model, path + ".", changes) if member.model else value
        if isinstance(value, str) and member.model in STRING_AS and value.strip():
            changes.append(f"{path}: a string where R4 has a {member.model.__name__}")
            return {STRING_AS[member.model]: value.strip()}
        return value
    if type(value) is not str or kind == "other":
        return value
    text = value.strip()
    if kind == "boolean" and text.lower() in ("true", "false"):
        changes.append(f"{path}: a boolean sent as a string")
        return text.lower() == "true"
    if kind in ("integer", "decimal") and _NUMBER.match(text):
        if kind == "integer" and "." in text:
            return value
        changes.append(f"{path}: a number sent as a string")
        return int(text) if "." not in text else float(text)
    return value


@cache
def members(model: type[BaseModel]) -> dict[str, Member]:
    """A model's members by JSON name: whether each repeats, and what kind of value it holds."""
    out = {}
    for name, field in model.model_fields.items():
        kind: Any = field.annotation
        if get_origin(kind) in (Union, types.UnionType):
            choices = [arg for arg in get_args(kind) if arg is not type(None)]
            kind = choices[0] if len(choices) == 1 else None
        repeats = get_origin(kind) in (list,)
        if repeats:
            kind = get_args(kind)[0]
        out[field.alias or name] = _member_of(kind, repeats)
    return out


def _member_of(kind: Any, repeats: bool) -> Member:
    member = _kind_of(kind, repeats)
    return replace(member, shape=list if repeats else SHAPES[member.kind])


def _kind_of(kind: Any, repeats: bool) -> Member:
    element = getattr(kind, "get_model_klass", lambda: None)()
    if isinstance(element, type) and issubclass(element, BaseModel):
        return Member(repeats, "complex", element)
    base = get_args(kind)[0] if get_origin(kind) is not None and get_args(kind) else kind
    if base is bool:
        return Member(repeats, "boolean")
    if base is int:
        return Member(repeats, "integer")
    if getattr(base, "__name__", "") == "Decimal":
        return Member(repeats, "decimal")
    return Member(repeats, "other")
