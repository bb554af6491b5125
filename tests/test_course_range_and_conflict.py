"""HAM-05 on a course stated as a range, and on a sig whose quantity and stated duration disagree.

A range ('x 7-10 days', 'for 5 to 10 days', 'x 1-2 weeks') is read at its upper bound (the check is a
maximum) and its one-click fix rewrites the whole range to the maximum ('x 7 days'), the structured fields
in line and the rest of the text byte for byte (fhir_mappings/course_edits.py). A sig that states a duration
longer than its quantity lasts ('1 tab BID for 2 weeks, disp 14') is read at the longer of the two
(fhir_mappings/analgesic_course.py): the card fires and its fix rewrites the duration, and the quantity
when it exceeds what the maximum takes. Where both fit, no card; an earlier course's length is not this
order's."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from fhir_mappings.analgesic_course import course_days
from fhir_mappings.course_edits import ranges_shortened
from fhir_mappings.parse import parse
from tests import builders as b
from tests.test_sig_quantity_fix import MAX_DAYS, NAPROXEN, SIGN, accepted_fix, ham05, order


def coded(sig: str, per_day: int, **dispense: Any) -> dict[str, Any]:
    """A naproxen order with its dose (1 tablet) and frequency coded, `sig` in words, `dispense` as given."""
    draft = order(sig, NAPROXEN, dispenseRequest=dispense)
    draft["dosageInstruction"][0].update({
        "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}],
        "timing": {"repeat": {"frequency": per_day, "period": 1, "periodUnit": "d"}}})
    return draft


def days(value: int) -> dict[str, Any]:
    return {"value": value, "unit": "days", "system": b.UCUM, "code": "d"}


def fixed(client: FlaskClient, draft: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The resource of HAM-05's one suggestion on `draft` and its description; accepted, the card clears."""
    action, _ = accepted_fix(client, draft)
    return action["resource"], action["description"]


def read(draft: dict[str, Any]) -> tuple[float | None, str | None]:
    return course_days(parse(draft, "Patient/pat-1"))


# 1. A course stated as a range: the fix rewrites the whole range to the maximum, the rest as written.
RANGES = [
    ("ibuprofen 400 mg TID x 7-10 days", "ibuprofen 400 mg TID x {} days"),
    ("naproxen 500 mg BID for 5 to 10 days", "naproxen 500 mg BID for {} days"),
    ("1 tab BID x 1-2 weeks, then review with GP", "1 tab BID x {} days, then review with GP"),
    ("paracetamol 1 g QDS prn x 5-10/7", "paracetamol 1 g QDS prn x {} days"),
    ("Ibuprofen 400 mg TDS x 7\u201310 days with food", "Ibuprofen 400 mg TDS x {} days with food"),  # en dash
    ("ibuprofen 400 mg TID for five to ten days; stop if GI upset",
     "ibuprofen 400 mg TID for {} days; stop if GI upset"),
    ("Ibuprofen 400mg tds x10-14d", "Ibuprofen 400mg tds x{} days"),
]


@pytest.mark.parametrize(("sig", "expected"), RANGES, ids=[r[0] for r in RANGES])
def test_the_fix_rewrites_a_stated_range_to_the_maximum(client: FlaskClient, sig: str, expected: str) -> None:
    assert (read(order(sig))[1]) == "text"
    resource, description = fixed(client, order(sig))
    assert resource["dosageInstruction"][0]["text"] == expected.format(MAX_DAYS)
    assert "by hand" not in description


def test_a_range_with_coded_fields_gets_them_in_line(client: FlaskClient) -> None:
    draft = coded("1 tab PO BID x 10-14 days", 2, quantity={"value": 28, "unit": "tablet"}, numberOfRepeatsAllowed=1,
                  expectedSupplyDuration=days(14))
    draft["note"] = [{"text": "Naproxen for 1-2 weeks; review at 2/52"}]
    resource, description = fixed(client, draft)
    assert resource["dosageInstruction"][0]["text"] == f"1 tab PO BID x {MAX_DAYS} days"
    # the review's timing is not the course's length: it stays as written (tests/test_stated_duration_timing.py)
    assert resource["note"][0]["text"] == f"Naproxen for {MAX_DAYS} days; review at 2/52"
    dispense = resource["dispenseRequest"]
    assert dispense["expectedSupplyDuration"]["value"] == MAX_DAYS and dispense["numberOfRepeatsAllowed"] == 0
    assert dispense["quantity"]["value"] == 2 * MAX_DAYS and "by hand" not in description


def test_a_range_in_words_and_in_the_timing_both_end_at_the_maximum(client: FlaskClient) -> None:
    draft = order("1 tab TDS x 7-10 days")
    draft["dosageInstruction"][0]["timing"] = {"repeat": {"frequency": 3, "period": 1, "periodUnit": "d",
                                                          "boundsRange": {"low": days(7), "high": days(10)}}}
    resource, _ = fixed(client, draft)
    bounds = resource["dosageInstruction"][0]["timing"]["repeat"]["boundsRange"]
    assert bounds["high"]["value"] == MAX_DAYS and bounds["low"]["value"] <= MAX_DAYS
    assert resource["dosageInstruction"][0]["text"] == f"1 tab TDS x {MAX_DAYS} days"


def test_a_range_beside_a_written_quantity_gets_both_rewritten(client: FlaskClient) -> None:
    resource, _ = fixed(client, order("1 tab TDS x 10-14 days, #42"))
    assert resource["dosageInstruction"][0]["text"] == f"1 tab TDS x {MAX_DAYS} days, #{3 * MAX_DAYS}"
    assert resource["dispenseRequest"]["quantity"]["value"] == 3 * MAX_DAYS


@pytest.mark.parametrize("sig", ["ibuprofen 400 mg TID x 3-5 days", "1 tab TDS for 3 to 5 days, #15",
                                 "naproxen 500 mg BD x 5-7/7", "1 tab BID x 3\u20135 days"])
def test_a_range_whose_upper_bound_fits_gets_no_card(client: FlaskClient, sig: str) -> None:
    assert ham05(client, b.hook_request(drafts=[order(sig)])) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("x 7-10 days", "x 7 days"),
    ("x 3-5 days", "x 3-5 days"),                                   # within the maximum
    ("Previous 10-14 day course finished. Now x 8-10 days", "Previous 10-14 day course finished. Now x 7 days"),
    ("ice every 8-12 days", "ice every 8-12 days"),                  # an interval, not a length
    ("1-2 tabs TDS x 1-2 weeks", "1-2 tabs TDS x 7 days"),           # a range of tablets is the dose
    ("RPE 6-8, 3x10-12 reps", "RPE 6-8, 3x10-12 reps"),
])
def test_which_ranges_are_rewritten(text: str, expected: str) -> None:
    assert ranges_shortened(text, 7, "7 days") == expected


def test_an_earlier_range_is_left_as_written_and_not_named_for_a_change_by_hand(client: FlaskClient) -> None:
    earlier = "Previous 10-14 day course finished. Now 1 tab TDS x "
    resource, description = fixed(client, order(earlier + "8-10 days"))
    assert resource["dosageInstruction"][0]["text"] == f"{earlier}{MAX_DAYS} days"
    assert "by hand" not in description


# 2. A quantity and a stated duration that disagree: the longer reading counts, the fix brings both in line.
CONFLICTS = [
    # (sig, days read, the fixed sig)
    ("1 tab BID for 2 weeks, disp 14", 14, "1 tab BID for {d} days, disp 14"),
    ("ibuprofen 400 mg, 1 tab TDS x 14 days, #21", 14, "ibuprofen 400 mg, 1 tab TDS x {d} days, #21"),
    ("1 tab TDS x 10 days, #21", 10, "1 tab TDS x {d} days, #21"),
    ("1 tab TDS x 14 days, #30", 14, "1 tab TDS x {d} days, #{q3}"),  # the quantity beyond the maximum too
    ("1 cap BID for three weeks. Dispense 20 capsules", 21, "1 cap BID for {d} days. Dispense {q2} capsules"),
    ("1 tab TDS x 7-10 days, #21", 10, "1 tab TDS x {d} days, #21"),
    ("Take 1 tab BID with food for a fortnight. Qty: 14", 14, "Take 1 tab BID with food for {d} days. Qty: 14"),
]


@pytest.mark.parametrize(("sig", "read_days", "expected"), CONFLICTS, ids=[c[0] for c in CONFLICTS])
def test_a_stated_duration_longer_than_the_quantity_lasts_fires_and_is_fixed(
        client: FlaskClient, sig: str, read_days: int, expected: str) -> None:
    assert read(order(sig)) == (read_days, "text")
    resource, description = fixed(client, order(sig))
    assert resource["dosageInstruction"][0]["text"] == expected.format(d=MAX_DAYS, q2=2 * MAX_DAYS, q3=3 * MAX_DAYS)
    assert "by hand" not in description


def test_a_coded_quantity_shorter_than_the_stated_course_fires(client: FlaskClient) -> None:
    draft = coded("1 tab PO BID x 14 days", 2, quantity={"value": 14, "unit": "tablet"})
    assert read(draft) == (14, "text")
    resource, _ = fixed(client, draft)
    assert resource["dosageInstruction"][0]["text"] == f"1 tab PO BID x {MAX_DAYS} days"
    assert resource["dispenseRequest"]["quantity"]["value"] == min(14, 2 * MAX_DAYS)


def test_a_coded_supply_shorter_than_the_stated_course_fires(client: FlaskClient) -> None:
    draft = coded("1 tab BID for 2 weeks", 2, expectedSupplyDuration=days(5))
    assert read(draft) == (14, "text")
    resource, _ = fixed(client, draft)
    assert resource["dosageInstruction"][0]["text"] == f"1 tab BID for {MAX_DAYS} days"
    assert resource["dispenseRequest"]["expectedSupplyDuration"]["value"] == 5  # never lengthened


def test_a_dose_count_beyond_the_maximum_is_capped_with_the_stated_course(client: FlaskClient) -> None:
    draft = order("1 tab TDS x 14 days")
    draft["dosageInstruction"][0]["timing"] = {"repeat": {"frequency": 3, "period": 1, "periodUnit": "d", "count": 30}}
    assert read(draft) == (14, "text")
    resource, _ = fixed(client, draft)
    assert resource["dosageInstruction"][0]["timing"]["repeat"]["count"] == 3 * MAX_DAYS
    assert resource["dosageInstruction"][0]["text"] == f"1 tab TDS x {MAX_DAYS} days"


@pytest.mark.parametrize("sig", [
    "1 tab TDS x 5 days, #15",
    "1 tab BID for a week, disp 14",
    "1 tab TDS x 3-5 days #15",
    "Previous 2-week course finished; now 1 tab BID x 5 days, #10",  # an earlier course is not this one's
    "Had a 14 day course in October. Now 1 tab TDS #21",
])
def test_a_quantity_and_a_duration_that_both_fit_give_no_card(client: FlaskClient, sig: str) -> None:
    assert ham05(client, b.hook_request(drafts=[order(sig)])) is None


def test_the_longer_quantity_still_wins_over_a_shorter_stated_duration() -> None:
    assert read(order("1 tab TDS x 5 days, #42")) == (14, "sig quantity")
    assert read(order("1 tab TDS x 14 days, #42")) == (14, "sig quantity")  # equal: the supply's element
    assert read(order("Previous 2-week course finished. Now 1 tab BID #28")) == (14, "sig quantity")
    assert read(coded("1 tab BID x 5 days", 2, quantity={"value": 28, "unit": "tablet"})) == (14, "quantity")


@pytest.mark.parametrize(("note", "expected"), [
    ("Strict NWB for 1-2 weeks", "Strict NWB for 72 hours"),
    ("Bed rest x 5-7 days, then review", "Bed rest x 72 hours, then review"),
    ("Crutches, no weight bearing 1 to 2 weeks; ice every 2-3 hours",
     "Crutches, no weight bearing 72 hours; ice every 2-3 hours"),  # the interval as written
])
def test_a_limited_rest_order_rewrites_its_range_too(client: FlaskClient, note: str, expected: str) -> None:
    rest = {"resourceType": "ServiceRequest", "id": "nwb-1", "status": "draft", "intent": "order",
            "subject": b.SUBJECT, "code": {"text": "Non-weight-bearing, crutches"},
            "occurrencePeriod": {"start": "2026-11-23", "end": "2026-12-06"}, "note": [{"text": note}]}
    cards = client.post(SIGN, json=b.hook_request(drafts=[rest])).get_json()["cards"]
    card = next(c for c in cards if c["source"]["topic"]["code"] == "HAM-06")
    limit = next(s["actions"][0] for s in card["suggestions"] if s["actions"][0]["type"] == "update")
    assert limit["resource"]["note"][0]["text"] == expected and "by hand" not in limit["description"]
