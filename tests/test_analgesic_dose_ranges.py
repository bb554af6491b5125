"""HAM-05 on an analgesic whose dose is a range or not stated (fhir_mappings/daily_dose.py, the rule in
analgesic_course.py's docstring): the course a quantity gives is read at the most the order allows a day (the
highest dose of a range at its frequency, no more than a maximum a day it states), the shortest course the
quantity lasts, so the card fires only when even that is longer than the maximum. No dose and no maximum a
day: no course is read (no dose is assumed). The fix dispenses what the maximum takes at that rate, coded and
in the words, and clears the card."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from fhir_mappings.analgesic_course import course_days
from fhir_mappings.parse import parse
from fhir_mappings.sig_text import dose_in, max_per_day_in, per_day_in
from tests import builders as b
from tests.test_sig_quantity_fix import MAX_DAYS, NAPROXEN, fixed, ham05, order

GTS = "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation"
TABLETS = {"unit": "tablet", "system": "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm", "code": "TAB"}


def coded(code: str, dispensed: int, sig: str = "", **line: Any) -> dict[str, Any]:
    """A Cerner-style order: Timing.code only, the dose as `line` gives it, a coded quantity of tablets."""
    draft = order(sig, dispenseRequest={"quantity": {"value": dispensed, **TABLETS}})
    draft["dosageInstruction"][0].update(timing={"code": {"coding": [{"system": GTS, "code": code}]}}, **line)
    if not sig:
        del draft["dosageInstruction"][0]["text"]
    return draft


def dose_range(low: float, high: float) -> list[dict[str, Any]]:
    return [{"doseRange": {"low": {"value": low, **TABLETS}, "high": {"value": high, **TABLETS}}}]


def per_day_max(tablets: int, hours: int = 24) -> dict[str, Any]:
    return {"numerator": {"value": tablets, **TABLETS},
            "denominator": {"value": hours, "unit": "h", "system": b.UCUM, "code": "h"}}


def days(draft: dict[str, Any]) -> float | None:
    return course_days(parse(draft, "Patient/pat-1"))[0]


READINGS = [
    # (label, order, shortest course in days or None when unread)
    ("doseRange 1-2 TID, 90 tablets", coded("TID", 90, doseAndRate=dose_range(1, 2)), 15),
    ("doseRange 1-2 TID, 42 tablets: 7 days at 2", coded("TID", 42, doseAndRate=dose_range(1, 2)), 7),
    ("doseRange 1-2 Q6H, 60 tablets, at most 6 in 24 h", coded("Q6H", 60, doseAndRate=dose_range(1, 2),
                                                                maxDosePerPeriod=per_day_max(6)), 10),
    ("no dose, BID, at most 6 a day", coded("BID", 60, maxDosePerPeriod=per_day_max(6)), 10),
    ("no dose, TID, at most 2 per dose", coded("TID", 60, maxDosePerAdministration={"value": 2, **TABLETS}), 10),
    ("no dose, BID, 60 tablets: unread", coded("BID", 60), None),
    ("words: 1-2 tabs TDS prn #42", order("1-2 tabs TDS prn #42"), 7),
    ("words: 1-2 tabs TDS prn #60", order("1-2 tabs TDS prn #60"), 10),
    ("words: one to two tablets three times a day, #60",
     order("take one to two tablets three times a day, #60"), 10),
    ("words: 1 or 2 caps twice a day, disp 28", order("1 or 2 caps twice a day, disp 28"), 7),
    ("words: no dose, BID, max 6 tabs/day, #60", order("BID prn pain, max 6 tabs/day, #60"), 10),
    ("words: 1-2 tabs q4h prn, not more than 8 tablets in 24 hours, #80",
     order("1-2 tabs q4h prn, not more than 8 tablets in 24 hours, #80"), 10),
    ("words: a maximum in mg is no count of tablets", order("1-2 tabs TDS, max 3200 mg/day, #42"), 7),
    ("words: no dose, TDS, #60: unread", order("ibuprofen TDS prn #60"), None),
]


@pytest.mark.parametrize(("label", "draft", "expected"), READINGS, ids=[r[0] for r in READINGS])
def test_the_shortest_course_the_quantity_lasts(client: FlaskClient, label: str, draft: dict[str, Any],
                                               expected: float | None) -> None:
    read = days(draft)
    assert read == pytest.approx(expected) if expected is not None else read is None
    fires = expected is not None and expected > MAX_DAYS
    assert (ham05(client, b.hook_request(drafts=[draft])) is not None) is fires


FIXES = [
    # (order, tablets a day at the most it allows, the text after the fix or None when it has none)
    (coded("TID", 90, doseAndRate=dose_range(1, 2)), 6, None),
    (coded("Q6H", 60, doseAndRate=dose_range(1, 2), maxDosePerPeriod=per_day_max(6)), 6, None),
    (coded("BID", 60, maxDosePerPeriod=per_day_max(6)), 6, None),
    (coded("TID", 90, "1-2 tabs TID prn pain, #90", doseAndRate=dose_range(1, 2)), 6, "1-2 tabs TID prn pain, #42"),
    (order("take one to two tablets three times a day, #60"), 6, "take one to two tablets three times a day, #42"),
    (order("BID prn pain, max 6 tabs/day, #60", drug=NAPROXEN), 6, "BID prn pain, max 6 tabs/day, #42"),
]


@pytest.mark.parametrize(("draft", "per_day", "text"), FIXES)
def test_the_fix_dispenses_the_maximum_at_the_highest_dose(client: FlaskClient, draft: dict[str, Any],
                                                           per_day: int, text: str | None) -> None:
    resource, _ = fixed(client, draft)  # accepted, the card clears
    assert resource["dispenseRequest"]["quantity"]["value"] == MAX_DAYS * per_day
    assert resource["dispenseRequest"]["quantity"]["code"] == "TAB"
    assert resource["dosageInstruction"][0].get("text") == text  # the words say the same quantity
    assert days(resource) == pytest.approx(MAX_DAYS)


def test_reading_dose_ranges_and_daily_maximums_in_words() -> None:
    assert dose_in(["1-2 tabs TDS prn #42"]) == (2.0, "tablet")
    assert dose_in(["take one to two tablets"]) == (2.0, "tablet")
    assert dose_in(["max 6 tabs/day, #60"]) is None  # a maximum a day is not a dose
    assert dose_in(["up to 6 tabs a day; 1 tab TDS"]) == (1.0, "tablet")
    assert per_day_in(["three times a day"]) == 3 and per_day_in(["1 tab 4x daily"]) == 4
    assert per_day_in(["twice a day"]) == 2 and per_day_in(["x 5 days"]) is None
    assert max_per_day_in(["max daily dose: 6 tabs"]) == (6.0, "tablet")
    assert max_per_day_in(["do not exceed 8 caps in 24 hrs"]) == (8.0, "capsule")
    assert max_per_day_in(["max 3200 mg/day"]) is None


def test_a_quantity_before_the_dose_is_not_a_range() -> None:
    assert dose_in(["Dispense 40 - 1 tab TDS"]) == (1.0, "tablet")
    assert dose_in(["take 1 - 2 tablets TDS"]) == (2.0, "tablet")
