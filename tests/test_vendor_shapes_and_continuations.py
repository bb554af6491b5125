"""Adversarial cases from real EHR traffic: continuation and renewal orders, vendor data shapes, and
suggestions accepted together.

- continuations: a renewal ('continue PT x 6 more weeks', basedOn/replaces a prior order) is one block of a
  longer program, so the sessions and weeks before it count toward HAM-01/HAM-02; reflex and filler orders
  are orders; an order on hold is neither a program under way nor one ended;
- vendor shapes: Epic-style orders (code.text only, codings without display, extensions on every element,
  contained reasons and medications, Procedure.performedPeriod without end, pain as valueString '6/10',
  LOINC 72514-3 or 38208-5, pain in a panel's component), Cerner-style sigs (Timing.code 'BID' only,
  doseAndRate.doseRange), dates with time zones or only a month or year, Bundles holding the same resource
  twice or a draft that the FHIR search also returns;
- accepting every suggestion of an answer, in order and in reverse, clears the cards it should and no
  suggestion undoes another's change.

Every case runs a whole hook request through the app (tests/conftest.py), at AS_OF 2026-11-23.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.servicerequest import ServiceRequest
from flask.testing import FlaskClient

from fhir_mappings.analgesic_course import course_days
from fhir_mappings.bundles import each_once
from fhir_mappings.parse import parse
from fhir_mappings.program_plan import planned_days, planned_sessions
from fhir_mappings.terminology import concept_set
from fhir_mappings.timeutil import inclusive_days, to_end_date
from tests import builders as b
from tests.test_accepting_suggestions import accept

SIGN = "/cds-services/hamstring-rehab-order-sign"
SELECT = "/cds-services/hamstring-rehab-order-select"
VIEW = "/cds-services/hamstring-rehab-patient-view"
GTS = "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CPT = "http://www.ama-assn.org/go/cpt"
EPIC_EXT = "http://open.epic.com/FHIR/StructureDefinition/extension/order-class"  # any vendor extension url


def answer(client: FlaskClient, body: dict[str, Any], service: str = SIGN) -> list[dict[str, Any]]:
    response = client.post(service, json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["cards"]  # type: ignore[no-any-return]


def fired(client: FlaskClient, body: dict[str, Any], service: str = SIGN) -> set[str]:
    return {card["source"]["topic"]["code"] for card in answer(client, body, service)}


def weeks(n: float, per_week: int = 2, start: str | None = None) -> dict[str, Any]:
    timing = b.weekly(n, per_week)
    if start:
        timing["occurrenceTiming"]["repeat"]["boundsPeriod"] = {"start": start}
    return timing


def prior_order(sid: str = "pt-old", status: str = "completed", start: str = "2026-09-01",
                end: str = "2026-10-31", sessions: int | None = None, **extra: Any) -> dict[str, Any]:
    order = b.pt_order(sid, status=status, occurrencePeriod={"start": start, "end": end}, **extra)
    if sessions is not None:
        order["quantityQuantity"] = {"value": sessions, "unit": "sessions"}
    return order


def renewal(text: str = "Continue PT x 6 more weeks", sid: str = "pt-1", **extra: Any) -> dict[str, Any]:
    order = b.pt_order(sid, **{**weeks(6), **extra})
    order["code"]["text"] = text
    return order


def ext(value: str = "outpatient") -> list[dict[str, Any]]:
    return [{"url": EPIC_EXT, "valueString": value}]


def ibuprofen(mid: str = "med-1", status: str = "draft", **members: Any) -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": mid, "status": status, "intent": "order",
            "subject": b.SUBJECT, "authoredOn": "2026-11-23",
            "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "310965"}],
                                          "text": "Ibuprofen 200 MG Oral Tablet"}, **members}


def tablets(n: int) -> dict[str, Any]:
    return {"dispenseRequest": {"quantity": {"value": n, "unit": "tablet"}}}


# (a) continuation and renewal orders ------------------------------------------------------------------------

def test_a_renewal_counts_the_completed_sessions_before_it(client: FlaskClient) -> None:
    body = b.hook_request(drafts=[renewal(basedOn=[{"reference": "ServiceRequest/pt-old"}])],
                          serviceRequests=b.bundle(prior_order()),
                          procedures=b.bundle(*b.sessions("2026-09-01", 16, every_days=4)))
    assert not {"HAM-01", "HAM-02"} & fired(client, body)


def test_the_same_six_weeks_alone_is_too_short(client: FlaskClient) -> None:
    assert {"HAM-01"} <= fired(client, b.hook_request(drafts=[renewal()]))


def test_a_renewal_counts_a_completed_order_with_no_sessions_on_record(client: FlaskClient) -> None:
    body = b.hook_request(drafts=[renewal(basedOn=[{"reference": "ServiceRequest/pt-old"}])],
                          serviceRequests=b.bundle(prior_order(sessions=16)))
    assert not {"HAM-01", "HAM-02"} & fired(client, body)


def test_a_renewal_replacing_an_active_order_continues_its_program(client: FlaskClient) -> None:
    old = prior_order(status="active", start="2026-09-14", end="2026-11-30")
    body = b.hook_request(drafts=[renewal("Physical therapy", replaces=[{"reference": "ServiceRequest/pt-old"}])],
                          serviceRequests=b.bundle(old), procedures=b.bundle(*b.sessions("2026-09-14", 10)))
    assert not {"HAM-01", "HAM-02"} & fired(client, body)


def test_a_renewal_still_short_overall_is_flagged(client: FlaskClient) -> None:
    """Two weeks delivered, four more ordered: six weeks of a program is not three months."""
    old = prior_order(start="2026-11-05", end="2026-11-19")
    draft = b.pt_order(basedOn=[{"reference": "ServiceRequest/pt-old"}], **weeks(4))
    draft["code"]["text"] = "Continue PT"
    body = b.hook_request(drafts=[draft], serviceRequests=b.bundle(old),
                          procedures=b.bundle(*b.sessions("2026-11-05", 4, every_days=4)))
    assert {"HAM-01"} <= fired(client, body)


@pytest.mark.parametrize("intent", ["reflex-order", "filler-order", "original-order", "instance-order",
                                    "proposal", "plan"])
def test_reflex_and_filler_orders_are_judged_like_orders(client: FlaskClient, intent: str) -> None:
    draft = b.pt_order(content=[], **weeks(4))
    draft["intent"] = intent
    assert {"HAM-01", "HAM-02", "HAM-03", "HAM-04"} <= fired(client, b.hook_request(drafts=[draft]))


def test_ten_weeks_delivered_and_two_more_make_exactly_twelve(client: FlaskClient) -> None:
    body = b.hook_request(drafts=[renewal("Continue PT", **weeks(2, 2))],
                          serviceRequests=b.bundle(prior_order(start="2026-09-14", end="2026-11-22")),
                          procedures=b.bundle(*b.sessions("2026-09-14", 20, every_days=3)))
    assert not {"HAM-01", "HAM-02"} & fired(client, body)


def test_a_chain_of_renewals_counts_every_block(client: FlaskClient) -> None:
    """Three 4-week blocks, each based on the one before, a week apart; a fourth of 4 weeks is being signed."""
    blocks = (prior_order("pt-a", start="2026-08-17", end="2026-09-13"),
              prior_order("pt-b", start="2026-09-21", end="2026-10-18", basedOn=[{"reference": "ServiceRequest/pt-a"}]),
              prior_order("pt-c", start="2026-10-26", end="2026-11-20", basedOn=[{"reference": "ServiceRequest/pt-b"}]))
    visits = [*b.sessions("2026-08-17", 4), *b.sessions("2026-09-21", 4), *b.sessions("2026-10-26", 4)]
    body = b.hook_request(drafts=[renewal("Continue PT", **weeks(4, 1))], serviceRequests=b.bundle(*blocks),
                          procedures=b.bundle(*visits))
    last_only = b.hook_request(drafts=[renewal("Continue PT", **weeks(4, 1))], serviceRequests=b.bundle(blocks[2]),
                               procedures=b.bundle(*b.sessions("2026-10-26", 4)))
    assert not {"HAM-01", "HAM-02"} & fired(client, body)
    assert {"HAM-01", "HAM-02"} <= fired(client, last_only)


def test_a_block_on_hold_that_delivered_nothing_does_not_bridge_the_break(client: FlaskClient) -> None:
    held = prior_order("pt-b", status="on-hold", start="2026-09-21", end="2026-10-18")
    blocks = (prior_order("pt-a", start="2026-08-17", end="2026-09-13"), held,
              prior_order("pt-c", start="2026-10-26", end="2026-11-20"))
    body = b.hook_request(drafts=[renewal("Physical therapy", **weeks(4, 1))], serviceRequests=b.bundle(*blocks),
                          procedures=b.bundle(*b.sessions("2026-08-17", 4), *b.sessions("2026-10-26", 4)))
    assert {"HAM-01", "HAM-02"} <= fired(client, body)


def test_order_select_of_a_renewal_counts_the_recorded_block(client: FlaskClient) -> None:
    body = b.hook_request("order-select", drafts=[renewal(), ibuprofen()], selections=["ServiceRequest/pt-1"],
                          serviceRequests=b.bundle(prior_order()),
                          procedures=b.bundle(*b.sessions("2026-09-01", 16, every_days=4)))
    assert not {"HAM-01", "HAM-02"} & fired(client, body, SELECT)


def test_an_order_resumed_after_a_hold_counts_the_sessions_before_the_hold(client: FlaskClient) -> None:
    held = prior_order(status="on-hold", start="2026-09-21", end="2026-12-14")
    held["note"] = [{"text": "On hold pending insurance authorization"}]
    body = b.hook_request(drafts=[renewal("Resume physical therapy")], serviceRequests=b.bundle(held),
                          procedures=b.bundle(*b.sessions("2026-09-21", 12, every_days=4)))
    assert not {"HAM-01", "HAM-02", "HAM-07"} & fired(client, body)


def test_a_draft_sent_on_hold_is_still_checked(client: FlaskClient) -> None:
    draft = b.pt_order(status="on-hold", **weeks(4))
    assert {"HAM-01", "HAM-02"} <= fired(client, b.hook_request(drafts=[draft]))


def test_an_order_on_hold_for_insurance_is_not_a_stop_on_patient_view(client: FlaskClient) -> None:
    held = prior_order(status="on-hold", start="2026-10-01", end="2027-01-15")
    held["note"] = [{"text": "On hold pending insurance authorization"}]
    body = b.hook_request("patient-view", serviceRequests=b.bundle(held),
                          procedures=b.bundle(*b.sessions("2026-10-01", 6)))
    assert "HAM-07" not in fired(client, body, VIEW)


def test_a_new_block_after_a_long_break_is_a_new_program(client: FlaskClient) -> None:
    old = prior_order(start="2026-07-01", end="2026-08-31")
    body = b.hook_request(drafts=[b.pt_order(**weeks(6))], serviceRequests=b.bundle(old),
                          procedures=b.bundle(*b.sessions("2026-07-01", 9)))
    assert "HAM-01" in fired(client, body)


def test_a_recertification_says_it_continues_across_a_longer_break(client: FlaskClient) -> None:
    old = prior_order(start="2026-07-01", end="2026-09-15")
    body = b.hook_request(drafts=[renewal("PT recert: continue PT x 6 wks")], serviceRequests=b.bundle(old),
                          procedures=b.bundle(*b.sessions("2026-07-01", 12)))
    assert not {"HAM-01", "HAM-02"} & fired(client, body)


@pytest.mark.parametrize("reference", ["ServiceRequest/pt-old", "https://fhir.example.org/r4/ServiceRequest/pt-old",
                                       "ServiceRequest/pt-old/_history/3"])
@pytest.mark.parametrize("link", ["replaces", "basedOn"])
def test_a_renewal_linked_to_the_prior_order_continues_across_a_longer_break(
        client: FlaskClient, link: str, reference: str) -> None:
    """A renewal that names the order it renews (replaces, basedOn) says it continues it, as 'recert' does."""
    old = prior_order(start="2026-07-01", end="2026-09-15")
    draft = renewal("Physical therapy")
    draft[link] = [{"reference": reference}]
    body = b.hook_request(drafts=[draft], serviceRequests=b.bundle(old),
                          procedures=b.bundle(*b.sessions("2026-07-01", 12)))
    assert not {"HAM-01", "HAM-02"} & fired(client, body)


@pytest.mark.parametrize("reference", ["ServiceRequest/ref-1", "ServiceRequest/unknown", "#pt-old", 42])
def test_a_link_to_an_order_that_is_no_program_continues_nothing(client: FlaskClient, reference: Any) -> None:
    """basedOn an orthopaedic referral, an order not on record, a contained one, or junk: a new program."""
    old = prior_order(start="2026-07-01", end="2026-09-15")
    draft = renewal("Physical therapy", basedOn=[{"reference": reference}])
    body = b.hook_request(drafts=[draft], serviceRequests=b.bundle(old, b.referral(authored="2026-06-20")),
                          procedures=b.bundle(*b.sessions("2026-07-01", 12)))
    assert "HAM-01" in fired(client, body)


def test_a_prior_order_ending_in_a_month_runs_to_the_end_of_that_month(client: FlaskClient) -> None:
    """occurrencePeriod.end '2026-10' is October's last day: the renewal starts 23 days later, not 53."""
    old = prior_order(start="2026-08", end="2026-10", sessions=16)
    body = b.hook_request(drafts=[renewal("Physical therapy")], serviceRequests=b.bundle(old))
    assert not {"HAM-01", "HAM-02"} & fired(client, body)


def test_a_renewal_after_a_program_for_another_problem_is_a_new_program(client: FlaskClient) -> None:
    knee = [{"text": "Left knee osteoarthritis"}]
    visits = b.sessions("2026-09-01", 16, every_days=4)
    for visit in visits:
        visit["reasonCode"] = knee
    body = b.hook_request(drafts=[renewal()], serviceRequests=b.bundle(prior_order(reasonCode=knee)),
                          procedures=b.bundle(*visits))
    assert "HAM-01" in fired(client, body)


def test_sessions_not_done_lend_a_renewal_nothing(client: FlaskClient) -> None:
    visits = b.sessions("2026-09-01", 16, every_days=4)
    for visit in visits:
        visit["status"] = "not-done"
    body = b.hook_request(drafts=[renewal()], serviceRequests=b.bundle(prior_order(status="revoked")),
                          procedures=b.bundle(*visits))
    assert "HAM-01" in fired(client, body)


def test_eight_weekly_sessions_and_six_more_make_a_whole_program(client: FlaskClient) -> None:
    body = b.hook_request(drafts=[renewal(**weeks(6, 1))],
                          serviceRequests=b.bundle(prior_order(start="2026-09-08", end="2026-11-03")),
                          procedures=b.bundle(*b.sessions("2026-09-08", 9)))
    assert not {"HAM-01", "HAM-02"} & fired(client, body)


def test_a_renewal_stating_its_length_only_in_its_name_continues_the_program(client: FlaskClient) -> None:
    draft = b.pt_order()
    draft["code"] = {"text": "Continue PT 2x/wk x 6 wks"}
    alone = b.hook_request(drafts=[draft])
    after = b.hook_request(drafts=[draft], serviceRequests=b.bundle(prior_order()),
                           procedures=b.bundle(*b.sessions("2026-09-01", 16, every_days=4)))
    assert "HAM-01" in fired(client, alone) and "HAM-01" not in fired(client, after)


@pytest.mark.parametrize("text", ["Continue PT 2x/wk x 6 more wks", "PT 2x/wk x 6 additional weeks",
                                  "Continue PT 2x/wk for 6 further weeks"])
def test_a_renewal_for_n_more_weeks_states_its_length(client: FlaskClient, text: str) -> None:
    draft = b.pt_order()
    draft["code"] = {"text": text}
    assert "HAM-01" in fired(client, b.hook_request(drafts=[draft]))


def test_an_active_renewal_on_patient_view_is_judged_with_the_block_before_it(client: FlaskClient) -> None:
    current = prior_order("pt-2", status="active", start="2026-11-01", end="2026-12-13",
                          basedOn=[{"reference": "ServiceRequest/pt-old"}])
    prom = b.bundle(b.outcome("2026-11-20", 50))
    with_prior = b.hook_request("patient-view", serviceRequests=b.bundle(prior_order(), current), observations=prom,
                                procedures=b.bundle(*b.sessions("2026-09-01", 20, every_days=4)))
    alone = b.hook_request("patient-view", serviceRequests=b.bundle(current), observations=prom)
    assert "HAM-01" not in fired(client, with_prior, VIEW) and "HAM-01" in fired(client, alone, VIEW)


TWO_BLOCKS = (prior_order(start="2026-08-20", end="2026-10-14"),
              prior_order("pt-2", status="active", start="2026-10-15", end="2026-12-31"))


def test_persistent_weakness_is_judged_over_both_blocks(client: FlaskClient) -> None:
    body = b.hook_request("patient-view", serviceRequests=b.bundle(*TWO_BLOCKS),
                          procedures=b.bundle(*b.sessions("2026-08-20", 14)),
                          observations=b.bundle(b.strength("2026-11-20", 80), b.outcome("2026-11-20", 50)))
    assert "HAM-12" in fired(client, body, VIEW)


def stop_draft() -> dict[str, Any]:
    return {"resourceType": "ServiceRequest", "id": "dc-1", "status": "draft", "intent": "order",
            "subject": b.SUBJECT, "code": {"text": "D/C physical therapy"},
            "note": [{"text": "Patient reports pain with exercises"}]}


def test_stopping_after_three_months_over_two_blocks_is_no_early_stop(client: FlaskClient) -> None:
    body = b.hook_request(drafts=[stop_draft()], serviceRequests=b.bundle(*TWO_BLOCKS),
                          procedures=b.bundle(*b.sessions("2026-08-20", 14)))
    assert not {"HAM-01", "HAM-07"} & fired(client, body)


def test_stopping_a_short_program_is_judged_as_a_stop_not_as_a_short_order(client: FlaskClient) -> None:
    """The order being stopped gets HAM-07 (resume it); not also HAM-01..04 on its length and content."""
    active = prior_order("pt-2", status="active", start="2026-10-26", end="2026-12-31", content=[])
    body = b.hook_request(drafts=[stop_draft()], serviceRequests=b.bundle(active),
                          procedures=b.bundle(*b.sessions("2026-10-26", 4)))
    found = fired(client, body)
    assert "HAM-07" in found and not {"HAM-01", "HAM-02", "HAM-03", "HAM-04"} & found


def test_an_unrelated_draft_still_has_the_active_program_judged(client: FlaskClient) -> None:
    active = prior_order("pt-2", status="active", start="2026-10-26", end="2026-12-31")
    med = ibuprofen(dosageInstruction=[{"timing": bid(), "doseAndRate": ONE_TAB}], **tablets(10))
    body = b.hook_request(drafts=[med], serviceRequests=b.bundle(active),
                          procedures=b.bundle(*b.sessions("2026-10-26", 4)))
    assert "HAM-01" in fired(client, body)


@pytest.mark.parametrize(("note", "stops"), [("Hold PT due to pain", True),
                                             ("Hold pending insurance authorization", False)])
def test_a_draft_putting_the_program_on_hold(client: FlaskClient, note: str, stops: bool) -> None:
    active = prior_order(status="active", start="2026-10-01", end="2027-01-15")
    hold = {**copy.deepcopy(active), "status": "on-hold", "note": [{"text": note}]}
    body = b.hook_request(drafts=[hold], serviceRequests=b.bundle(active),
                          procedures=b.bundle(*b.sessions("2026-10-01", 6)))
    assert ("HAM-07" in fired(client, body)) is stops


def test_a_program_on_hold_for_pain_is_a_stop_on_patient_view(client: FlaskClient) -> None:
    held = prior_order(status="on-hold", start="2026-10-01", end="2027-01-15",
                       note=[{"text": "PT on hold due to increased hamstring pain"}])
    body = b.hook_request("patient-view", serviceRequests=b.bundle(held),
                          procedures=b.bundle(*b.sessions("2026-10-01", 6)))
    assert "HAM-07" in fired(client, body, VIEW)


def test_resuming_after_a_program_revoked_for_pain_is_no_stop(client: FlaskClient) -> None:
    revoked = prior_order(status="revoked", start="2026-10-01", end="2026-12-31",
                          note=[{"text": "Discontinued due to pain"}])
    body = b.hook_request(drafts=[renewal("Resume PT", **weeks(8))], serviceRequests=b.bundle(revoked),
                          procedures=b.bundle(*b.sessions("2026-10-01", 6)))
    assert not {"HAM-01", "HAM-02", "HAM-07"} & fired(client, body)


@pytest.mark.parametrize("links", [{"basedOn": 5}, {"basedOn": {"reference": "ServiceRequest/pt-old"}},
                                   {"replaces": "ServiceRequest/pt-old"}, {"replaces": None},
                                   {"replaces": [{"reference": 5}]}, {"id": 5}, {"id": None}, {"id": ["a"]}])
def test_odd_links_and_ids_on_a_renewal_never_break_the_answer(client: FlaskClient, links: dict[str, Any]) -> None:
    draft = renewal("Physical therapy")
    draft.update(links)
    body = b.hook_request(drafts=[draft], serviceRequests=b.bundle(prior_order(start="2026-07-01", end="2026-09-15")),
                          procedures=b.bundle(*b.sessions("2026-07-01", 12)))
    answer(client, body)


@pytest.mark.parametrize("meta", ["x", {"versionId": 3}, {"versionId": "9" * 23}, {"lastUpdated": 5},
                                  {"lastUpdated": "9999-12-31T23:59:59+14:00"}, None, []])
def test_odd_versions_of_a_resource_sent_twice_never_break_the_answer(client: FlaskClient, meta: Any) -> None:
    """Without a readable version the copy given last is read (3/10: no flare)."""
    copies = [b.pain_score("2026-11-22", v, oid="pain-1", meta=meta) for v in (9, 3)]
    body = b.hook_request("patient-view", serviceRequests=b.bundle(prior_order(status="active", start="2026-11-02",
                                                                               end="2027-02-01")),
                          observations=b.bundle(*copies))
    assert "HAM-13" not in fired(client, body, VIEW)


# (b) vendor data shapes -------------------------------------------------------------------------------------

def epic_order(sid: str = "pt-1", content: list[dict[str, Any]] | None = None, **occurrence: Any) -> dict[str, Any]:
    """An Epic-style ambulatory referral: code.text with a coding without display, extensions everywhere,
    the reason a contained Condition."""
    order = b.pt_order(sid, content=content, **occurrence)
    order["code"] = {"coding": [{"system": b.SNOMED, "code": "308447003", "extension": ext("coding")}],
                     "text": "Ambulatory referral to Physical Therapy", "extension": ext("code")}
    order["extension"] = ext()
    order["_status"] = {"extension": ext("status")}
    order["_intent"] = {"extension": ext("intent")}
    order["identifier"] = [{"system": "urn:oid:1.2.840.114350.1.13.0.1.7.2.798268", "value": "123456"}]
    order["contained"] = [{"resourceType": "Condition", "id": "dx1", "subject": b.SUBJECT,
                           "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "S76.312A"}],
                                    "text": "Strain of left hamstring"}}]
    order["reasonReference"] = [{"reference": "#dx1", "display": "Strain of left hamstring"}]
    order["authoredOn"] = "2026-11-23T09:14:00-06:00"
    return order


def test_an_epic_referral_with_a_contained_reason_is_judged(client: FlaskClient) -> None:
    body = b.hook_request(drafts=[epic_order(content=[], **weeks(4))], conditions=None)
    assert {"HAM-01", "HAM-02", "HAM-03", "HAM-04"} <= fired(client, body)


def test_an_epic_referral_that_is_complete_fires_nothing(client: FlaskClient) -> None:
    assert fired(client, b.hook_request(drafts=[epic_order(**weeks(13))])) == set()


@pytest.mark.parametrize(("grade", "with_referral", "critical"), [
    ({"code": {"text": "Proximal hamstring avulsion, left"}}, False, True),
    ({"severity": {"coding": [{"system": b.SNOMED, "code": "24484000"}]}}, False, True),
    ({"code": {"text": "Proximal hamstring avulsion, left"}}, True, False),
    ({"code": {"text": "Grade 1 strain of left hamstring"}}, False, False),
])
def test_a_high_grade_tear_in_the_orders_contained_reason(client: FlaskClient, grade: dict[str, Any],
                                                          with_referral: bool, critical: bool) -> None:
    """The contained Condition is read itself, not only the reference's display ('Strain of left hamstring')."""
    order = epic_order(**weeks(13))
    order["contained"][0].update(grade)
    drafts = [order, b.referral("ref-9", status="draft")] if with_referral else [order]
    assert ("HAM-11" in fired(client, b.hook_request(drafts=drafts, conditions=None))) is critical


def test_a_code_text_only_order_is_read_from_its_text(client: FlaskClient) -> None:
    order = b.pt_order(content=[], **weeks(4))
    order["code"] = {"text": "PT eval and treat - hamstring strain; Nordic curls, glute med, single-leg balance"}
    assert fired(client, b.hook_request(drafts=[order])) == {"HAM-01", "HAM-02"}


def test_a_contained_reason_for_another_problem_is_not_hamstring_rehabilitation(client: FlaskClient) -> None:
    order = epic_order(content=[], **weeks(4))
    order["contained"][0]["code"] = {"text": "Left shoulder adhesive capsulitis"}
    order["reasonReference"] = [{"reference": "#dx1"}]
    assert not {"HAM-01", "HAM-02", "HAM-03", "HAM-04"} & fired(client, b.hook_request(drafts=[order]))


def test_sessions_recorded_with_an_open_performed_period_count(client: FlaskClient) -> None:
    """Epic files a therapy visit as Procedure.performedPeriod with only a start."""
    visits = []
    for s in b.sessions("2026-08-10", 14):
        s["performedPeriod"] = {"start": s.pop("performedDateTime") + "T15:00:00-05:00"}
        visits.append(s)
    active = prior_order(status="active", start="2026-08-10", end="2026-12-01")
    body = b.hook_request("patient-view", serviceRequests=b.bundle(active), procedures=b.bundle(*visits),
                          observations=b.bundle(b.strength("2026-11-20", 80), b.outcome("2026-11-20", 60)))
    assert "HAM-12" in fired(client, body, VIEW)


@pytest.mark.parametrize(("label", "observation"), [
    ("valueString 8/10", b.pain_score("2026-11-22", None, valueString="8/10")),
    ("valueString 8", b.pain_score("2026-11-22", None, valueString="8")),
    ("LOINC 38208-5", b.pain_score("2026-11-22", 8, code="38208-5")),
    ("valueQuantity {score}", b.pain_score("2026-11-22", 8, as_quantity=True)),
    ("effectivePeriod without end", {**b.without(b.pain_score("2026-11-22", 8), "effectiveDateTime"),
                                     "effectivePeriod": {"start": "2026-11-22T10:00:00-08:00"}}),
    ("code without display, text only", b.pain_score("2026-11-22", 8, code=None, text="Pain score (0-10)")),
    ("panel component", {"resourceType": "Observation", "id": "panel-1", "status": "final", "subject": b.SUBJECT,
                         "code": {"text": "Pain assessment"}, "effectiveDateTime": "2026-11-22T08:30:00Z",
                         "component": [{"code": {"coding": [{"system": b.LOINC, "code": "72514-3"}]},
                                        "valueInteger": 8}]}),
])
def test_a_flare_recorded_in_vendor_shapes_is_seen(client: FlaskClient, label: str,
                                                   observation: dict[str, Any]) -> None:
    body = b.hook_request("patient-view", serviceRequests=b.bundle(prior_order(status="active", start="2026-11-02",
                                                                               end="2027-02-01")),
                          observations=b.bundle(observation))
    assert "HAM-13" in fired(client, body, VIEW)


def test_a_rise_from_2_10_to_6_10_in_strings_is_a_flare(client: FlaskClient) -> None:
    body = b.hook_request("patient-view", serviceRequests=b.bundle(prior_order(status="active", start="2026-11-02",
                                                                               end="2027-02-01")),
                          observations=b.bundle(b.pain_score("2026-11-18", None, valueString="2/10"),
                                                b.pain_score("2026-11-22", None, valueString="6/10")))
    assert "HAM-13" in fired(client, body, VIEW)


def test_a_mild_pain_string_is_not_a_flare(client: FlaskClient) -> None:
    body = b.hook_request("patient-view", serviceRequests=b.bundle(prior_order(status="active", start="2026-11-02",
                                                                               end="2027-02-01")),
                          observations=b.bundle(b.pain_score("2026-11-22", None, valueString="3/10")))
    assert "HAM-13" not in fired(client, body, VIEW)


@pytest.mark.parametrize(("value", "fires"), [("3/10", True), ("0/10", False)])
def test_sport_pain_as_a_string_gates_return_to_sport(client: FlaskClient, value: str, fires: bool) -> None:
    pain = b.sport_pain("2026-11-21", 0)
    del pain["valueInteger"]
    pain["valueString"] = value
    body = b.hook_request(drafts=[b.return_to_sport()], observations=b.bundle(pain))
    assert ("HAM-09" in fired(client, body)) is fires


@pytest.mark.parametrize("later", [5, 3])
@pytest.mark.parametrize("shape", ["valueString", "mixed LOINC"])
def test_no_improvement_read_from_vendor_shapes(client: FlaskClient, shape: str, later: int) -> None:
    """6/10 at the start of treatment, 5/10 (no improvement) or 3/10 (improved) 24 days on."""
    if shape == "valueString":
        first = b.pain_score("2026-10-27", None, valueString="6/10")
        last = b.pain_score("2026-11-20", None, valueString=f"{later}/10")
    else:
        first, last = b.pain_score("2026-10-27", 6, code="38208-5"), b.pain_score("2026-11-20", later)
    body = b.hook_request("patient-view", serviceRequests=b.bundle(prior_order(status="active", start="2026-10-26",
                                                                               end="2027-01-31")),
                          procedures=b.bundle(*b.sessions("2026-10-26", 4)),
                          observations=b.bundle(first, last, b.outcome("2026-11-20", 50)))
    assert ("HAM-10" in fired(client, body, VIEW)) is (later == 5)


@pytest.mark.parametrize(("value", "fires"), [("2/10", True), ("0/10", False)])
def test_sport_pain_in_a_return_to_sport_panel_component(client: FlaskClient, value: str, fires: bool) -> None:
    panel = {"resourceType": "Observation", "id": "panel-1", "status": "final", "subject": b.SUBJECT,
             "code": {"text": "Return to sport testing"}, "effectiveDateTime": "2026-11-21",
             "component": [{"code": {"coding": [{"system": b.LOINC, "code": "72514-3"}], "text": "Pain with sprinting"},
                            "valueString": value}]}
    clearance = b.return_to_sport(extension=ext(), _status={"extension": ext()})
    assert ("HAM-09" in fired(client, b.hook_request(drafts=[clearance], observations=b.bundle(panel)))) is fires


def bid(**repeat: Any) -> dict[str, Any]:
    timing: dict[str, Any] = {"code": {"coding": [{"system": GTS, "code": "BID"}]}}
    if repeat:
        timing["repeat"] = repeat
    return timing


ONE_TAB = [{"doseQuantity": {"value": 1, "unit": "tablet"}}]


@pytest.mark.parametrize(("label", "order", "fires"), [
    ("1 tablet BID, 60 tablets: 30 days", ibuprofen(dosageInstruction=[{"timing": bid(), "doseAndRate": ONE_TAB}],
                                                    **tablets(60)), True),
    ("1 tablet BID, 10 tablets: 5 days", ibuprofen(dosageInstruction=[{"timing": bid(), "doseAndRate": ONE_TAB}],
                                                   **tablets(10)), False),
    ("BID for 14 days", ibuprofen(dosageInstruction=[{"timing": bid(
        boundsDuration={"value": 14, "unit": "days", "system": b.UCUM, "code": "d"})}]), True),
    ("BID for 5 days", ibuprofen(dosageInstruction=[{"timing": bid(
        boundsDuration={"value": 5, "unit": "days", "system": b.UCUM, "code": "d"})}]), False),
    ("QID text only, 1 tablet, 12 tablets: 3 days", ibuprofen(dosageInstruction=[{
        "timing": {"code": {"text": "QID"}}, "doseAndRate": ONE_TAB}], **tablets(12)), False),
    ("contained Medication, BID for 10 days", {
        **b.without(ibuprofen(dosageInstruction=[{"timing": bid(
            boundsPeriod={"start": "2026-11-23T08:00:00+01:00", "end": "2026-12-03T08:00:00+01:00"})}]),
            "medicationCodeableConcept"),
        "contained": [{"resourceType": "Medication", "id": "m1",
                       "code": {"coding": [{"system": RXNORM, "code": "5640"}], "text": "ibuprofen"}}],
        "medicationReference": {"reference": "#m1"}}, True),
])
def test_cerner_sigs_give_the_course_length(client: FlaskClient, label: str, order: dict[str, Any],
                                            fires: bool) -> None:
    assert ("HAM-05" in fired(client, b.hook_request(drafts=[order]))) is fires


TID = {"code": {"coding": [{"system": GTS, "code": "TID"}]}}


@pytest.mark.parametrize(("dispense", "fires"), [
    ({"quantity": {"value": 20, "unit": "tablet"}, "numberOfRepeatsAllowed": 3}, True),  # 4 fills of 6-7 days
    ({"expectedSupplyDuration": {"value": 2, "unit": "wk", "system": b.UCUM, "code": "wk"}}, True),
    ({"expectedSupplyDuration": {"value": 5, "unit": "days", "system": b.UCUM, "code": "d"}}, False),
])
def test_epic_dispense_requests_give_the_course(client: FlaskClient, dispense: dict[str, Any], fires: bool) -> None:
    order = ibuprofen(dosageInstruction=[{"timing": TID, "doseAndRate": ONE_TAB}], dispenseRequest=dispense)
    assert ("HAM-05" in fired(client, b.hook_request(drafts=[order]))) is fires


@pytest.mark.parametrize(("text", "bounds", "fires"), [
    ("Activity: bed rest", {"value": 1, "unit": "wk"}, True),
    ("Activity: bed rest", {"value": 48, "unit": "h", "system": b.UCUM, "code": "h"}, False),
    ("Activity as tolerated", {"value": 1, "unit": "wk"}, False),
])
def test_an_activity_order_in_text_only(client: FlaskClient, text: str, bounds: dict[str, Any], fires: bool) -> None:
    order = {"resourceType": "ServiceRequest", "id": "rest-1", "status": "draft", "intent": "order",
             "subject": b.SUBJECT, "code": {"text": text}, "occurrenceTiming": {"repeat": {"boundsDuration": bounds}}}
    assert ("HAM-06" in fired(client, b.hook_request(drafts=[order]))) is fires


MAX_6_A_DAY = {"numerator": {"value": 6, "unit": "tablet"}, "denominator": {"value": 1, "unit": "d",
                                                                              "system": b.UCUM, "code": "d"}}


@pytest.mark.parametrize(("line", "dispensed", "fires"), [
    # a dose range is read at its highest dose: 90 tablets at 2 TID last at least 15 days
    ({"doseAndRate": [{"doseRange": {"low": {"value": 1, "unit": "tablet"},
                                     "high": {"value": 2, "unit": "tablet"}}}]}, 90, True),
    # no dose at all: 60 tablets BID last 30 days at 1 tablet, 7.5 at 4; any tablets per dose assumed would be
    # a clinical number neither the guideline nor the order states (and no fix could be written): unread
    ({}, 60, False),
    # no dose, but at most 6 tablets a day (maxDosePerPeriod): 60 tablets last at least 10 days
    ({"maxDosePerPeriod": MAX_6_A_DAY}, 60, True),
], ids=["1-2 tablets TID, 90 tablets: 15-30 days", "no dose, BID, 60 tablets: unread",
        "no dose, BID, max 6 a day, 60 tablets: at least 10 days"])
def test_a_cerner_sig_without_a_single_dose(client: FlaskClient, line: dict[str, Any], dispensed: int,
                                            fires: bool) -> None:
    code = "TID" if "doseAndRate" in line else "BID"
    dosage = {"timing": {"code": {"coding": [{"system": GTS, "code": code}]}}, **line}
    order = ibuprofen(dosageInstruction=[dosage], **tablets(dispensed))
    assert ("HAM-05" in fired(client, b.hook_request(drafts=[order]))) is fires


@pytest.mark.parametrize(("status", "flare"), [("entered-in-error", False), ("cancelled", False),
                                                ("preliminary", True), ("amended", True), ("corrected", True)])
def test_a_pain_score_counts_by_its_status(client: FlaskClient, status: str, flare: bool) -> None:
    body = b.hook_request("patient-view", serviceRequests=b.bundle(prior_order(status="active", start="2026-11-02",
                                                                               end="2027-02-01")),
                          observations=b.bundle(b.pain_score("2026-11-22", 9, status=status)))
    assert ("HAM-13" in fired(client, body, VIEW)) is flare


def test_courses_ending_in_a_month_run_through_it(client: FlaskClient) -> None:
    """From 23 Nov 'to 2026-11' is through 30 November: 8 days of ibuprofen, 8 days of immobilization."""
    med = ibuprofen(dosageInstruction=[{"timing": bid(boundsPeriod={"start": "2026-11-23", "end": "2026-11"}),
                                        "doseAndRate": ONE_TAB}])
    rest = {"resourceType": "ServiceRequest", "id": "rest-1", "status": "draft", "intent": "order",
            "subject": b.SUBJECT, "code": {"coding": [{"system": b.SNOMED, "code": "710959006"}]},
            "occurrencePeriod": {"start": "2026-11-23", "end": "2026-11"}}
    assert {"HAM-05", "HAM-06"} <= fired(client, b.hook_request(drafts=[med, rest]))


@pytest.mark.parametrize(("code", "weeks_", "expected"), [("QOD", 16, set()), ("QOD", 4, {"HAM-01"})])
def test_a_therapy_timing_given_as_a_code(client: FlaskClient, code: str, weeks_: int, expected: set[str]) -> None:
    order = b.pt_order(occurrenceTiming={"code": {"coding": [{"system": GTS, "code": code}]}, "repeat": {
        "boundsDuration": {"value": weeks_, "unit": "wk", "system": b.UCUM, "code": "wk"}}})
    assert fired(client, b.hook_request(drafts=[order])) == expected


def test_daily_therapy_for_one_week_is_too_few_sessions(client: FlaskClient) -> None:
    order = b.pt_order(occurrenceTiming={"code": {"coding": [{"system": GTS, "code": "QD"}]}, "repeat": {
        "boundsDuration": {"value": 1, "unit": "wk", "system": b.UCUM, "code": "wk"}}})
    assert {"HAM-01", "HAM-02"} <= fired(client, b.hook_request(drafts=[order]))


def test_the_same_session_twice_in_a_bundle_counts_once(client: FlaskClient) -> None:
    """11 sessions, each sent twice (same id): fewer than 12, so HAM-12 cannot yet judge the weakness."""
    visits = b.sessions("2026-08-10", 11, every_days=9)
    active = prior_order(status="active", start="2026-08-10", end="2026-12-01")
    body = b.hook_request("patient-view", serviceRequests=b.bundle(active), procedures=b.bundle(*visits, *visits),
                          observations=b.bundle(b.strength("2026-11-20", 80), b.outcome("2026-11-20", 60)))
    assert "HAM-12" not in fired(client, body, VIEW)


def test_sessions_on_two_overlapping_search_pages_count_once(client: FlaskClient) -> None:
    """The same completed visits twice in the procedures Bundle (pages that overlap) do not double a
    too-short delivered block."""
    visits = b.sessions("2026-11-02", 4)
    body = b.hook_request(drafts=[renewal("Continue PT", **weeks(4))],
                          procedures=b.bundle(*visits, *copy.deepcopy(visits)))
    assert "HAM-01" in fired(client, body)


def test_a_draft_also_returned_by_the_search_is_not_its_own_earlier_block(client: FlaskClient) -> None:
    draft = b.pt_order(**weeks(4), authoredOn="2026-11-23")
    saved = copy.deepcopy(draft)
    saved["status"] = "active"  # the EHR saved the draft before signing it
    body = b.hook_request(drafts=[draft], serviceRequests=b.bundle(saved, saved))
    assert {"HAM-01", "HAM-02"} <= fired(client, body)


@pytest.mark.parametrize("first", ["short", "no content"])
def test_two_drafts_without_ids_are_two_orders(client: FlaskClient, first: str) -> None:
    """Neither is taken for the other: the short one and the one without exercise content are both judged,
    and no update is offered for an order the EHR cannot name."""
    short = b.without(b.pt_order(**weeks(4)), "id")
    empty = {**b.pt_order(content=[], **weeks(13)), "id": ""}
    drafts = [short, empty] if first == "short" else [empty, short]
    cards = answer(client, b.hook_request(drafts=drafts))
    assert {c["source"]["topic"]["code"] for c in cards} == {"HAM-01", "HAM-02", "HAM-03", "HAM-04"}
    assert not any(c.get("suggestions") for c in cards)


def test_a_draft_without_an_id_beside_one_with_an_id_keeps_the_others_suggestion(client: FlaskClient) -> None:
    med = ibuprofen(dosageInstruction=[{"timing": bid(), "doseAndRate": ONE_TAB}], **tablets(60))
    cards = {c["source"]["topic"]["code"]: c for c in answer(client, b.hook_request(
        drafts=[b.without(b.pt_order(**weeks(4)), "id"), med]))}
    assert set(cards) == {"HAM-01", "HAM-02", "HAM-05"}
    assert not cards["HAM-01"].get("suggestions") and cards["HAM-05"]["suggestions"]


def test_a_duplicated_pain_score_is_not_a_rise(client: FlaskClient) -> None:
    pain = b.pain_score("2026-11-22", 5)
    body = b.hook_request("patient-view", serviceRequests=b.bundle(prior_order(status="active", start="2026-11-02",
                                                                               end="2027-02-01")),
                          observations=b.bundle(pain, pain), assessments=b.bundle(pain))
    assert "HAM-13" not in fired(client, body, VIEW)


@pytest.mark.parametrize("newest_last", [True, False], ids=["newest last", "newest first"])
@pytest.mark.parametrize("meta", [
    ({"versionId": "1"}, {"versionId": "2"}),
    ({"lastUpdated": "2026-11-22T10:00:00Z"}, {"lastUpdated": "2026-11-22T07:00:00-05:00"}),
], ids=["versionId", "lastUpdated"])
def test_a_corrected_pain_score_sent_twice_is_read_in_its_newest_version(
        client: FlaskClient, meta: tuple[dict[str, str], dict[str, str]], newest_last: bool) -> None:
    """9/10 keyed in error, amended to 3/10: whichever copy the Bundle lists first, there is no flare."""
    first = b.pain_score("2026-11-22", 9, oid="pain-1", meta=meta[0])
    amended = b.pain_score("2026-11-22", 3, oid="pain-1", status="amended", meta=meta[1])
    copies = (first, amended) if newest_last else (amended, first)
    body = b.hook_request("patient-view", serviceRequests=b.bundle(prior_order(status="active", start="2026-11-02",
                                                                               end="2027-02-01")),
                          observations=b.bundle(copies[0]), assessments=b.bundle(copies[1]))
    assert "HAM-13" not in fired(client, body, VIEW)


@pytest.mark.parametrize("newest_last", [True, False], ids=["newest last", "newest first"])
def test_an_order_revoked_for_pain_in_its_newest_version_is_a_stop(client: FlaskClient, newest_last: bool) -> None:
    active = prior_order(status="active", start="2026-10-01", end="2027-01-15", meta={"versionId": "3"})
    revoked = prior_order(status="revoked", start="2026-10-01", end="2027-01-15", meta={"versionId": "4"},
                          note=[{"text": "Discontinued due to hamstring pain"}])
    copies = (active, revoked) if newest_last else (revoked, active)
    body = b.hook_request("patient-view", serviceRequests=b.bundle(*copies),
                          procedures=b.bundle(*b.sessions("2026-10-01", 6)))
    assert "HAM-07" in fired(client, body, VIEW)


def test_each_resource_is_read_once_in_its_newest_version() -> None:
    a1 = {"resourceType": "Observation", "id": "a", "meta": {"versionId": "2"}, "n": 1}
    a2 = {"resourceType": "Observation", "id": "a", "meta": {"versionId": "10"}, "n": 2}
    a3 = {"resourceType": "Observation", "id": "a", "n": 3}  # no version: older than any versioned copy
    same_id_other_type = {"resourceType": "Procedure", "id": "a"}
    anonymous = {"resourceType": "Observation"}
    untimed = {"resourceType": "Condition", "id": "c", "meta": {"lastUpdated": "not a date"}, "n": 1}
    later = {"resourceType": "Condition", "id": "c", "meta": {"lastUpdated": "2026-11"}, "n": 2}
    assert each_once([a1, same_id_other_type, a2, anonymous, anonymous, a3, untimed, later]) == [
        a2, same_id_other_type, anonymous, anonymous, later]


@pytest.mark.parametrize(("start", "end", "short"), [
    ("2026-11-23T08:00:00-05:00", "2027-02-20T17:00:00-05:00", False),
    ("2026-11-23T08:00:00+09:00", "2027-02-15T08:00:00Z", False),
    ("2026-11-23", "2026-12-31T23:59:59-08:00", True),
    ("2026-11", "2027-02", False),
    ("2026-11", "2026-12", True),
    ("2026-11-23", "2027", False),
])
def test_order_periods_with_zones_and_partial_dates(client: FlaskClient, start: str, end: str, short: bool) -> None:
    draft = b.pt_order(occurrencePeriod={"start": start, "end": end}, quantityQuantity={"value": 24})
    assert ("HAM-01" in fired(client, b.hook_request(drafts=[draft]))) is short


@pytest.mark.parametrize(("value", "last"), [
    ("2026-10", "2026-10-31"), ("2026-02", "2026-02-28"), ("2028-02", "2028-02-29"), ("2026-12", "2026-12-31"),
    ("2026", "2026-12-31"), ("2026-10-05", "2026-10-05"), ("2026-10-05T23:00:00-07:00", "2026-10-05"),
    ("2026-13", None), ("9999", None), ("20x6", None),
])
def test_a_partial_period_end_includes_its_whole_month_or_year(value: str, last: str | None) -> None:
    assert (None if to_end_date(value) is None else str(to_end_date(value))) == last


def test_a_partial_start_is_the_first_day_and_a_partial_end_the_last() -> None:
    assert inclusive_days("2026-08", "2026-10") == 92
    assert inclusive_days("2026-11-23", "2026-11") == 8
    assert inclusive_days("2026-12-01", "2026-11") is None  # ends before it starts


@pytest.mark.parametrize(("birth", "onset", "in_population"), [
    ("1990", "2026", True),
    ("1990-06", "2026-10", True),
    ("1950", "2026-10-02T23:30:00-11:00", False),
])
def test_partial_birth_and_onset_dates(client: FlaskClient, birth: str, onset: str, in_population: bool) -> None:
    injury = b.condition(onsetDateTime=onset, recordedDate="2026-10-03T01:00:00+02:00")
    body = b.hook_request(drafts=[b.pt_order(**weeks(4))], patient=b.patient(birth), conditions=b.bundle(injury))
    assert bool(fired(client, body)) is in_population


@pytest.mark.parametrize(("clinical", "verification", "in_population"), [
    ({"text": "Active"}, None, True),
    ({"text": " active "}, None, True),
    ({"text": "Relapse"}, None, True),
    ({"text": "Resolved"}, None, False),
    ({"text": "Inactive"}, None, False),
    ({"text": "Active"}, {"text": "Entered in Error"}, False),
    ({"text": "Active"}, {"text": "Refuted"}, False),
    ({"text": "Active"}, {"text": "Confirmed"}, True),
    ({"coding": [{"code": "active"}]}, None, True),
    ({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "resolved"}],
      "text": "Active"}, None, False),  # the code decides over the text
])
def test_a_condition_status_sent_as_text_only(client: FlaskClient, clinical: dict[str, Any],
                                              verification: dict[str, Any] | None, in_population: bool) -> None:
    injury = b.condition()
    injury["clinicalStatus"] = clinical
    if verification is not None:
        injury["verificationStatus"] = verification
    body = b.hook_request(drafts=[b.pt_order(**weeks(4))], conditions=b.bundle(injury))
    assert bool(fired(client, body)) is in_population


def test_sessions_coded_in_text_only_count(client: FlaskClient) -> None:
    visits = b.sessions("2026-08-10", 14)
    for visit in visits:
        visit["code"] = {"text": "Physical therapy visit"}
    body = b.hook_request("patient-view", serviceRequests=b.bundle(prior_order(status="active", start="2026-08-10",
                                                                               end="2026-12-01")),
                          procedures=b.bundle(*visits),
                          observations=b.bundle(b.strength("2026-11-20", 80), b.outcome("2026-11-20", 60)))
    assert "HAM-12" in fired(client, body, VIEW)


def test_a_pain_score_dated_only_by_when_it_was_issued(client: FlaskClient) -> None:
    pain = {**b.without(b.pain_score("2026-11-22", 8), "effectiveDateTime"), "issued": "2026-11-22T10:00:00Z"}
    body = b.hook_request("patient-view", serviceRequests=b.bundle(prior_order(status="active", start="2026-11-02",
                                                                               end="2027-02-01")),
                          observations=b.bundle(pain))
    assert "HAM-13" in fired(client, body, VIEW)


def test_extensions_on_every_element_never_break_the_answer(client: FlaskClient) -> None:
    order = epic_order(**weeks(4))
    order["occurrenceTiming"]["extension"] = ext("timing")
    order["occurrenceTiming"]["repeat"]["_frequency"] = {"extension": ext("frequency")}
    order["orderDetail"][0]["extension"] = ext("detail")
    order["subject"] = {**b.SUBJECT, "extension": ext("subject")}
    order["modifierExtension"] = []
    med = ibuprofen(dosageInstruction=[{"timing": bid(), "extension": ext("sig"), "doseAndRate": ONE_TAB,
                                        "text": "Take 1 tablet by mouth twice daily with food"}], **tablets(60))
    med["_authoredOn"] = {"extension": ext("authored")}
    assert {"HAM-01", "HAM-02", "HAM-05"} <= fired(client, b.hook_request(drafts=[order, med]))


# (c) accepting every suggestion together ---------------------------------------------------------------------

def changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The top-level members an update changed (set, removed or replaced)."""
    keys = set(before) | set(after)
    return {k: after.get(k) for k in keys if before.get(k) != after.get(k)}


def accept_all(client: FlaskClient, body: dict[str, Any], service: str = SIGN,
               reverse: bool = False) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    cards = [c for c in answer(client, body, service) if c.get("suggestions")]
    after = body
    for card in reversed(cards) if reverse else cards:
        after = accept(after, card["suggestions"][0])
    return cards, after


def drafts_of(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{e['resource']['resourceType']}/{e['resource']['id']}": e["resource"]
            for e in body["context"]["draftOrders"]["entry"]}


def assert_no_suggestion_undoes_another(body: dict[str, Any], cards: list[dict[str, Any]],
                                        after: dict[str, Any]) -> None:
    """Every member an update changed still has its value once all suggestions are accepted."""
    original, final = drafts_of(body), drafts_of(after)
    for card in cards:
        for action in card["suggestions"][0]["actions"]:
            if action["type"] != "update":
                continue
            ref = f"{action['resource']['resourceType']}/{action['resource']['id']}"
            for key, value in changed(original[ref], action["resource"]).items():
                assert final[ref].get(key) == value, (card["source"]["topic"]["code"], key)


COMBINED = {
    "epic order, 4 weeks, no content": lambda: b.hook_request(drafts=[epic_order(content=[], **weeks(4))]),
    "continuation still short": lambda: b.hook_request(
        drafts=[{**b.pt_order(content=[], **weeks(4)), "basedOn": [{"reference": "ServiceRequest/pt-old"}]}],
        serviceRequests=b.bundle(prior_order(start="2026-11-05", end="2026-11-19")),
        procedures=b.bundle(*b.sessions("2026-11-05", 4, every_days=4))),
    "PT, Cerner ibuprofen and bed rest": lambda: b.hook_request(drafts=[
        b.pt_order(content=[{"text": "Nordic curls"}], **weeks(4, 1)),
        ibuprofen(dosageInstruction=[{"timing": bid(), "doseAndRate": ONE_TAB}], **tablets(60)),
        {"resourceType": "ServiceRequest", "id": "rest-1", "status": "draft", "intent": "order", "subject": b.SUBJECT,
         "code": {"coding": [{"system": b.SNOMED, "code": "710959006"}], "text": "Immobilization"},
         "occurrencePeriod": {"start": "2026-11-23", "end": "2026-11-30"}}]),
    "period with zones and partial end": lambda: b.hook_request(drafts=[b.pt_order(
        content=[], occurrencePeriod={"start": "2026-11-23T08:00:00-05:00", "end": "2026-12"})]),
    "count-only timing": lambda: b.hook_request(drafts=[b.pt_order(
        occurrenceTiming={"repeat": {"count": 6, "frequency": 2, "period": 1, "periodUnit": "wk"}})]),
    "text-only name with its own length": lambda: b.hook_request(drafts=[{
        **b.pt_order(content=[]), "code": {"text": "PT 2x/wk x 4 wks for L hamstring strain"}}]),
    "boundsPeriod with zones": lambda: b.hook_request(drafts=[b.pt_order(content=[], occurrenceTiming={"repeat": {
        "boundsPeriod": {"start": "2026-11-23T09:00:00-06:00", "end": "2026-12-21T09:00:00-06:00"},
        "frequency": 2, "period": 1, "periodUnit": "wk"}})]),
    "period and visits": lambda: b.hook_request(drafts=[b.pt_order(
        content=[], occurrencePeriod={"start": "2026-11-23", "end": "2026-12-21"},
        quantityQuantity={"value": 8, "unit": "visits"})]),
    "boundsRange 4-6 weeks": lambda: b.hook_request(drafts=[b.pt_order(occurrenceTiming={"repeat": {
        "boundsRange": {"low": {"value": 4, "unit": "wk", "system": b.UCUM, "code": "wk"},
                        "high": {"value": 6, "unit": "wk", "system": b.UCUM, "code": "wk"}},
        "frequency": 2, "period": 1, "periodUnit": "wk"}})]),
    "stop for pain, ibuprofen and immobilization": lambda: b.hook_request(drafts=[
        stop_draft(), ibuprofen(dosageInstruction=[{"timing": bid(), "doseAndRate": ONE_TAB}], **tablets(60)),
        {"resourceType": "ServiceRequest", "id": "rest-1", "status": "draft", "intent": "order", "subject": b.SUBJECT,
         "code": {"text": "Strict bed rest x 7 days"}}],
        procedures=b.bundle(*b.sessions("2026-10-26", 4))),
    "an evaluation and a short treatment order": lambda: b.hook_request(drafts=[
        {**b.pt_order("pt-eval", content=[]), "code": {"coding": [{"system": CPT, "code": "97162"}],
                                                       "text": "PT evaluation"}},
        {**b.pt_order("pt-2", content=[], **weeks(3)), "intent": "reflex-order"}]),
    "renewal by replaces, contained ibuprofen": lambda: b.hook_request(
        drafts=[renewal("Continue PT", replaces=[{"reference": "ServiceRequest/pt-old"}], **weeks(4)), {
            **b.without(ibuprofen(dosageInstruction=[{"timing": bid(), "doseAndRate": ONE_TAB}], **tablets(60)),
                        "medicationCodeableConcept"),
            "contained": [{"resourceType": "Medication", "id": "m1",
                           "code": {"coding": [{"system": RXNORM, "code": "5640"}], "text": "ibuprofen"}}],
            "medicationReference": {"reference": "#m1"}}],
        serviceRequests=b.bundle(prior_order(start="2026-11-02", end="2026-11-16")),
        procedures=b.bundle(*b.sessions("2026-11-02", 3))),
}


@pytest.mark.parametrize("reverse", [False, True], ids=["in order", "in reverse"])
@pytest.mark.parametrize("name", list(COMBINED))
def test_accepting_every_suggestion_clears_them_and_none_undoes_another(
        client: FlaskClient, name: str, reverse: bool) -> None:
    body = COMBINED[name]()
    cards, after = accept_all(client, body, reverse=reverse)
    assert len(cards) >= 1
    shown = {c["source"]["topic"]["code"] for c in cards}
    remaining = fired(client, after)
    assert not remaining & shown, f"still firing after accepting: {sorted(remaining & shown)}"
    assert not remaining - {c["source"]["topic"]["code"] for c in answer(client, body)}
    assert_no_suggestion_undoes_another(body, cards, after)


def progress(body: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    """What each draft plans: a therapy order's days, sessions and exercise content; an analgesic's days."""
    out: dict[str, tuple[Any, ...]] = {}
    for ref, raw in drafts_of(body).items():
        model = parse(raw, b.SUBJECT["reference"])
        if isinstance(model, ServiceRequest) and raw["id"].startswith("pt"):
            content = tuple(concept_set(c).has_text(" ".join(d.get("text", "") for d in raw.get("orderDetail", [])))
                            for c in ("eccentric-strengthening", "hip-trunk-strengthening", "motor-control"))
            out[ref] = (planned_days(model)[0] or 0, planned_sessions(model)[0] or 0, *content)
        elif isinstance(model, MedicationRequest):
            out[ref] = (-(course_days(model)[0] or 0),)
    return out


@pytest.mark.parametrize("name", list(COMBINED))
def test_accepting_one_card_at_a_time_across_calls_only_moves_forward(client: FlaskClient, name: str) -> None:
    """A clinician accepts one suggestion, the EHR calls again, and so on: every step keeps or improves
    what the earlier ones fixed (longer, more sessions, exercise work kept, shorter courses), and it ends."""
    body = COMBINED[name]()
    for _ in range(8):
        cards = [c for c in answer(client, body) if c.get("suggestions")]
        if not cards:
            break
        before = progress(body)
        body = accept(body, cards[0]["suggestions"][0])
        after = progress(body)
        for ref, values in before.items():
            if ref in after:
                assert all(a >= v for a, v in zip(after[ref], values, strict=True)), (cards[0]["source"], ref)
    else:
        pytest.fail("suggestions kept coming after 8 calls")


@pytest.mark.parametrize("name", ["PT 2x/wk x 4 wks for L hamstring strain", "PT 1x/wk x 6 wks", "PT BIW x 6 wks"])
def test_a_length_fixed_in_the_orders_name_stays_in_its_name(client: FlaskClient, name: str) -> None:
    """The fix rewrites the name's length and adds no Timing beside it: a Timing without a frequency would
    hide the sessions a week the name states, so HAM-02 could no longer judge the order."""
    body = b.hook_request(drafts=[{**b.pt_order(), "code": {"text": name}}])
    cards = {c["source"]["topic"]["code"]: c for c in answer(client, body)}
    fixed = accept(body, cards["HAM-01"]["suggestions"][0])
    order = drafts_of(fixed)["ServiceRequest/pt-1"]
    assert "12 weeks" in order["code"]["text"] and "occurrenceTiming" not in order
    model = parse(order, b.SUBJECT["reference"])
    assert isinstance(model, ServiceRequest) and (planned_sessions(model)[0] or 0) >= 12
    assert fired(client, fixed) == set()


@pytest.mark.parametrize(("text", "is_therapy"), [
    ("PT q2 weeks x 6 wks", True), ("PT q1wk x 6 wks", True), ("PT every other week x 6 wks", True),
    ("PT biweekly x 6 wks", True),
    ("Turn pt q2h", False), ("Reposition pt every 2 hours", False), ("pt q4h neuro checks", False),
    ("pt every other day dressing change", False), ("Weigh pt qwk", False),
])
def test_pt_with_a_weekly_interval_is_physical_therapy(client: FlaskClient, text: str, is_therapy: bool) -> None:
    order = {"resourceType": "ServiceRequest", "id": "sr-1", "status": "draft", "intent": "order",
             "subject": b.SUBJECT, "code": {"text": text}}
    assert ("HAM-01" in fired(client, b.hook_request(drafts=[order]))) is (is_therapy and "x 6 wks" in text)
    assert bool(fired(client, b.hook_request(drafts=[order]))) is is_therapy


@pytest.mark.parametrize("text", ["PT q2 weeks x 12 weeks", "PT every other week x 12 weeks"])
def test_sessions_every_other_week_are_too_few(client: FlaskClient, text: str) -> None:
    order = {**b.pt_order(), "code": {"text": text}}
    assert "HAM-02" in fired(client, b.hook_request(drafts=[order]))


def test_order_select_accepting_every_suggestion_leaves_the_unselected_draft_alone(client: FlaskClient) -> None:
    med = ibuprofen(dosageInstruction=[{"timing": bid(), "doseAndRate": ONE_TAB}], **tablets(60))
    body = b.hook_request("order-select", drafts=[epic_order(content=[], **weeks(4)), med],
                          selections=["ServiceRequest/pt-1"])
    cards, after = accept_all(client, body, SELECT)
    assert {c["source"]["topic"]["code"] for c in cards} == {"HAM-01", "HAM-02", "HAM-03", "HAM-04"}
    assert fired(client, after, SELECT) == set()
    assert drafts_of(after)["MedicationRequest/med-1"] == med
    assert_no_suggestion_undoes_another(body, cards, after)


def test_resuming_an_epic_program_revoked_for_pain_on_patient_view(client: FlaskClient) -> None:
    revoked = b.without(epic_order(), "occurrenceTiming")
    revoked.update(status="revoked", occurrencePeriod={"start": "2026-10-26", "end": "2027-01-17"},
                   note=[{"text": "Pt reports hamstring pain w/ exercises - D/C PT"}])
    body = b.hook_request("patient-view", serviceRequests=b.bundle(revoked),
                          procedures=b.bundle(*b.sessions("2026-10-26", 4)))
    cards = answer(client, body, VIEW)
    assert [c["source"]["topic"]["code"] for c in cards] == ["HAM-07"]
    after = accept(body, cards[0]["suggestions"][0])
    assert not {"HAM-01", "HAM-02", "HAM-03", "HAM-04", "HAM-07"} & fired(client, after, VIEW)


def test_an_accepted_fix_keeps_the_vendor_members_of_the_order(client: FlaskClient) -> None:
    body = b.hook_request(drafts=[epic_order(content=[], **weeks(4))])
    _, after = accept_all(client, body)
    order = drafts_of(after)["ServiceRequest/pt-1"]
    for member in ("contained", "reasonReference", "extension", "identifier", "code", "authoredOn"):
        assert order[member] == epic_order()[member], member


def test_an_accepted_fix_keeps_the_renewal_link(client: FlaskClient) -> None:
    body = COMBINED["continuation still short"]()
    _, after = accept_all(client, body)
    assert drafts_of(after)["ServiceRequest/pt-1"]["basedOn"] == [{"reference": "ServiceRequest/pt-old"}]


def test_an_accepted_analgesic_fix_leaves_a_sig_the_service_reads_as_short(client: FlaskClient) -> None:
    body = b.hook_request(drafts=[ibuprofen(dosageInstruction=[{"timing": bid(), "doseAndRate": ONE_TAB}],
                                            **tablets(60))])
    cards, after = accept_all(client, body)
    assert [c["source"]["topic"]["code"] for c in cards] == ["HAM-05"]
    med = drafts_of(after)["MedicationRequest/med-1"]
    assert med["dosageInstruction"][0]["timing"]["code"] == bid()["code"]  # the sig's frequency kept
    assert "HAM-05" not in fired(client, after)


def test_order_select_of_a_renewal_with_its_prior_order_among_the_drafts(client: FlaskClient) -> None:
    """Only the renewal is selected; an unselected draft is not on record and lends it no weeks."""
    other = b.pt_order("pt-other", **weeks(8))
    body = b.hook_request("order-select", drafts=[renewal(), other], selections=["ServiceRequest/pt-1"])
    assert "HAM-01" in fired(client, body, SELECT)
