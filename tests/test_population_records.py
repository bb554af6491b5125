"""Issue 14 §2, population: an encounter diagnosis without clinicalStatus recorded within the episode, and a
hamstring diagnosis given only as a physical-therapy order's reason, place the patient in the population."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from cards.engine import evaluate
from cds_service.pipeline import data_for
from fhir_mappings.facts import build_facts
from tests import builders as b
from tests.builders import AS_OF, SNOMED
from tests.clinical import GUIDELINE
from tests.validation import assert_valid_r4_actions

ICD = "http://hl7.org/fhir/sid/icd-10-cm"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
WINDOW_DAYS = GUIDELINE.file.population.encounter_diagnosis_days
NOT_HAMSTRING = b.condition(code="M25.551", text="Pain in right hip", cid="cond-hip")


def day(days_before: int) -> str:
    return (AS_OF - timedelta(days=days_before)).isoformat()


def encounter_diagnosis(cid: str = "enc-dx-1", recorded: str | None = None, category: str = "encounter-diagnosis",
                        system: str | None = CATEGORY, **extra: Any) -> dict[str, Any]:
    """A visit diagnosis as EHRs send it: category encounter-diagnosis, no clinicalStatus."""
    resource = b.condition(code="S76.312A", text="Strain of left hamstring, initial encounter", cid=cid, **extra)
    del resource["clinicalStatus"]
    coding = {"code": category, **({"system": system} if system else {})}
    resource["category"] = [{"coding": [coding]}]
    if recorded:
        resource["recordedDate"] = recorded
    return resource


def facts(*conditions: dict[str, Any], drafts: tuple[dict[str, Any], ...] = (), window: int | None = WINDOW_DAYS,
          **prefetch: Any) -> Any:
    values = {"patient": b.patient(), "conditions": b.bundle(*conditions), **prefetch}
    data = data_for(hook="order-sign" if drafts else "patient-view", patient_id=b.PATIENT_ID, draft_orders=drafts,
                    prefetch=values)
    return build_facts(data, AS_OF, window)


def inside(*conditions: dict[str, Any], **kwargs: Any) -> bool:
    return evaluate(facts(*conditions, **kwargs), GUIDELINE).in_population


# Encounter diagnoses without clinicalStatus ----------------------------------------------------------------

@pytest.mark.parametrize(("resource", "counts"), [
    (encounter_diagnosis(recorded=day(0)), True),
    (encounter_diagnosis(recorded=day(WINDOW_DAYS)), True),             # at the edge of the window
    (encounter_diagnosis(recorded=day(WINDOW_DAYS + 1)), False),        # one day before it
    (encounter_diagnosis(recorded=day(-1)), False),                      # recorded after the evaluation date
    (encounter_diagnosis(recorded=f"{day(3)}T14:30:00-05:00"), True),
    (encounter_diagnosis(onsetDateTime=day(20)), True),                  # no recordedDate: its onset
    (encounter_diagnosis(onsetPeriod={"start": day(WINDOW_DAYS + 30)}), False),
    (encounter_diagnosis(recorded=day(WINDOW_DAYS + 5), onsetDateTime=day(2)), False),  # recordedDate decides
    (encounter_diagnosis(), False),                                       # undated: no guess
    (encounter_diagnosis(recorded=day(3), system=None), True),           # category code without its system
    (encounter_diagnosis(recorded=day(3), system="http://example.org/local-category"), False),
    (encounter_diagnosis(recorded=day(3), category="problem-list-item"), False),  # a problem needs a status
    (encounter_diagnosis(recorded=day(3), verification="refuted"), False),
    (encounter_diagnosis(recorded=day(3), verification="entered-in-error"), False),
    (encounter_diagnosis(recorded=day(3), abatementDateTime=day(1)), False),
    (encounter_diagnosis(recorded=day(3), abatementString="resolved with rest"), False),
])
def test_encounter_diagnosis_without_clinical_status(resource: dict[str, Any], counts: bool) -> None:
    assert inside(NOT_HAMSTRING, encounterDiagnoses=b.bundle(resource)) is counts


@pytest.mark.parametrize("status", ["resolved", "inactive", "remission"])
def test_an_encounter_diagnosis_recorded_as_over_never_counts(status: str) -> None:
    resource = encounter_diagnosis(recorded=day(3))
    resource["clinicalStatus"] = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                              "code": status}]}
    assert inside(NOT_HAMSTRING, encounterDiagnoses=b.bundle(resource)) is False


def test_without_the_guideline_window_no_encounter_diagnosis_counts() -> None:
    recent = b.bundle(encounter_diagnosis(recorded=day(3)))
    assert inside(NOT_HAMSTRING, encounterDiagnoses=recent, window=None) is False


def test_a_condition_in_both_prefetch_keys_counts_once() -> None:
    active = b.condition(cid="dx-1", category=[{"coding": [{"system": CATEGORY, "code": "encounter-diagnosis"}]}])
    found = facts(active, encounterDiagnoses=b.bundle(active)).hamstring_injuries
    assert [(i.ref, i.basis) for i in found] == [("Condition/dx-1", "condition")]


def test_encounter_diagnosis_basis_is_recorded() -> None:
    found = facts(NOT_HAMSTRING, encounterDiagnoses=b.bundle(encounter_diagnosis(recorded=day(3)))).hamstring_injuries
    assert [(i.ref, i.basis) for i in found] == [("Condition/enc-dx-1", "encounter-diagnosis")]


# A hamstring diagnosis given only as a PT order's reason -----------------------------------------------------

def pt(status: str = "draft", **reason: Any) -> dict[str, Any]:
    return b.pt_order("pt-1", status=status, **b.weekly(13), **reason)


def coded(code: str, system: str = ICD, text: str | None = None) -> dict[str, Any]:
    concept: dict[str, Any] = {"coding": [{"system": system, "code": code}]}
    if text:
        concept["text"] = text
    return concept


@pytest.mark.parametrize(("reason", "counts"), [
    ({"reasonCode": [coded("S76.312A")]}, True),
    ({"reasonCode": [coded("S76.311D")]}, True),                       # subsequent encounter: rehab
    ({"reasonCode": [coded("481000119104", SNOMED)]}, True),
    ({"reasonCode": [{"text": "Left hamstring strain"}]}, True),       # text only
    ({"reasonCode": {"text": "Right hamstring strain"}}, True),        # one object where R4 has an array
    ({"reasonCode": [{"text": "Low back pain"}, coded("S76.319A")]}, True),
    ({"reasonCode": [{"text": "No hamstring injury; low back pain"}]}, False),  # negated
    ({"reasonCode": [{"text": "Rule out hamstring strain"}]}, False),           # uncertain
    ({"reasonCode": [coded("M79.651", text="Pain in right thigh")]}, False),
    ({"reasonCode": [coded("S76.011A", text="Strain of right hip muscle")]}, False),
    ({"reasonReference": [{"reference": "Condition/ref-dx"}]}, True),
    ({"reasonReference": [{"reference": "https://ehr.example.org/fhir/Condition/ref-dx/_history/2"}]}, True),
    ({"reasonReference": [{"reference": "Condition/ref-dx-resolved"}]}, False),
    ({"reasonReference": [{"reference": "Condition/back", "display": "Hamstring strain"}]}, False),  # held: judged
    ({"reasonReference": [{"reference": "Condition/elsewhere", "display": "Right hamstring strain"}]}, True),
    ({"reasonReference": [{"reference": "Condition/elsewhere", "display": "Low back pain"}]}, False),
    ({}, False),
])
def test_reason_of_a_draft_pt_order(reason: dict[str, Any], counts: bool) -> None:
    referenced = encounter_diagnosis("ref-dx", category="problem-list-item")     # no status: the order dates it
    resolved = b.condition(cid="ref-dx-resolved", clinical="resolved")
    back = b.condition(code="M25.552", text="Pain in left hip", cid="back")
    prefetch = {"encounterDiagnoses": b.bundle(referenced, resolved, back)}
    assert inside(NOT_HAMSTRING, drafts=(pt(**reason),), **prefetch) is counts


@pytest.mark.parametrize(("status", "counts"), [
    ("active", True), ("completed", False), ("revoked", False), ("on-hold", False), ("draft", False),
])
def test_reason_of_a_recorded_pt_order_counts_while_it_is_active(status: str, counts: bool) -> None:
    order = pt(status, reasonCode=[coded("S76.312D")])
    assert inside(NOT_HAMSTRING, serviceRequests=b.bundle(order)) is counts


def test_reason_of_a_draft_that_is_not_physical_therapy_does_not_count() -> None:
    referral = b.referral("ref-1", status="draft", reasonCode=[coded("S76.312A")])
    assert inside(NOT_HAMSTRING, drafts=(referral,)) is False


def test_draft_entered_in_error_does_not_count() -> None:
    assert inside(NOT_HAMSTRING, drafts=(pt("entered-in-error", reasonCode=[coded("S76.312A")]),)) is False


def test_order_reason_injury_is_listed_after_the_conditions_on_record() -> None:
    found = facts(b.condition(), drafts=(pt(reasonCode=[coded("S76.312A", text="Left hamstring strain")]),))
    assert [(i.ref, i.basis, i.label) for i in found.hamstring_injuries] == [
        ("Condition/cond-1", "condition", "Right hamstring strain"), (None, "order-reason", "Left hamstring strain")]


def test_a_reference_to_a_condition_already_counted_is_not_listed_twice() -> None:
    found = facts(b.condition(), drafts=(pt(reasonReference=[{"reference": "Condition/cond-1"}]),))
    assert [i.ref for i in found.hamstring_injuries] == ["Condition/cond-1"]


SIGN = "/cds-services/hamstring-rehab-order-sign"


def test_high_grade_reason_without_a_condition_fires_ham11_with_a_valid_referral(client: FlaskClient) -> None:
    order = pt(reasonCode=[coded("S32.612A", text="Avulsion fracture of left ischium")])
    body = b.hook_request("order-sign", [order], conditions=b.bundle(NOT_HAMSTRING))
    response = client.post(SIGN, json=body)
    assert response.status_code == 200, response.get_json()
    cards = response.get_json()["cards"]
    card = next(c for c in cards if c["source"]["topic"]["code"] == "HAM-11")
    assert_valid_r4_actions(card)
    created = card["suggestions"][0]["actions"][0]["resource"]
    assert "reasonReference" not in created  # no Condition to point to


def test_out_of_population_without_any_of_the_three(client: FlaskClient) -> None:
    body = b.hook_request("order-sign", [pt(reasonCode=[{"text": "Low back pain"}])],
                          conditions=b.bundle(NOT_HAMSTRING),
                          encounterDiagnoses=b.bundle(encounter_diagnosis(recorded=day(WINDOW_DAYS + 1))))
    assert client.post(SIGN, json=body).get_json() == {"cards": []}
