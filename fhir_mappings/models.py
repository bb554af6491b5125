"""The R4B models resources are validated with: fhir.resources' own, with one of its checks made cheap.

fhir.resources (on fhir_core) checks before every validation that no array of complex values holds a
null (`reject_null_complex_elements`). It works out which members are such arrays from their type
annotations, for every member of the model, on every validation: about a sixth of the time a resource
takes to validate, and the largest single cost of a hook call for a patient the service has not seen.
`with_cached_null_check` gives a model a subclass whose check looks only at the members the library's
own rules pick, worked out once; when one of them holds a null, the library's check runs and raises its
own error, so what is accepted and what is refused stays the library's.
"""

from __future__ import annotations

from typing import Any

from fhir_core.utils import is_list_type, is_primitive_type
from pydantic import BaseModel, model_validator

CHECK = "reject_null_complex_elements"


def with_cached_null_check(model: type[BaseModel]) -> type[BaseModel]:
    """A subclass of `model` (same name, fields and rules) with the null check on cached members; `model`
    itself when the library has no such check (another fhir.resources version: nothing to speed up)."""
    library_check = next((vars(k)[CHECK].__func__ for k in model.__mro__
                          if isinstance(vars(k).get(CHECK), classmethod)), None)
    if library_check is None:
        return model
    members = tuple((field.alias, name) for name, field in model.model_fields.items()
                    if is_list_type(field) and not is_primitive_type(field) and not name.endswith("__ext"))

    def reject_null_complex_elements(cls: type[BaseModel], data: Any) -> Any:
        if isinstance(data, dict):
            for alias, name in members:
                value = data.get(alias if alias and alias in data else name)
                if isinstance(value, list) and any(item is None for item in value):
                    return library_check(cls, data)  # raises the library's own error
        return data

    namespace = {"__module__": __name__, "__qualname__": model.__qualname__, "__doc__": model.__doc__,
                 CHECK: model_validator(mode="before")(reject_null_complex_elements)}  # a classmethod, by its `cls`
    return type(model.__name__, (model,), namespace)
