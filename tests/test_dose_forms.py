"""Oral or applied (HAM-05, issue 15 §1): the route, the dose form and the dosage text decide whether an
analgesic is a systemic course; an oral softgel capsule is not a topical gel."""

from __future__ import annotations

from typing import Any

import pytest

from fhir_mappings.analgesics import analgesic_ingredient, product_table
from fhir_mappings.dose_forms import route_of

RX = "http://www.nlm.nih.gov/research/umls/rxnorm"


def order(name: str | None = None, display: str | None = None, **members: Any) -> dict[str, Any]:
    concept: dict[str, Any] = {}
    if name:
        concept["text"] = name
    if display:
        concept["coding"] = [{"system": RX, "code": "999999", "display": display}]
    return {"resourceType": "MedicationRequest", "medicationCodeableConcept": concept, **members}


@pytest.mark.parametrize(("resource", "drug"), [
    (order("Ibuprofen 200 mg liquid-filled softgel capsules"), "ibuprofen"),
    (order("Ibuprofen 200 mg soft-gel capsule"), "ibuprofen"),
    (order("Advil Liqui-Gels 200 mg"), "ibuprofen"),
    (order("Motrin IB soft gel 200 mg"), "ibuprofen"),
    (order("Ibuprofen gel caps 200 mg"), "ibuprofen"),
    (order("Aleve liquid gels 220 mg"), "naproxen"),
    (order(display="Ibuprofen 200 MG Oral Capsule"), "ibuprofen"),
    (order(display="Naproxen 25 MG/ML Oral Suspension"), "naproxen"),
    (order("Ibuprofen 200 mg"), "ibuprofen"),
    (order("Diclofenac sodium 1% topical gel"), None),
    (order(display="Diclofenac Sodium 10 MG/ML Topical Gel"), None),
    (order("Voltaren gel"), None),
    (order("Ibuprofen 5% gel"), None),
    (order("Diclofenac epolamine 1.3% transdermal patch"), None),
    (order("Ketorolac 0.5% ophthalmic solution"), None),
    # the route stated on the order outweighs the product name
    (order("Ibuprofen gel", dosageInstruction=[{"route": {"text": "Oral"}}]), "ibuprofen"),
    (order("Ibuprofen 200 mg", dosageInstruction=[{"route": {"coding": [{"display": "Topical route"}]}}]), None),
    # the dosage text decides when the name says nothing
    (order("Naproxen 220 mg", dosageInstruction=[{"text": "1 capsule by mouth twice daily"}]), "naproxen"),
    (order("Diclofenac 1%", dosageInstruction=[{"text": "Apply to the posterior thigh three times daily"}]), None),
    (order("Ibuprofen", dosageInstruction=[{"text": "Take 1 by mouth; apply ice after exercise"}]), "ibuprofen"),
])
def test_oral_forms_are_courses_applied_forms_are_not(resource: dict[str, Any], drug: str | None) -> None:
    assert analgesic_ingredient(resource) == drug


@pytest.mark.parametrize(("text", "route"), [
    ("1 tab PO TID", "oral"), ("2 caps p.o. q6h", "oral"), ("apply thinly", "local"), ("as directed", None),
])
def test_route_from_the_dosage_text(text: str, route: str | None) -> None:
    assert route_of({"dosageInstruction": [{"text": text}]}, product_table()["routes"]) == route
