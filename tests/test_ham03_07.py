"""HAM-03 to HAM-07 on facts built by test builders: below, at and above each threshold, exclusions,
and the FHIR mappers that feed them (text-only codings, tablet-level RxNorm, missing elements)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from cards.config import load_guideline
from cards.facts import AnalgesicOrder, ClinicalFacts, HamstringInjury, RestOrder, TherapyPlan, TherapyStop
from cards.rules import ham03_eccentric_strengthening as ham03
from cards.rules import ham04_hip_trunk_motor_control as ham04
from cards.rules import ham05_analgesic_duration as ham05
from cards.rules import ham06_complete_rest as ham06
from cards.rules import ham07_therapy_stopped_early as ham07
from cds_service.pipeline import data_for
from fhir_mappings.analgesics import analgesic_ingredient
from fhir_mappings.facts import build_facts
from tests.builders import AS_OF, PATIENT_ID, SUBJECT, UCUM, bundle, hook_request, pt_order, pt_session, weekly
from tests.validation import assert_valid_r4_actions

G = load_guideline()
INJURY = (HamstringInjury(ref="Condition/c", label="Hamstring strain"),)
RX = "http://www.nlm.nih.gov/research/umls/rxnorm"


def facts(**kwargs: Any) -> ClinicalFacts:
    return ClinicalFacts(as_of=AS_OF, hook=kwargs.pop("hook", "order-sign"), age_years=30,
                         hamstring_injuries=INJURY, **kwargs)


def plan(**flags: Any) -> TherapyPlan:
    return TherapyPlan(ref="ServiceRequest/pt-1", is_draft=flags.pop("is_draft", True),
                       status=flags.pop("status", "draft"), **flags)


# HAM-03 ---------------------------------------------------------------------------------------------

def test_ham03_fires_without_eccentric_work_and_fixes_the_draft() -> None:
    finding = ham03.no_eccentric_strengthening(facts(therapy_plans=(plan(),)), G.thresholds["HAM-03"])
    assert finding is not None and finding.fixes[0].change == {
        "add_order_detail": [G.thresholds["HAM-03"].order_detail]}


def test_ham03_quiet_with_eccentric_work_or_without_a_current_plan() -> None:
    t = G.thresholds["HAM-03"]
    assert ham03.no_eccentric_strengthening(facts(therapy_plans=(plan(has_eccentric=True),)), t) is None
    completed = plan(is_draft=False, status="completed")
    assert ham03.no_eccentric_strengthening(facts(therapy_plans=(completed,)), t) is None


def test_ham03_active_plan_on_patient_view_has_no_fix() -> None:
    active = plan(is_draft=False, status="active")
    finding = ham03.no_eccentric_strengthening(facts(hook="patient-view", therapy_plans=(active,)),
                                               G.thresholds["HAM-03"])
    assert finding is not None and finding.fixes == ()


# HAM-04 ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("hip", "motor", "missing"), [
    (False, False, "both"), (True, False, "motor-control"), (False, True, "hip-trunk"), (True, True, None)])
def test_ham04_names_what_is_missing(hip: bool, motor: bool, missing: str | None) -> None:
    f = facts(therapy_plans=(plan(has_hip_trunk_strength=hip, has_motor_control=motor),))
    finding = ham04.no_hip_trunk_or_motor_control(f, G.thresholds["HAM-04"])
    assert (finding.observed["missing"] if finding else None) == missing


# HAM-05 ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("days", "fires"), [(6.9, False), (7, False), (7.5, True), (8, True), (None, False)])
def test_ham05_threshold(days: float | None, fires: bool) -> None:
    order = AnalgesicOrder(ref="MedicationRequest/m", is_draft=True, drug="ibuprofen", duration_days=days)
    finding = ham05.analgesic_course_too_long(facts(analgesic_orders=(order,)), G.thresholds["HAM-05"])
    assert (finding is not None) is fires
    if fires:
        assert finding.observed["course_days"] == days and finding.fixes[0].change == {"course_days": 7}


@pytest.mark.parametrize(("concept", "drug"), [
    ({"coding": [{"system": RX, "code": "310965"}]}, "ibuprofen"),
    ({"coding": [{"system": RX, "code": "849574"}]}, "naproxen"),
    ({"coding": [{"system": RX, "code": "161"}]}, "acetaminophen"),
    ({"coding": [{"system": RX, "code": "999999", "display": "Tylenol Extra Strength 500 mg"}]}, "acetaminophen"),
    ({"text": "Mobic 15 mg tablet"}, "meloxicam"),
    ({"coding": [{"system": RX, "code": "243670"}]}, None),
    ({"text": "Aspirin 81 mg daily"}, None),
    ({"text": "Voltaren 1% topical gel"}, None),
    ({"text": "Amoxicillin 500 mg"}, None),
    ({}, None),
])
def test_analgesic_ingredients_from_codes_products_and_text(concept: dict[str, Any], drug: str | None) -> None:
    assert analgesic_ingredient({"resourceType": "MedicationRequest", "medicationCodeableConcept": concept}) == drug


def med(**extra: Any) -> dict[str, Any]:
    resource = {"resourceType": "MedicationRequest", "id": "m1", "status": "draft", "intent": "order",
                "subject": SUBJECT, "medicationCodeableConcept": {"coding": [{"system": RX, "code": "310965"}]}}
    resource.update(extra)
    return resource


def tid(**repeat: Any) -> list[dict[str, Any]]:
    return [{"timing": {"repeat": {"frequency": 3, "period": 1, "periodUnit": "d", **repeat}},
             "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}]}]


@pytest.mark.parametrize(("resource", "days"), [
    (med(dosageInstruction=tid(boundsDuration={"value": 2, "unit": "weeks", "code": "wk"})), 14),
    (med(dosageInstruction=tid(boundsPeriod={"start": "2026-11-23", "end": "2026-12-02"})), 10),
    (med(dispenseRequest={"expectedSupplyDuration": {"value": 5, "code": "d"}, "numberOfRepeatsAllowed": 2}), 15),
    (med(dosageInstruction=tid(count=30)), 10),
    (med(dosageInstruction=tid(), dispenseRequest={"quantity": {"value": 60, "unit": "tablet"}}), 20),
    (med(dosageInstruction=tid(), dispenseRequest={"quantity": {"value": 60, "unit": "mg"}}), None),
    (med(dispenseRequest={"validityPeriod": {"start": "2026-11-23", "end": "2027-11-23"}}), None),
])
def test_course_length_from_each_element(resource: dict[str, Any], days: float | None) -> None:
    data = data_for(hook="order-sign", patient_id=PATIENT_ID, draft_orders=(resource,))
    orders = build_facts(data, AS_OF).analgesic_orders
    assert [o.duration_days for o in orders] == [days]


def test_patient_view_judges_active_analgesics_only() -> None:
    active = med(status="active", dispenseRequest={"expectedSupplyDuration": {"value": 30, "code": "d"}})
    stopped = {**active, "id": "m2", "status": "stopped"}
    data = data_for(hook="patient-view", patient_id=PATIENT_ID, prefetch={"meds": bundle(active, stopped)})
    assert [o.ref for o in build_facts(data, AS_OF).analgesic_orders] == ["MedicationRequest/m1"]


# HAM-06 ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("hours", "fires"), [(48, False), (72, False), (96, True), (None, False)])
def test_ham06_planned_hours(hours: float | None, fires: bool) -> None:
    order = RestOrder(ref="ServiceRequest/r", is_draft=True, label="Bed rest", planned_hours=hours)
    finding = ham06.complete_rest_too_long(facts(rest_orders=(order,)), G.thresholds["HAM-06"])
    assert (finding is not None) is fires
    if fires:
        assert [f.action for f in finding.fixes] == ["delete", "update"]


@pytest.mark.parametrize(("start", "fires"), [(date(2026, 11, 20), False), (date(2026, 11, 19), True)])
def test_ham06_active_order_started_more_than_72_hours_ago(start: date, fires: bool) -> None:
    order = RestOrder(ref="ServiceRequest/r", is_draft=False, label="Immobilizer", start=start)
    finding = ham06.complete_rest_too_long(facts(hook="patient-view", rest_orders=(order,)), G.thresholds["HAM-06"])
    assert (finding is not None) is fires
    if fires:
        assert finding.observed["basis"] == "elapsed" and finding.fixes == ()


def rest_order(**extra: Any) -> dict[str, Any]:
    return {"resourceType": "ServiceRequest", "id": "r1", "status": "draft", "intent": "order", "subject": SUBJECT,
            **extra}


@pytest.mark.parametrize(("resource", "hours"), [
    (rest_order(code={"text": "Strict bed rest"}, occurrencePeriod={"start": "2026-11-23", "end": "2026-11-25"}), 72),
    (rest_order(code={"coding": [{"system": "http://snomed.info/sct", "code": "304510005"}]},
                occurrenceTiming={"repeat": {"boundsDuration": {"value": 5, "unit": "days", "code": "d"}}}), 120),
    (rest_order(code={"text": "Crutches"}, note=[{"text": "non-weight-bearing"}],
                quantityQuantity={"value": 96, "unit": "h", "code": "h"}), 96),
    (rest_order(code={"text": "Bed rest"}), None),
])
def test_rest_orders_from_fhir(resource: dict[str, Any], hours: float | None) -> None:
    data = data_for(hook="order-sign", patient_id=PATIENT_ID, draft_orders=(resource,))
    assert [o.planned_hours for o in build_facts(data, AS_OF).rest_orders] == [hours]


@pytest.mark.parametrize("resource", [
    rest_order(code={"coding": [{"system": "http://snomed.info/sct", "code": "183051005",
                                 "display": "Recommendation to rest"}]}),
    pt_order("pt-1", note=[{"text": "Avoid complete rest"}], **weekly(13, 2)) | {"note": [{"text": "bed rest"}]},
])
def test_relative_rest_and_pt_orders_are_not_complete_rest(resource: dict[str, Any]) -> None:
    data = data_for(hook="order-sign", patient_id=PATIENT_ID, draft_orders=(resource,))
    assert build_facts(data, AS_OF).rest_orders == ()


# HAM-07 ---------------------------------------------------------------------------------------------

def test_ham07_draft_stop_before_3_months_mentions_pain() -> None:
    stop = TherapyStop(ref="ServiceRequest/pt-1", reason="Stopped because of pain", for_pain=True)
    f = facts(therapy_stops=(stop,), therapy_plans=(plan(is_draft=False, status="active", start=date(2026, 10, 26)),))
    finding = ham07.therapy_stopped_early(f, G.thresholds["HAM-07"])
    assert finding is not None and finding.observed["stopped"] == "for-pain"
    assert finding.observed["program_days"] == 29 and finding.fixes[0].action == "create"


def test_ham07_draft_stop_after_3_months_is_quiet() -> None:
    stop = TherapyStop(ref="ServiceRequest/pt-1")
    f = facts(therapy_stops=(stop,), therapy_plans=(plan(is_draft=False, status="active", start=date(2026, 8, 1)),))
    assert ham07.therapy_stopped_early(f, G.thresholds["HAM-07"]) is None


@pytest.mark.parametrize(("weeks", "fires"), [(11, True), (12, False), (13, False)])
def test_ham07_a_stop_is_judged_on_the_program_under_way_not_one_years_before(weeks: int, fires: bool) -> None:
    from cards.facts import TherapySessions

    old = tuple(date(2024, 3, 1 + 2 * i) for i in range(12))  # an earlier program for an earlier injury
    run = tuple(AS_OF - timedelta(days=weeks * 7 - 1 - 7 * i) for i in range(weeks))  # weekly, `weeks` weeks to today
    f = facts(therapy_stops=(TherapyStop(ref="ServiceRequest/dc", for_pain=True),),
              therapy_sessions=TherapySessions(dates=old + run))
    finding = ham07.therapy_stopped_early(f, G.thresholds["HAM-07"])
    assert (finding is not None) is fires
    if fires:
        assert finding.observed == {"reason": "none", "stopped": "for-pain", "program_days": weeks * 7}


def test_ham07_revoked_program_not_completed_one() -> None:
    from cards.facts import TherapySessions

    sessions = TherapySessions(dates=(date(2026, 9, 1), date(2026, 10, 15)))
    t = G.thresholds["HAM-07"]
    revoked = facts(therapy_plans=(plan(is_draft=False, status="revoked"),), therapy_sessions=sessions,
                    program_ended=True)
    assert ham07.therapy_stopped_early(revoked, t).observed["program_days"] == 45
    completed = facts(therapy_plans=(plan(is_draft=False, status="completed"),), therapy_sessions=sessions,
                      program_ended=True)
    assert ham07.therapy_stopped_early(completed, t) is None


# Suggestions fix what they say ----------------------------------------------------------------------

SIGN = "/cds-services/hamstring-rehab-order-sign"
FIXABLE = {
    "HAM-03": pt_order("pt-1", content=[{"text": "Gluteus medius strengthening"}, {"text": "Single-leg balance"}],
                       **weekly(13, 2)),
    "HAM-04": pt_order("pt-1", content=[{"text": "Nordic hamstring exercise"}], **weekly(13, 2)),
    "HAM-05": med(dosageInstruction=tid(), dispenseRequest={"quantity": {"value": 90, "unit": "tablet"},
                                                            "numberOfRepeatsAllowed": 1}),
    "HAM-06": rest_order(code={"text": "Bed rest"}, occurrencePeriod={"start": "2026-11-23", "end": "2026-11-30"}),
}


@pytest.mark.parametrize("criterion", sorted(FIXABLE))
def test_accepting_the_suggestion_clears_the_card(client: FlaskClient, criterion: str) -> None:
    def cards(order: dict[str, Any]) -> list[dict[str, Any]]:
        return client.post(SIGN, json=hook_request("order-sign", [order])).get_json()["cards"]

    card = next(c for c in cards(FIXABLE[criterion]) if c["source"]["topic"]["code"] == criterion)
    assert_valid_r4_actions(card)
    action = next(a for s in card["suggestions"] for a in s["actions"] if a["type"] == "update")
    assert action["resource"]["id"] == FIXABLE[criterion]["id"]
    assert criterion not in {c["source"]["topic"]["code"] for c in cards(action["resource"])}


def test_ham06_offers_removal_first_then_a_72_hour_limit(client: FlaskClient) -> None:
    card = client.post(SIGN, json=hook_request("order-sign", [FIXABLE["HAM-06"]])).get_json()["cards"][0]
    assert [s["actions"][0]["type"] for s in card["suggestions"]] == ["delete", "update"]
    assert card["suggestions"][0]["isRecommended"] is True and "isRecommended" not in card["suggestions"][1]
    assert card["suggestions"][0]["actions"][0]["resourceId"] == "ServiceRequest/r1"
    assert card["suggestions"][1]["actions"][0]["resource"]["occurrencePeriod"]["end"] == "2026-11-25"


def test_ham07_suggests_a_complete_new_program_for_the_patient(client: FlaskClient) -> None:
    body = hook_request("order-sign", [pt_order("pt-1", status="revoked", **weekly(13, 2))],
                        serviceRequests=bundle(pt_order("pt-1", status="active", **weekly(13, 2))),
                        procedures=bundle(pt_session("2026-11-02"), pt_session("2026-11-09")))
    card = next(c for c in client.post(SIGN, json=body).get_json()["cards"]
                if c["source"]["topic"]["code"] == "HAM-07")
    created = card["suggestions"][0]["actions"][0]["resource"]
    assert created["subject"] == SUBJECT and created["status"] == "draft"
    assert created["occurrenceTiming"]["repeat"]["boundsDuration"]["value"] == 12
    again = hook_request("order-sign", [{**created, "id": "new-pt"}])
    fired = {c["source"]["topic"]["code"] for c in client.post(SIGN, json=again).get_json()["cards"]}
    assert fired.isdisjoint({"HAM-01", "HAM-02", "HAM-03", "HAM-04"}), fired
    assert UCUM in str(created)
