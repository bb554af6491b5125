"""Orders for another problem (issue 15 §1): an analgesic or a referral whose reason or body site is not the
hamstring is not a hamstring analgesic course (HAM-05) nor a consult for it (HAM-10, HAM-11, HAM-12); one
that names no problem, or the hamstring, still counts. Also: which referrals count as HAM-11's consult."""

from __future__ import annotations

from typing import Any

import pytest

from cards.facts import ClinicalFacts
from cds_service.pipeline import data_for
from fhir_mappings.facts import build_facts
from fhir_mappings.indications import reason_verdict
from tests import builders as b
from tests.builders import AS_OF, SUBJECT

ICD = "http://hl7.org/fhir/sid/icd-10-cm"
RX = "http://www.nlm.nih.gov/research/umls/rxnorm"
KNEE_OA = b.condition(code="M17.11", text="Unilateral primary osteoarthritis, right knee", cid="cond-knee-oa")
HIP_OA = b.condition(code="M16.12", text=None, cid="cond-hip-oa")
STRAIN = b.condition()  # Condition/cond-1, S76.311A right hamstring strain
AVULSION = b.condition(code="S32.611A", text="Displaced avulsion fracture of right ischium", cid="cond-avulsion")


def facts(drafts: tuple[dict[str, Any], ...], *conditions: dict[str, Any], hook: str = "order-sign",
          **prefetch: Any) -> ClinicalFacts:
    values = {"patient": b.patient(), "conditions": b.bundle(*(conditions or (STRAIN,))), **prefetch}
    return build_facts(data_for(hook=hook, patient_id=b.PATIENT_ID, draft_orders=drafts, prefetch=values), AS_OF)


def naproxen(**reasons: Any) -> dict[str, Any]:
    """Naproxen sodium 220 mg tablets for 14 days, with the given reason members."""
    return {"resourceType": "MedicationRequest", "id": "med-1", "status": "draft", "intent": "order",
            "subject": SUBJECT, "medicationCodeableConcept": {"coding": [
                {"system": RX, "code": "849574", "display": "Naproxen sodium 220 MG Oral Tablet"}]},
            "dispenseRequest": {"expectedSupplyDuration": {"value": 14, "unit": "days", "code": "d",
                                                           "system": b.UCUM}}, **reasons}


# What a reason names ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("concept", "verdict"), [
    ({"text": "Right hamstring strain"}, "hamstring"),
    ({"text": "Pain in the back of the thigh"}, "hamstring"),
    ({"text": "Knee flexor strain"}, "hamstring"),
    ({"coding": [{"system": ICD, "code": "S76.312A"}]}, "hamstring"),
    ({"coding": [{"system": ICD, "code": "M79.651"}]}, "hamstring"),            # pain in right thigh
    ({"coding": [{"system": b.SNOMED, "code": "48532005", "display": "Muscle strain"}]}, "hamstring"),
    ({"text": "Osteoarthritis of right knee"}, "other"),
    ({"text": "Knee OA"}, "other"),
    ({"text": "Primary osteoarthritis of left hip"}, "other"),                  # a joint disease, not the site
    ({"text": "Rheumatoid arthritis"}, "other"),
    ({"text": "Gout"}, "other"),
    ({"text": "Arthritis pain"}, "other"),
    ({"text": "Low back pain"}, "other"),
    ({"text": "Tension headache"}, "other"),
    ({"text": "Rotator cuff tear, right shoulder"}, "other"),
    ({"coding": [{"system": ICD, "code": "M17.11"}]}, "other"),                 # coded only, not hamstring
    ({"coding": [{"system": ICD, "code": "M17.11", "display": "Unilateral primary osteoarthritis, right knee"}],
      "text": "Pain"}, "other"),
    ({"text": "Pain"}, ""),
    ({"text": "Acute pain"}, ""),
    ({"text": "Pain in right hip"}, ""),
    ({"text": "Post-operative pain"}, ""),
    ({"text": "Sports injury, left thigh"}, ""),
    ({"text": "  "}, ""),
    ({}, ""),
])
def test_what_a_reason_names(concept: dict[str, Any], verdict: str) -> None:
    assert reason_verdict(concept) == verdict


# Analgesics (HAM-05) ---------------------------------------------------------------------------------

def ref(condition: dict[str, Any], form: str = "relative") -> dict[str, Any]:
    cid = condition["id"]
    return {"reference": {"relative": f"Condition/{cid}", "absolute": f"https://ehr.example.org/fhir/Condition/{cid}",
                          "versioned": f"Condition/{cid}/_history/3", "uuid": f"urn:uuid:{cid}"}[form]}


@pytest.mark.parametrize("form", ["relative", "absolute", "versioned", "uuid"])
def test_naproxen_for_a_knee_osteoarthritis_condition_is_not_a_hamstring_course(form: str) -> None:
    assert facts((naproxen(reasonReference=[ref(KNEE_OA, form)]),), STRAIN, KNEE_OA).analgesic_orders == ()


@pytest.mark.parametrize(("reasons", "counted"), [
    ({}, True),                                                                    # no reason: as before
    ({"reasonReference": [ref(STRAIN)]}, True),
    ({"reasonReference": [ref(HIP_OA)]}, False),                                   # coded M16.12 only
    ({"reasonReference": [ref(KNEE_OA), ref(STRAIN)]}, True),                      # one reason is ours
    ({"reasonReference": [{"reference": "Condition/not-in-prefetch"}]}, True),     # nothing known of it
    ({"reasonReference": [{"reference": "Condition/gone", "display": "Knee osteoarthritis"}]}, False),
    ({"reasonCode": [{"text": "Osteoarthritis of knee"}]}, False),
    ({"reasonCode": [{"text": "Right hamstring strain"}]}, True),
    ({"reasonCode": [{"text": "Pain"}]}, True),
    ({"reasonCode": [{"text": "Gouty arthritis, left great toe"}]}, False),
    ({"dosageInstruction": [{"asNeededCodeableConcept": {"text": "knee pain"}}]}, False),
    ({"dosageInstruction": [{"asNeededCodeableConcept": {"text": "pain"}}]}, True),
])
def test_which_reasons_leave_the_course_a_hamstring_course(reasons: dict[str, Any], counted: bool) -> None:
    found = facts((naproxen(**reasons),), STRAIN, KNEE_OA, HIP_OA).analgesic_orders
    assert ([o.duration_days for o in found] == [14]) is counted


def test_a_contained_condition_is_resolved() -> None:
    contained = b.condition(code="X", system="urn:local", text="Osteoarthritis, both knees", cid="oa")
    order = naproxen(contained=[contained], reasonReference=[{"reference": "#oa"}])
    assert facts((order,)).analgesic_orders == ()


def test_patient_view_judges_the_reason_of_active_orders_too() -> None:
    active = naproxen(status="active", reasonReference=[ref(KNEE_OA)])
    assert facts((), STRAIN, KNEE_OA, hook="patient-view", medicationRequests=b.bundle(active)).analgesic_orders == ()


# Referrals (HAM-10, HAM-11, HAM-12) ------------------------------------------------------------------

def surgeon(**extra: Any) -> dict[str, Any]:
    return b.referral("ref-1", "308481009", status="draft") | extra


@pytest.mark.parametrize(("extra", "counted"), [
    ({}, True),
    ({"bodySite": [{"text": "Right shoulder"}]}, False),
    ({"bodySite": [{"coding": [{"system": b.SNOMED, "code": "68367000", "display": "Thigh structure"}]}]}, True),
    ({"bodySite": [{"coding": [{"system": b.SNOMED, "code": "24028007", "display": "Right"}]}]}, True),
    ({"reasonCode": [{"text": "Full-thickness supraspinatus tear"}]}, False),
    ({"reasonCode": [{"text": "Proximal hamstring avulsion"}]}, True),
    ({"reasonReference": [{"reference": "Condition/cond-avulsion"}]}, True),
    ({"reasonReference": [{"reference": "Condition/cond-knee-oa"}]}, False),
    ({"code": {"text": "Orthopaedic surgeon referral - right shoulder"}}, False),
    ({"note": [{"text": "Please assess the right shoulder: recurrent dislocation"}]}, False),
    ({"note": [{"text": "Proximal hamstring avulsion on MRI; knee pain settled"}]}, True),
    ({"reasonReference": [{"reference": "Condition/cond-avulsion"}], "note": [{"text": "Also a sore shoulder"}]},
     True),                                                                        # the reason decides
])
def test_which_referrals_are_for_the_hamstring(extra: dict[str, Any], counted: bool) -> None:
    found = facts((b.pt_order(**b.weekly(13)), surgeon(**extra)), STRAIN, AVULSION, KNEE_OA).referrals
    assert (found != ()) is counted


def test_a_referral_on_record_for_another_problem_is_left_out() -> None:
    shoulder = b.referral("ref-shoulder", "308481009", reasonCode=[{"text": "Right shoulder impingement"}])
    assert facts((), STRAIN, hook="patient-view", serviceRequests=b.bundle(shoulder)).referrals == ()


@pytest.mark.parametrize(("code", "text", "orthopaedic", "surgical"), [
    ("183545006", None, True, False),                  # referral to orthopedic service
    ("308481009", None, True, True),                   # orthopedic surgeon
    ("306180006", None, False, True),                  # surgical service
    (None, "Referral to sports surgery clinic", False, True),
    (None, "Ortho referral", True, False),
    (None, "Sports medicine consult", False, False),
])
def test_orthopaedic_and_surgical_referrals(code: str | None, text: str | None, orthopaedic: bool,
                                            surgical: bool) -> None:
    (found,) = facts((b.referral("r", code, text=text, status="draft"),)).referrals
    assert (found.is_orthopaedic, found.is_surgical) == (orthopaedic, surgical)
