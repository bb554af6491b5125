"""MedicationRequest -> acetaminophen and NSAID courses (HAM-05): which drug, and whether it is an analgesic
course at all; its length in days is fhir_mappings/analgesic_course.py.

The drug (named by medicationCodeableConcept, or by medicationReference: fhir_mappings/medications.py): an
RxNorm ingredient or product code from `analgesic_products.json` (a curated table naming its sources), else
an ingredient, brand or class name ('NSAIDs') in the text, read with its assertion status (a name in a
negated or conditional phrase is not an order of it: fhir_mappings/text_assertion.py). Low-dose aspirin
and forms that stay where they are applied (topical gel, patch, eye drops: fhir_mappings/dose_forms.py,
which reads the route and dose form, so an oral softgel capsule is oral) are not analgesic courses, nor is
an order whose reason is another problem (knee osteoarthritis: fhir_mappings/indications.py; an order
without a reason stays a candidate).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from fhir.resources.R4B.medicationrequest import MedicationRequest

from cards.facts import AnalgesicOrder
from fhir_mappings.analgesic_course import course_days
from fhir_mappings.dose_forms import route_of
from fhir_mappings.indications import is_for_another_problem
from fhir_mappings.medications import medication_concept
from fhir_mappings.record import Read
from fhir_mappings.text_assertion import TextConcept, is_affirmed, word_start_regex

PRODUCTS_FILE = Path(__file__).with_name("analgesic_products.json")


@cache
def product_table() -> dict[str, Any]:
    return json.loads(PRODUCTS_FILE.read_text(encoding="utf-8"))


@cache
def _named_ingredients() -> dict[str, TextConcept]:
    """Each ingredient's names as a concept for the assertion step (label `analgesic:<ingredient>`). A drug
    ordered as needed ('ibuprofen PRN') is ordered: the hypothetical category still counts."""
    found = {}
    for name, ingredient in product_table()["ingredients"].items():
        regex = word_start_regex(ingredient["names"])
        if regex is not None:
            found[str(name)] = TextConcept(f"analgesic:{name}", regex, frozenset({"HYPOTHETICAL"}))
    return found


def analgesic_ingredient(raw: dict[str, Any]) -> str | None:
    """The acetaminophen or NSAID ingredient a MedicationRequest orders, or None."""
    table = product_table()
    concept = medication_concept(raw)
    if concept is None:
        return None
    texts = [concept.get("text")] + [c.get("display") for c in concept.get("coding") or [] if isinstance(c, dict)]
    text = " ".join(t for t in texts if isinstance(t, str)).lower()
    if any(marker in f" {text}" for marker in table["excludedText"]) or route_of(raw, table["routes"]) == "local":
        return None
    for coding in concept.get("coding") or []:
        if not isinstance(coding, dict) or coding.get("system") != table["system"]:
            continue
        code = str(coding.get("code"))
        if code in table["excludedProducts"]:
            return None
        if code in table["products"]:
            return str(table["products"][code]["ingredient"])
        for name, ingredient in table["ingredients"].items():
            if code in ingredient["codes"]:
                return str(name)
    for name, named in _named_ingredients().items():
        if any(is_affirmed(t, named) for t in texts if isinstance(t, str)):
            return name
    return None


def analgesic_order(read: Read[MedicationRequest], conditions: Mapping[str, dict[str, Any]]) -> AnalgesicOrder | None:
    """The course a MedicationRequest orders; `conditions` (by 'Condition/<id>') resolve its reasons."""
    request = read.model_as(MedicationRequest)  # every judged one is read: an unreadable order is reported
    ingredient = analgesic_ingredient(read.json) if request is not None else None
    if request is None or ingredient is None or is_for_another_problem(read.json, conditions):
        return None
    days, form = course_days(request)
    return AnalgesicOrder(ref=f"MedicationRequest/{request.id}", is_draft=read.is_draft, drug=ingredient,
                          duration_days=days, duration_form=form)
