"""FHIR -> program facts for issue 15 section 1: evaluation-only orders, continuation wording, and drafts that
stop physical therapy because of pain, however abbreviated (fhir_mappings/therapy.py)."""

from __future__ import annotations

from typing import Any

import pytest

from cards.facts import ClinicalFacts
from cds_service.pipeline import data_for
from fhir_mappings.facts import build_facts
from fhir_mappings.order_text import is_physical_therapy
from fhir_mappings.therapy import is_evaluation_only
from fhir_mappings.therapy_stops import stop_reason, stopped_for_pain, stops_therapy
from tests.builders import AS_OF, PATIENT_ID, SUBJECT, bundle, pt_order, pt_session, weekly

CPT = "http://www.ama-assn.org/go/cpt"
SCT = "http://snomed.info/sct"
PT_CODING = [{"system": SCT, "code": "91251008", "display": "Physical therapy procedure"}]


def request(text: str | None = None, coding: list[dict[str, str]] | None = None, **extra: Any) -> dict[str, Any]:
    code: dict[str, Any] = {}
    if coding:
        code["coding"] = coding
    if text:
        code["text"] = text
    return {"resourceType": "ServiceRequest", "id": "sr-1", "status": "draft", "intent": "order", "subject": SUBJECT,
            "code": code, **extra}


def notes(*texts: str) -> dict[str, Any]:
    return {"note": [{"text": t} for t in texts]}


def facts(*drafts: dict[str, Any], **prefetch: Any) -> ClinicalFacts:
    return build_facts(data_for(hook="order-sign", patient_id=PATIENT_ID, draft_orders=drafts,
                                prefetch={k: bundle(*v) for k, v in prefetch.items()}), AS_OF)


# Evaluation-only orders -----------------------------------------------------------------------------

@pytest.mark.parametrize("order", [
    request(coding=[{"system": CPT, "code": "97161", "display": "PT EVAL LOW COMPLEX 20 MIN"}]),
    request(coding=[{"system": CPT, "code": "97162"}]),
    request(coding=[{"system": CPT, "code": "97163"}], quantityQuantity={"value": 1, "unit": "visit"}),
    request("PT eval"),
    request("PT eval - R hamstring strain", PT_CODING),
    request("Physical therapy evaluation", PT_CODING),
    request("Physiotherapy assessment only"),
    request("Physical therapy initial evaluation only", PT_CODING),
    request("PT eval, no treatment today", PT_CODING),
    request(coding=PT_CODING, **notes("Initial eval only; plan of care to follow")),
], ids=lambda o: o["code"].get("text") or o["code"]["coding"][0]["code"])
def test_evaluation_only_orders_are_not_programs(order: dict[str, Any]) -> None:
    assert is_physical_therapy(order) and is_evaluation_only(order)
    plans = facts(order).therapy_plans
    assert plans and plans[0].evaluation_only and facts(order).current_therapy_plans == ()


@pytest.mark.parametrize("order", [
    request("PT eval and treat", PT_CODING),
    request("PT eval & tx 2x/wk x 6 wks"),
    request("PT E&T"),
    request("Physical therapy: evaluate and treat"),
    request("PT eval/treat"),
    request("PT evaluation and treatment", PT_CODING),
    request(coding=[{"system": CPT, "code": "97161"}, {"system": CPT, "code": "97110"}]),
    request("PT eval", PT_CODING, orderDetail=[{"text": "Nordic hamstring exercise"}]),
    request("PT re-eval and continue PT 2x/week"),
    request("Physical therapy 2x/week; re-eval in 4 weeks", PT_CODING),
    request(coding=PT_CODING),
], ids=lambda o: o["code"].get("text") or o["code"]["coding"][-1]["code"])
def test_evaluate_and_treat_orders_are_programs(order: dict[str, Any]) -> None:
    assert is_physical_therapy(order) and not is_evaluation_only(order)
    assert facts({**order, **weekly(12)}).current_therapy_plans


def test_a_recorded_evaluation_marks_the_start_of_care_but_ends_no_program() -> None:
    evaluation = request(coding=[{"system": CPT, "code": "97161"}], status="completed",
                         occurrenceDateTime="2026-10-01")
    f = facts(pt_order("pt-2", **weekly(6)), serviceRequests=[evaluation])
    assert f.therapy_plans[1].evaluation_only and not f.program_ended
    patient_view = build_facts(data_for(hook="patient-view", patient_id=PATIENT_ID,
                                        prefetch={"serviceRequests": bundle(evaluation)}), AS_OF)
    assert not patient_view.program_ended


# Continuation wording -------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "says"), [
    ("PT continuation 2x/wk x 6 wks", True), ("Recert: PT 2x/week", True), ("PT re-certification", True),
    ("Continue PT 2x/week x 6 weeks", True), ("Extension of PT authorization", True), ("cont PT x 4 wks", True),
    ("Physical therapy 2x/week", False), ("Hip extension strengthening", False), ("PT not to continue", False),
])
def test_continuation_wording_is_recognised(text: str, says: bool) -> None:
    plan = facts(pt_order("pt-1", content=[{"text": text}], **weekly(6))).therapy_plans[0]
    assert plan.states_continuation is says


# Stopping PT because of pain ------------------------------------------------------------------------

STOPS = [
    request("D/C PT d/t pain"), request("DC PT due to pain"), request("d/c'd PT d/t intolerance"),
    request("PT - D/C due to pain"), request("PT: discontinue, not tolerating"),
    request("Physical therapy: discontinue (pain)"), request("Discontinue outpatient PT due to pain"),
    request("discontinuing physio 2/2 pain"), request("Cancel remaining PT visits d/t pain"),
    request("Stop formal physio secondary to increased hamstring pain"), request("Hold PT for pain"),
    request(coding=PT_CODING, **notes("D/C d/t pain")),
    request(coding=PT_CODING, **notes("Discontinue - pt not tolerating")),
    request(coding=PT_CODING, orderDetail=[{"text": "D/C 2/2 intolerance"}]),
    request("Discontinue", PT_CODING, reasonCode=[{"text": "Pain"}]),
    request(coding=PT_CODING, reasonCode=[{"coding": [{"system": SCT, "code": "78514002"}]}], **notes("d/c")),
    request("Terminate physical therapy", PT_CODING),
    request("Pause PT due to pain flare"), request("PT on hold d/t pain"), request("Withhold physio 2/2 intolerance"),
    request("Physiotherapy postponed"),
]


@pytest.mark.parametrize("order", STOPS, ids=lambda o: o["code"].get("text") or str(o.get("note") or o["orderDetail"]))
def test_drafts_that_stop_therapy_are_stops_not_programs(order: dict[str, Any]) -> None:
    assert stops_therapy(order)
    f = facts(order)
    assert [s.ref for s in f.therapy_stops] == ["ServiceRequest/sr-1"] and f.current_therapy_plans == ()


@pytest.mark.parametrize("order", [
    request(coding=PT_CODING, **notes("D/C when goals met")),  # no reason: planning language
    request("D/C pt home tomorrow"),  # the patient's discharge
    pt_order("pt-1", note=[{"text": "Stop Nordics d/t pain, continue isometrics"}], **weekly(12)),  # a program
    pt_order("pt-1", note=[{"text": "Stop exercise if pain > 5/10"}], **weekly(12)),
    request("D/C ibuprofen d/t GI pain"),
    request(coding=PT_CODING, **notes("Do not D/C PT d/t pain; reduce the load instead")),
])
def test_other_stop_words_do_not_stop_therapy(order: dict[str, Any]) -> None:
    assert not stops_therapy(order)


@pytest.mark.parametrize(("order", "for_pain", "reason"), [
    (request("D/C PT d/t pain"), True, "D/C PT d/t pain"),
    (request("D/C PT", **notes("PT d/c'd - posterior thigh pain during exercises")), True,
     "PT d/c'd - posterior thigh pain during exercises"),
    (request(coding=PT_CODING, reasonCode=[{"text": "Exercise intolerance"}], **notes("Discontinue")), True,
     "Exercise intolerance"),
    (request("D/C PT", **notes("Goals met, pain-free with sprinting")), False, "Goals met, pain-free with sprinting"),
    (request("D/C PT", **notes("No pain; moving away")), False, "No pain; moving away"),
    (request("Discharge from physiotherapy"), False, None),
    (request("D/C PT - pt c/o increased hamstring pain with exercise"), True,
     "D/C PT - pt c/o increased hamstring pain with exercise"),
    (request("Stop PT", **notes("Reports pain-free running; goals met")), False,
     "Reports pain-free running; goals met"),
])
def test_the_stated_reason_and_whether_it_is_pain(order: dict[str, Any], for_pain: bool, reason: str | None) -> None:
    assert stopped_for_pain(order) is for_pain and stop_reason(order) == reason
    (stop,) = facts(order).therapy_stops
    assert stop.for_pain is for_pain and stop.reason == reason


def test_a_completed_program_stopped_for_pain_is_stopped_not_completed() -> None:
    stopped = pt_order("pt-1", status="completed", note=[{"text": "D/C'd d/t pain with Nordics"}], **weekly(3))
    done = pt_order("pt-2", status="completed", note=[{"text": "Discharged from PT, goals met"}],
                    reasonCode=[{"text": "Hamstring pain"}], **weekly(12))
    indication = pt_order("pt-3", status="completed", note=[{"text": "PT for hamstring pain; discharged, goals met"}],
                          **weekly(12))
    plans = {p.ref: p for p in facts(serviceRequests=[stopped, done, indication],
                                     procedures=[pt_session("2026-10-01")]).therapy_plans}
    assert plans["ServiceRequest/pt-1"].stopped and plans["ServiceRequest/pt-1"].stopped_for_pain
    assert not plans["ServiceRequest/pt-2"].stopped and not plans["ServiceRequest/pt-3"].stopped


@pytest.mark.parametrize(("text", "is_pt"), [
    ("PT eval and treat", True), ("Outpatient PT 2x/week", True), ("PT 2x/wk x 6 wks", True), ("Continue PT", True),
    ("Physio for hamstring", True), ("Pt to follow up in clinic", False), ("Physiological saline", False),
])
def test_pt_abbreviations_name_physical_therapy_only_in_order_phrases(text: str, is_pt: bool) -> None:
    assert is_physical_therapy(request(text)) is is_pt
