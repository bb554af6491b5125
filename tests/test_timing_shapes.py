"""Issue 14 §2, timing shapes EHRs send: Timing.repeat.boundsRange, several dosage lines, periods with a
time of day, and absurd values (far-future dates, negative durations, numbers beyond 64 bits)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask.testing import FlaskClient

from cds_service.pipeline import data_for
from fhir_mappings import timeutil
from fhir_mappings.facts import build_facts
from fhir_mappings.timeutil import amount, period_days, to_date
from tests.builders import AS_OF, PATIENT_ID, SUBJECT, UCUM, hook_request, pt_order
from tests.validation import assert_valid_r4_actions

SIGN = "/cds-services/hamstring-rehab-order-sign"
RX = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"


def weeks(value: Any) -> dict[str, Any]:
    return {"value": value, "unit": "weeks", "system": UCUM, "code": "wk"}


def days(value: Any) -> dict[str, Any]:
    return {"value": value, "unit": "days", "system": UCUM, "code": "d"}


def ranged(low: dict[str, Any] | None, high: dict[str, Any] | None) -> dict[str, Any]:
    bounds = {k: v for k, v in (("low", low), ("high", high)) if v is not None}
    return {"occurrenceTiming": {"repeat": {"boundsRange": bounds, "frequency": 2, "period": 1, "periodUnit": "wk"}}}


def facts_of(*drafts: dict[str, Any], hook: str = "order-sign", **prefetch: Any) -> Any:
    return build_facts(data_for(hook=hook, patient_id=PATIENT_ID, draft_orders=drafts, prefetch=prefetch), AS_OF)


def codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [c["source"]["topic"]["code"] for c in response.get_json()["cards"]]


# Timing.repeat.boundsRange: the lower bound decides a minimum, the upper bound a maximum -------------------

@pytest.mark.parametrize(("bounds", "planned"), [
    (ranged(weeks(4), weeks(6)), 28),            # "4-6 weeks": may be 4
    (ranged(weeks(12), weeks(16)), 84),          # at the minimum (12 weeks) at its lower bound
    (ranged(days(90), days(120)), 90),
    (ranged(days(91), None), 91),                # "at least 91 days"
    (ranged(None, weeks(8)), 56),                # "up to 8 weeks": short whatever it turns out to be
    (ranged({"value": 3, "unit": "mo", "system": UCUM, "code": "mo"}, None), 91),
])
def test_program_length_from_a_bounds_range(bounds: dict[str, Any], planned: int) -> None:
    plan = facts_of(pt_order("pt-1", **bounds)).therapy_plans[0]
    assert (plan.planned_days, plan.duration_form) == (planned, "boundsRange")


@pytest.mark.parametrize(("bounds", "fires"), [
    (ranged(weeks(4), weeks(6)), True), (ranged(weeks(11), weeks(13)), True), (ranged(weeks(12), weeks(13)), False),
    (ranged(weeks(13), weeks(16)), False), (ranged(days(83), days(120)), True), (ranged(days(84), days(120)), False),
])
def test_ham01_judges_the_lower_bound_and_its_fix_clears_the_card(client: FlaskClient, bounds: dict[str, Any],
                                                                    fires: bool) -> None:
    order = pt_order("pt-1", **bounds)
    cards = client.post(SIGN, json=hook_request("order-sign", [order])).get_json()["cards"]
    ham01 = next((c for c in cards if c["source"]["topic"]["code"] == "HAM-01"), None)
    assert (ham01 is not None) is fires
    if ham01 is not None:
        assert_valid_r4_actions(ham01)
        fixed = ham01["suggestions"][0]["actions"][0]["resource"]
        assert "boundsRange" not in fixed["occurrenceTiming"]["repeat"]
        assert "HAM-01" not in codes(client.post(SIGN, json=hook_request("order-sign", [fixed])))


def med(*dosages: dict[str, Any], code: str = "310965", **extra: Any) -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": "m1", "status": "draft", "intent": "order", "subject": SUBJECT,
            "medicationCodeableConcept": {"coding": [{"system": RX, "code": code}]},
            "dosageInstruction": list(dosages), **extra}


def line(sequence: int | None = None, as_needed: bool = False, **repeat: Any) -> dict[str, Any]:
    dosage: dict[str, Any] = {"timing": {"repeat": {"frequency": 3, "period": 1, "periodUnit": "d", **repeat}},
                              "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}]}
    if sequence is not None:
        dosage["sequence"] = sequence
    if as_needed:
        dosage["asNeededBoolean"] = True
    return dosage


@pytest.mark.parametrize(("resource", "expected"), [
    (med(line(boundsRange={"low": days(5), "high": days(10)})), 10.0),     # a maximum: up to 10 days
    (med(line(boundsRange={"low": days(3), "high": days(7)})), 7.0),
    (med(line(boundsRange={"low": days(8)})), 8.0),                        # "at least 8 days"
    (med(line(1, boundsDuration=days(5)), line(2, as_needed=True, boundsDuration=days(5))), 10.0),
    (med(line(1, boundsDuration=days(3)), line(2, as_needed=True, boundsDuration=days(4))), 7.0),
    (med(line(1, boundsDuration=days(3)), line(1, as_needed=True, boundsDuration=days(5))), 5.0),  # together
    (med(line(2, boundsDuration=days(4)), line(1, boundsDuration=weeks(1))), 11.0),  # listed out of order
    (med(line(1, boundsPeriod={"start": "2026-11-23", "end": "2026-11-26"}),
         line(2, as_needed=True, boundsPeriod={"start": "2026-11-27", "end": "2026-12-03"})), 11.0),
    (med(line(boundsDuration=days(5)), line(as_needed=True, boundsDuration=days(10))), 10.0),  # no sequence
])
def test_analgesic_course_is_the_whole_span_of_its_dosage_lines(resource: dict[str, Any], expected: float) -> None:
    assert [o.duration_days for o in facts_of(resource).analgesic_orders] == [expected]


def test_two_dosage_lines_beyond_7_days_fire_ham05_without_a_one_line_fix(client: FlaskClient) -> None:
    order = med(line(1, boundsDuration=days(5)), line(2, as_needed=True, boundsDuration=days(5)))
    cards = client.post(SIGN, json=hook_request("order-sign", [order])).get_json()["cards"]
    card = next(c for c in cards if c["source"]["topic"]["code"] == "HAM-05")
    assert "10 days" in card["summary"] or "10" in card["summary"]


def test_analgesic_range_fix_lowers_the_upper_bound(client: FlaskClient) -> None:
    order = med(line(boundsRange={"low": days(5), "high": days(10)}))
    cards = client.post(SIGN, json=hook_request("order-sign", [order])).get_json()["cards"]
    card = next(c for c in cards if c["source"]["topic"]["code"] == "HAM-05")
    assert_valid_r4_actions(card)
    fixed = card["suggestions"][0]["actions"][0]["resource"]
    assert fixed["dosageInstruction"][0]["timing"]["repeat"]["boundsRange"]["high"]["value"] == 7
    assert "HAM-05" not in codes(client.post(SIGN, json=hook_request("order-sign", [fixed])))


# Periods with a time of day: 72 hours is 72 hours ----------------------------------------------------------

def rest(**occurrence: Any) -> dict[str, Any]:
    return {"resourceType": "ServiceRequest", "id": "r1", "status": "draft", "intent": "order", "subject": SUBJECT,
            "code": {"coding": [{"system": SNOMED, "code": "710959006",
                                 "display": "Implementation of immobilization regime"}]}, **occurrence}


@pytest.mark.parametrize(("period", "hours", "fires"), [
    ({"start": "2026-11-23T08:00:00Z", "end": "2026-11-26T08:00:00Z"}, 72.0, False),
    ({"start": "2026-11-23T08:00:00Z", "end": "2026-11-26T09:00:00Z"}, 73.0, True),
    ({"start": "2026-11-23T20:00:00-05:00", "end": "2026-11-26T18:00:00-05:00"}, 70.0, False),
    ({"start": "2026-11-23T08:00:00+01:00", "end": "2026-11-26T07:00:00Z"}, 72.0, False),  # zones differ
    ({"start": "2026-11-23", "end": "2026-11-25"}, 72.0, False),   # dates: three calendar days
    ({"start": "2026-11-23", "end": "2026-11-26"}, 96.0, True),
])
def test_rest_period_with_times_of_day(client: FlaskClient, period: dict[str, Any], hours: float,
                                       fires: bool) -> None:
    for occurrence in ({"occurrencePeriod": period}, {"occurrenceTiming": {"repeat": {"boundsPeriod": period}}}):
        assert [o.planned_hours for o in facts_of(rest(**occurrence)).rest_orders] == [hours]
        fired = "HAM-06" in codes(client.post(SIGN, json=hook_request("order-sign", [rest(**occurrence)])))
        assert fired is fires


def test_rest_fix_on_a_timed_period_keeps_the_time_of_day(client: FlaskClient) -> None:
    order = rest(occurrencePeriod={"start": "2026-11-23T08:00:00Z", "end": "2026-11-30T08:00:00Z"})
    card = client.post(SIGN, json=hook_request("order-sign", [order])).get_json()["cards"][0]
    fixed = card["suggestions"][1]["actions"][0]["resource"]
    assert fixed["occurrencePeriod"]["end"] == "2026-11-26T08:00:00Z"
    assert "HAM-06" not in codes(client.post(SIGN, json=hook_request("order-sign", [fixed])))


@pytest.mark.parametrize(("bounds", "hours"), [
    ({"high": {"value": 96, "unit": "h", "system": UCUM, "code": "h"}}, 96.0),
    ({"low": days(1), "high": days(2)}, 48.0),
])
def test_rest_bounds_range_counts_its_upper_bound(bounds: dict[str, Any], hours: float) -> None:
    order = rest(occurrenceTiming={"repeat": {"boundsRange": bounds}})
    assert [o.planned_hours for o in facts_of(order).rest_orders] == [hours]


@pytest.mark.parametrize(("course", "expected"), [
    ({"start": "2026-11-23T08:00:00Z", "end": "2026-11-30T08:00:00Z"}, 7.0),   # 7 days, not 8 calendar days
    ({"start": "2026-11-23T08:00:00Z", "end": "2026-11-30T20:00:00Z"}, 7.5),
    ({"start": "2026-11-23", "end": "2026-11-30"}, 8.0),
])
def test_analgesic_period_with_times(course: dict[str, Any], expected: float) -> None:
    order = med(line(boundsPeriod=course))
    assert [o.duration_days for o in facts_of(order).analgesic_orders] == [expected]


def test_program_period_with_times_counts_elapsed_days() -> None:
    order = pt_order("pt-1", occurrencePeriod={"start": "2026-11-23T09:00:00Z", "end": "2027-02-21T09:00:00Z"})
    assert facts_of(order).therapy_plans[0].planned_days == 90
    order = pt_order("pt-1", occurrencePeriod={"start": "2026-11-23T09:00:00Z", "end": "2027-02-21T08:00:00Z"})
    assert facts_of(order).therapy_plans[0].planned_days == 89


# Absurd values: unusable, logged, never a 500 or a card quoting them ----------------------------------------

@pytest.mark.parametrize("value", ["9999-12-31", "3026-01-01", "1800-01-01", "0001-01-01"])
def test_implausible_dates_are_unusable_and_logged_once(value: str, caplog: pytest.LogCaptureFixture,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timeutil, "_logged", set())  # other tests may have met the value first
    timeutil._date_of.cache_clear()
    with caplog.at_level(logging.WARNING, logger="fhir_mappings.timeutil"):
        assert to_date(value) is None and to_date(value) is None
        assert period_days("2026-11-23", value) is None
    assert sum("unusable" in r.getMessage() for r in caplog.records) == 1


@pytest.mark.parametrize("value", [-1, -0.5, 2**64, 2**70, "1e400", float("nan")])
def test_amounts_beyond_reason_are_unusable(value: Any) -> None:
    assert amount(value) is None


def test_reversed_and_zero_length_periods_are_unusable() -> None:
    assert period_days("2026-11-26T08:00:00Z", "2026-11-23T08:00:00Z") is None
    assert period_days("2026-11-23T08:00:00Z", "2026-11-23T08:00:00Z") is None
    assert period_days("2026-11-26", "2026-11-23") is None


ABSURD_PROGRAMS = [
    {"occurrencePeriod": {"start": "9999-12-01", "end": "9999-12-31"}},
    {"occurrencePeriod": {"start": "2026-11-23", "end": "9999-12-31"}},
    {"occurrencePeriod": {"start": "2026-11-23T00:00:00Z", "end": "9999-12-31T23:59:59Z"}},
    {"occurrencePeriod": {"start": "9999-12-31T00:00:00Z", "end": "9999-12-31T23:59:59Z"}},
    {"occurrenceTiming": {"repeat": {"boundsPeriod": {"start": "9999-11-01", "end": "9999-12-31"},
                                     "frequency": 2, "period": 1, "periodUnit": "wk"}}},
    {"occurrenceTiming": {"repeat": {"boundsDuration": weeks(-4), "frequency": 2, "period": 1, "periodUnit": "wk"}}},
    {"occurrenceTiming": {"repeat": {"boundsDuration": weeks(2**70), "frequency": 2, "period": 1,
                                     "periodUnit": "wk"}}},
    {"occurrenceTiming": {"repeat": {"boundsDuration": days(10**15), "frequency": 2, "period": 1,
                                     "periodUnit": "wk"}}},
    {"occurrenceTiming": {"repeat": {"boundsRange": {"low": weeks(-4), "high": weeks(-2)}}}},
    {"occurrenceTiming": {"repeat": {"count": 2**70, "frequency": 2, "period": 1, "periodUnit": "wk"}}},
    {"occurrenceTiming": {"repeat": {"count": 12, "frequency": 2, "period": -1, "periodUnit": "wk"}}},
    {"occurrenceDateTime": "9999-12-31"},
    {"quantityQuantity": {"value": 2**70, "unit": "sessions"}},
]


@pytest.mark.parametrize("occurrence", ABSURD_PROGRAMS)
def test_absurd_program_values_answer_without_quoting_them(client: FlaskClient, occurrence: dict[str, Any]) -> None:
    response = client.post(SIGN, json=hook_request("order-sign", [pt_order("pt-1", **occurrence)]))
    assert response.status_code == 200, response.get_data(as_text=True)
    text = response.get_data(as_text=True)
    for card in response.get_json()["cards"]:
        assert_valid_r4_actions(card)
        assert "9999" not in card["summary"] and "9999" not in card.get("detail", "")
    assert "1180591620717411303424" not in text.replace('"value":1180591620717411303424', "")


ABSURD_COURSES = [
    med(line(boundsDuration=days(-5))),
    med(line(boundsDuration=days(2**70))),
    med(line(boundsDuration=days(10**9))),
    med(line(boundsPeriod={"start": "2026-11-23", "end": "9999-12-31"})),
    med(line(boundsRange={"low": days(2), "high": days(2**64)})),
    med(line(), dispenseRequest={"expectedSupplyDuration": days(2**70)}),
    med(line(), dispenseRequest={"expectedSupplyDuration": days(30), "numberOfRepeatsAllowed": 2**70}),
    med(line(count=2**70)),
    med(line(), dispenseRequest={"quantity": {"value": 2**70, "unit": "tablet"}}),
]


@pytest.mark.parametrize("order", ABSURD_COURSES)
def test_absurd_course_values_are_unusable(client: FlaskClient, order: dict[str, Any]) -> None:
    # An integer beyond R4's 32-bit unsignedInt/positiveInt makes the order unreadable (HAM-00), not a course.
    assert [o.duration_days for o in facts_of(order).analgesic_orders] in ([None], [])
    assert "HAM-05" not in codes(client.post(SIGN, json=hook_request("order-sign", [order])))


@pytest.mark.parametrize("occurrence", [
    {"occurrencePeriod": {"start": "9999-12-20", "end": "9999-12-31"}},
    {"occurrenceTiming": {"repeat": {"boundsDuration": {"value": -96, "unit": "h", "system": UCUM, "code": "h"}}}},
    {"quantityQuantity": {"value": 2**70, "unit": "h", "system": UCUM, "code": "h"}},
])
def test_absurd_rest_values_are_unusable(client: FlaskClient, occurrence: dict[str, Any]) -> None:
    assert [o.planned_hours for o in facts_of(rest(**occurrence)).rest_orders] == [None]
    assert client.post(SIGN, json=hook_request("order-sign", [rest(**occurrence)])).status_code == 200
