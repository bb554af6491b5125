"""fhir_mappings/models.py: the cached null check accepts and refuses exactly what fhir.resources does."""

from __future__ import annotations

from typing import Any

import pytest
from fhir_core.utils import is_list_type, is_primitive_type
from pydantic import BaseModel, ValidationError

from fhir_mappings.parse import MODELS

SUBJECT = {"reference": "Patient/p1"}
VALID: dict[str, dict[str, Any]] = {
    "Observation": {"status": "final", "code": {"text": "pain"}, "subject": SUBJECT},
    "Condition": {"subject": SUBJECT, "code": {"text": "hamstring strain"}},
    "Procedure": {"status": "completed", "subject": SUBJECT},
    "ServiceRequest": {"status": "draft", "intent": "order", "subject": SUBJECT},
    "MedicationRequest": {"status": "draft", "intent": "order", "subject": SUBJECT,
                          "medicationCodeableConcept": {"text": "ibuprofen"}},
    "DeviceRequest": {"status": "draft", "intent": "order", "subject": SUBJECT, "codeCodeableConcept": {"text": "x"}},
    "Patient": {"birthDate": "1990-01-01"},
    "QuestionnaireResponse": {"status": "completed", "subject": SUBJECT, "authored": "2026-11-20"},
}


def library_model(model: type[BaseModel]) -> type[BaseModel]:
    return model.__mro__[1]


def complex_arrays(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()
            if is_list_type(field) and not is_primitive_type(field) and not name.endswith("__ext")]


def outcome(model: type[BaseModel], data: dict[str, Any]) -> Any:
    try:
        return model(**data).model_dump(mode="json")
    except ValidationError as error:
        return [(e["type"], e["loc"], e["msg"]) for e in error.errors()]


CASES = [(name, member) for name, model in MODELS.items() for member in complex_arrays(model)]


def test_every_model_the_mappers_validate_is_a_subclass_of_the_librarys() -> None:
    for name, model in MODELS.items():
        assert library_model(model).__module__ == f"fhir.resources.R4B.{name.lower()}"
        assert model.__name__ == name and complex_arrays(model)


@pytest.mark.parametrize(("name", "member"), CASES, ids=[f"{n}.{m}" for n, m in CASES])
def test_a_null_in_a_complex_array_is_refused_with_the_librarys_error(name: str, member: str) -> None:
    model = MODELS[name]
    data = {"resourceType": name, **VALID[name], member: [None]}
    refused = outcome(model, data)
    assert isinstance(refused, list) and any(loc == (member,) for _, loc, _ in refused)
    assert refused == outcome(library_model(model), data)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_valid_resources_and_primitive_array_placeholders_read_as_the_library_reads_them(name: str) -> None:
    model = MODELS[name]
    data = {"resourceType": name, **VALID[name]}
    assert outcome(model, data) == outcome(library_model(model), data)
    assert isinstance(model(**data), library_model(model))
    placeholders = {**data, "instantiatesUri": ["https://example.org/protocol", None],
                    "_instantiatesUri": [None, {"extension": [{"url": "https://example.org/x", "valueString": "y"}]}]}
    if "instantiatesUri" in model.model_fields:
        assert outcome(model, placeholders) == outcome(library_model(model), placeholders)


# Two members of one choice (`value[x]`), and choices left empty; both must be answered as the library does.
CODE = {"text": "x"}
CHOICES: list[tuple[str, dict[str, Any]]] = [
    ("Observation", {"valueQuantity": {"value": 5}, "valueString": "five"}),
    ("Observation", {"effectiveDateTime": "2026-11-20", "effectivePeriod": {"start": "2026-11-20"}}),
    ("Condition", {"onsetDateTime": "2026-11-20", "onsetString": "last week"}),
    ("Procedure", {"performedDateTime": "2026-11-20", "performedString": "last week"}),
    ("ServiceRequest", {"occurrenceDateTime": "2026-11-20", "occurrencePeriod": {"start": "2026-11-20"}}),
    ("MedicationRequest", {"medicationReference": {"reference": "Medication/m1"}}),  # and the CodeableConcept
    ("DeviceRequest", {"codeReference": {"reference": "Device/d1"}}),  # and the CodeableConcept
    ("Patient", {"deceasedBoolean": False, "deceasedDateTime": "2026-11-20"}),
    ("Observation", {"valueQuantity": {"value": 5}}),  # one member: accepted
]
MISSING_REQUIRED_CHOICE = [("MedicationRequest", "medicationCodeableConcept"), ("DeviceRequest", "codeCodeableConcept")]


@pytest.mark.parametrize(("name", "members"), CHOICES, ids=[f"{n}-{'+'.join(m)}" for n, m in CHOICES])
def test_choices_are_checked_as_the_library_checks_them(name: str, members: dict[str, Any]) -> None:
    model = MODELS[name]
    data = {"resourceType": name, **VALID[name], **members}
    assert outcome(model, data) == outcome(library_model(model), data)


@pytest.mark.parametrize(("name", "member"), MISSING_REQUIRED_CHOICE)
def test_a_required_choice_left_empty_is_refused_as_the_library_refuses_it(name: str, member: str) -> None:
    model = MODELS[name]
    data = {"resourceType": name, **{k: v for k, v in VALID[name].items() if k != member}}
    refused = outcome(model, data)
    assert isinstance(refused, list) and refused == outcome(library_model(model), data)


REQUIRED = [(name, field) for name, model in MODELS.items()
            for field, _ in model.model_construct().get_required_fields()]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("name", "member"), REQUIRED, ids=[f"{n}.{m}" for n, m in REQUIRED])
def test_a_required_primitive_is_checked_as_the_library_checks_it(name: str, member: str) -> None:
    model = MODELS[name]
    data = {"resourceType": name, **VALID[name]}
    missing = {k: v for k, v in data.items() if k != member}
    refused = outcome(model, missing)
    assert isinstance(refused, list) and refused == outcome(library_model(model), missing)
    explained = {**missing, f"_{member}": {"extension": [
        {"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "unknown"}]}}
    assert outcome(model, explained) == outcome(library_model(model), explained)
