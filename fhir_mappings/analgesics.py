"""MedicationRequest -> acetaminophen and NSAID courses with their length in days (HAM-05).

The drug: an RxNorm ingredient or product code from `analgesic_products.json` (a curated table naming
its sources), else an ingredient or brand name in the text. Low-dose aspirin and topical forms are not
analgesic courses. The length, first match wins: Timing boundsDuration; boundsPeriod; dispense
expectedSupplyDuration; repeat.count at its frequency; dispense quantity over the daily dose. Refills
(numberOfRepeatsAllowed) multiply the supply-based lengths. dispenseRequest.validityPeriod is when the
prescription may be filled, not how long the drug is taken, and is never used.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from cards.facts import AnalgesicOrder
from fhir_mappings.timeutil import duration_days, inclusive_days, unit_days

PRODUCTS_FILE = Path(__file__).with_name("analgesic_products.json")


@cache
def product_table() -> dict[str, Any]:
    return json.loads(PRODUCTS_FILE.read_text(encoding="utf-8"))


def analgesic_ingredient(raw: dict[str, Any]) -> str | None:
    """The acetaminophen or NSAID ingredient a MedicationRequest orders, or None."""
    table = product_table()
    concept = raw.get("medicationCodeableConcept")
    if not isinstance(concept, dict):
        return None
    texts = [concept.get("text")] + [c.get("display") for c in concept.get("coding") or [] if isinstance(c, dict)]
    text = " ".join(t for t in texts if isinstance(t, str)).lower()
    if any(marker in f" {text}" for marker in table["excludedText"]):
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
    for name, ingredient in table["ingredients"].items():
        if any(brand in text for brand in ingredient["names"]):
            return str(name)
    return None


def analgesic_order(raw: dict[str, Any], request: Any, is_draft: bool) -> AnalgesicOrder | None:
    ingredient = analgesic_ingredient(raw)
    if ingredient is None:
        return None
    days, form = course_days(request)
    return AnalgesicOrder(ref=f"MedicationRequest/{request.id}", is_draft=is_draft, drug=ingredient,
                          duration_days=days, duration_form=form)


def course_days(request: Any) -> tuple[float | None, str | None]:
    for dosage in request.dosageInstruction or []:
        repeat = dosage.timing.repeat if dosage.timing else None
        if repeat is None:
            continue
        if repeat.boundsDuration is not None and duration_days(repeat.boundsDuration):
            return duration_days(repeat.boundsDuration), "boundsDuration"
        if repeat.boundsPeriod is not None:
            days = inclusive_days(repeat.boundsPeriod.start, repeat.boundsPeriod.end)
            if days:
                return float(days), "boundsPeriod"
    dispense = request.dispenseRequest
    fills = 1 + (dispense.numberOfRepeatsAllowed or 0) if dispense else 1
    supply = duration_days(dispense.expectedSupplyDuration) if dispense is not None else None
    if supply:
        return supply * fills, "expectedSupplyDuration"
    per_day = administrations_per_day(request)
    for dosage in request.dosageInstruction or []:
        repeat = dosage.timing.repeat if dosage.timing else None
        if repeat is not None and repeat.count and per_day:
            return repeat.count / per_day, "count"
    dose = dose_per_administration(request)
    quantity = dispense.quantity if dispense is not None else None
    if quantity is not None and quantity.value and per_day and dose and _same_unit(quantity, request):
        return float(quantity.value) * fills / (dose * per_day), "quantity"
    return None, None


def _same_unit(quantity: Any, request: Any) -> bool:
    """Dispensed and per-dose amounts in the same unit (tablets and tablets, not tablets and mg)."""
    dose = next((dr.doseQuantity for d in request.dosageInstruction or [] for dr in d.doseAndRate or []
                 if dr.doseQuantity is not None), None)
    units = [(q.code or q.unit or "").strip().lower() for q in (quantity, dose) if q is not None]
    return len(units) == 2 and units[0] == units[1]


def administrations_per_day(request: Any) -> float | None:
    for dosage in request.dosageInstruction or []:
        repeat = dosage.timing.repeat if dosage.timing else None
        if repeat is None or not repeat.frequency or not repeat.period:
            continue
        per_unit = unit_days(repeat.periodUnit)
        if per_unit and float(repeat.period) > 0:
            return float(repeat.frequencyMax or repeat.frequency) / (float(repeat.period) * per_unit)
    return None


def dose_per_administration(request: Any) -> float | None:
    for dosage in request.dosageInstruction or []:
        for dose_rate in dosage.doseAndRate or []:
            quantity = dose_rate.doseQuantity
            if quantity is not None and quantity.value and float(quantity.value) > 0:
                return float(quantity.value)
    return None
