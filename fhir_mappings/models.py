"""The R4B models resources are validated with: fhir.resources' own, with three of its checks made cheap.

fhir.resources (on fhir_core) runs three checks of its own on every validation, and each works out,
every time, from the model's ~100 members and their type annotations, what it has to look at:

- before validation, that no array of complex values holds a null (`reject_null_complex_elements`);
- after it, that at most one member of each choice (`value[x]`: valueQuantity, valueString, ...) is
  set, and one when the choice is required (`_validate_one_of_many`);
- and that required primitives (`status`, `intent`) have a value or an extension saying why not
  (`_validate_required_primitive_elements`).

Together they were the largest cost of a hook call for a patient the service has not seen.
`with_cached_checks` gives a model a subclass (same name, fields and rules) whose checks look only at
the members the library's own rules pick, worked out once per model. Whenever a check finds something
to refuse, or cannot tell quickly, the library's own check runs and decides, with its own error: what
is accepted and what is refused stays the library's (tests/test_models.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fhir_core.utils import is_list_type, is_primitive_type
from pydantic import BaseModel, model_validator

NULL_CHECK = "reject_null_complex_elements"
CHOICE_CHECK = "_validate_one_of_many"
REQUIRED_CHECK = "_validate_required_primitive_elements"


def _required_choice(model: type[BaseModel], member: str) -> bool:
    extra = model.model_fields[member].json_schema_extra
    return isinstance(extra, dict) and extra.get("one_of_many_required") is True


def with_cached_checks(model: type[Any]) -> type[BaseModel]:
    """A subclass of `model` with the three checks on cached members; `model` itself when the library
    does not have them (another fhir.resources version: nothing to speed up)."""
    null_check = next((vars(k)[NULL_CHECK].__func__ for k in model.__mro__
                       if isinstance(vars(k).get(NULL_CHECK), classmethod)), None)
    choice_check: Callable[[Any], Any] | None = getattr(model, CHOICE_CHECK, None)
    required_check: Callable[[Any], Any] | None = getattr(model, REQUIRED_CHECK, None)
    if null_check is None or choice_check is None or required_check is None:
        return model
    arrays = frozenset(key for name, field in model.model_fields.items()  # by name and by JSON name
                       if is_list_type(field) and not is_primitive_type(field) and not name.endswith("__ext")
                       for key in (name, field.alias) if key)
    blank = model.model_construct()  # the library's member lists are methods of an instance
    choices = tuple((frozenset(fields), _required_choice(model, fields[0]))
                    for fields in blank.get_one_of_many_fields().values())
    aliases = blank.get_alias_mapping()
    required = tuple(aliases[name] for name, _ in blank.get_required_fields())

    def reject_null_complex_elements(cls: type[BaseModel], data: Any) -> Any:
        if isinstance(data, dict):
            for key in arrays.intersection(data):  # the members given (a resource gives a few of ~100)
                value = data[key]
                if isinstance(value, list) and any(item is None for item in value):
                    return null_check(cls, data)  # the library decides, and raises its own error
        return data

    def _validate_one_of_many(self: BaseModel) -> None:
        given = self.model_fields_set  # a member not given is None
        for fields, needed in choices:
            found = sum(getattr(self, name) is not None for name in fields.intersection(given))
            if found > 1 or (needed and not found):
                choice_check(self)  # raises the library's own error
                return

    def _validate_required_primitive_elements(self: BaseModel) -> None:
        if any(getattr(self, name, None) is None for name in required):
            required_check(self)  # a value missing: the library reads its extension and decides

    namespace = {"__module__": __name__, "__qualname__": model.__qualname__, "__doc__": model.__doc__,
                 NULL_CHECK: model_validator(mode="before")(reject_null_complex_elements),  # a classmethod, by `cls`
                 CHOICE_CHECK: _validate_one_of_many, REQUIRED_CHECK: _validate_required_primitive_elements}
    return type(model.__name__, (model,), namespace)
