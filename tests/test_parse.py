"""Lenient FHIR parsing with validated elements reused across resources: same models, same refusals."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.servicerequest import ServiceRequest

from fhir_mappings import parse as p
from fhir_mappings.bundles import by_type
from tests import builders as b

SUBJECT = f"Patient/{b.PATIENT_ID}"


@pytest.fixture(autouse=True)
def cold() -> None:
    p.clear_validated()


def test_resources_sharing_elements_parse_as_the_model_would() -> None:
    first, second = b.pain_score("2026-11-20", 4, oid="a"), b.pain_score("2026-11-21", 5, oid="b")
    one, two = p.parse(first, SUBJECT), p.parse(second, SUBJECT)
    assert one.model_dump() == Observation.model_validate(first).model_dump()
    assert two.model_dump() == Observation.model_validate(second).model_dump()
    assert isinstance(one, Observation) and isinstance(two, Observation)
    assert one.code is two.code  # validated once, shared (models are never modified)


@pytest.mark.parametrize("broken", [
    {"code": {"coding": [{"system": "http://loinc.org", "code": 5}]}},  # code not a string
    {"code": {"coding": [None]}},                                         # null in an array of elements
    {"category": [{"text": 5}]},                                          # text not a string
    {"subject": {"reference": "Patient/pat-1", "unknown": 1}},
])
def test_an_invalid_element_still_makes_the_resource_unreadable(broken: dict[str, Any]) -> None:
    valid = b.pain_score("2026-11-20", 4, oid="ok")
    assert isinstance(p.parse(valid, SUBJECT), Observation)  # its elements are now remembered
    assert p.parse(valid | broken | {"id": "broken"}, SUBJECT) is None


def test_missing_required_members_are_still_repaired() -> None:
    order = {k: v for k, v in b.pt_order("pt-9").items() if k not in ("status", "intent", "subject")}
    parsed = p.parse(order, SUBJECT)
    assert isinstance(parsed, ServiceRequest)
    assert (parsed.status, parsed.intent, parsed.subject.reference) == ("unknown", "order", SUBJECT)


def test_narrative_and_metadata_are_not_read_and_the_resource_is_not_changed() -> None:
    plain = b.pain_score("2026-11-20", 4, oid="n")
    dressed = plain | {"text": {"status": "generated", "div": "<div>x</div>"}, "meta": {"versionId": "7"}}
    before = dict(dressed)
    assert p.parse(dressed, SUBJECT) == p.parse(plain, SUBJECT)
    assert dressed == before


def test_by_type_groups_resources_keeping_their_order() -> None:
    first, second = b.pain_score("2026-11-20", 4, oid="a"), b.pain_score("2026-11-21", 5, oid="b")
    pat, order = b.patient(), b.pt_order("pt-1")
    groups = by_type([first, pat, order, second])
    assert groups == {"Observation": [first, second], "Patient": [pat], "ServiceRequest": [order]}
    assert groups["Observation"][0] is first


def test_null_and_empty_values_are_read_as_absent() -> None:
    """FHIR JSON has no null or empty values; EHRs send them anyway (`"display": ""`, `"extension": [null]`).
    The resource is read as if they were not there, not refused."""
    clean = b.pt_order("pt-1", **b.weekly(4, 2))
    messy = {**clean, "requester": {"reference": "Practitioner/pr-1", "display": ""}, "extension": [None],
             "note": [], "performer": None, "meta": {}}
    parsed = p.parse(messy, SUBJECT)
    assert isinstance(parsed, ServiceRequest)
    assert parsed.model_dump() == ServiceRequest.model_validate(
        {**clean, "requester": {"reference": "Practitioner/pr-1"}}).model_dump()
