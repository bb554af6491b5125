"""Test builders: small FHIR R4 resources and hook requests, with only what a test cares about."""

from __future__ import annotations

import copy
import uuid
from datetime import date, timedelta
from typing import Any

PATIENT_ID = "pat-1"
SUBJECT = {"reference": f"Patient/{PATIENT_ID}"}
AS_OF = date(2026, 11, 23)
UCUM = "http://unitsofmeasure.org"


def patient(birth_date: str = "1990-06-15", pid: str = PATIENT_ID) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "birthDate": birth_date}


def condition(code: str = "S76.311A", system: str = "http://hl7.org/fhir/sid/icd-10-cm", clinical: str = "active",
              verification: str = "confirmed", text: str | None = "Right hamstring strain", cid: str = "cond-1",
              **extra: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Condition", "id": cid, "subject": SUBJECT,
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                       "code": clinical}]},
        "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                           "code": verification}]},
        "code": {"coding": [{"system": system, "code": code}]},
    }
    if text:
        resource["code"]["text"] = text
    resource.update(extra)
    return resource


FULL_PROGRAM = [{"text": "Eccentric strengthening: Nordic hamstring exercise, progressive loading"},
                {"text": "Hip and trunk strengthening including gluteus medius"},
                {"text": "Single-leg motor control exercises"}]


def pt_order(sid: str = "pt-1", status: str = "draft", content: list[dict[str, Any]] | None = None,
             **occurrence: Any) -> dict[str, Any]:
    """A physical-therapy ServiceRequest naming eccentric, hip/trunk and motor-control work (pass
    `content=[]` for an order that names none); occurrence/quantity members as keyword arguments."""
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest", "id": sid, "status": status, "intent": "order", "subject": SUBJECT,
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "91251008",
                             "display": "Physical therapy procedure"}]},
    }
    program = FULL_PROGRAM if content is None else content
    if program:
        resource["orderDetail"] = list(program)
    resource.update(occurrence)
    return resource


def weekly(weeks: float, per_week: int = 2) -> dict[str, Any]:
    """occurrenceTiming: `per_week` sessions a week for `weeks` weeks."""
    return {"occurrenceTiming": {"repeat": {
        "boundsDuration": {"value": weeks, "unit": "weeks", "system": UCUM, "code": "wk"},
        "frequency": per_week, "period": 1, "periodUnit": "wk"}}}


def pt_session(day: str, pid: str | None = None, code: str = "97110",
               system: str = "http://www.ama-assn.org/go/cpt", status: str = "completed") -> dict[str, Any]:
    return {"resourceType": "Procedure", "id": pid or f"proc-{day}", "status": status, "subject": SUBJECT,
            "code": {"coding": [{"system": system, "code": code}]}, "performedDateTime": day}


def bundle(*resources: dict[str, Any], type_: str | None = "searchset") -> dict[str, Any]:
    out: dict[str, Any] = {"resourceType": "Bundle", "entry": [{"resource": r} for r in resources]}
    if type_:
        out["type"] = type_
    return out


def hook_request(hook: str = "order-sign", drafts: list[dict[str, Any]] | None = None,
                 selections: list[str] | None = None, **prefetch: Any) -> dict[str, Any]:
    """A hook request whose prefetch holds every key: given ones, the in-population defaults, else null."""
    context: dict[str, Any] = {"userId": "Practitioner/pr-1", "patientId": PATIENT_ID}
    if hook in ("order-sign", "order-select"):
        context["draftOrders"] = bundle(*(drafts or []), type_="collection")
    if hook == "order-select":
        context["selections"] = selections or [f"{d['resourceType']}/{d['id']}" for d in drafts or []]
    values: dict[str, Any] = {"patient": patient(), "conditions": bundle(condition()), "observations": None,
                              "procedures": None, "serviceRequests": None, "medicationRequests": None,
                              "assessments": None, "questionnaireResponses": None, "encounterDiagnoses": None}
    values.update(prefetch)
    return {"hook": hook, "hookInstance": str(uuid.uuid4()), "context": context, "prefetch": values}


def without(mapping: dict[str, Any], *keys: str) -> dict[str, Any]:
    out = copy.deepcopy(mapping)
    for key in keys:
        out.pop(key, None)
    return out


# HAM-08..13: observations, referrals, clearances, repairs
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
SITE_PROM = "http://example.org/fhir/CodeSystem/prom"


def pain_score(day: str, value: float | None, oid: str | None = None, code: str | None = "72514-3",
               text: str | None = None, as_quantity: bool = False, **extra: Any) -> dict[str, Any]:
    """A 0-10 pain rating: valueInteger by default, valueQuantity {score} when `as_quantity`."""
    concept: dict[str, Any] = {"coding": [{"system": LOINC, "code": code}]} if code else {}
    if text:
        concept["text"] = text
    resource: dict[str, Any] = {"resourceType": "Observation", "id": oid or f"pain-{day}", "status": "final",
                                "subject": SUBJECT, "code": concept, "effectiveDateTime": day}
    if value is not None and as_quantity:
        resource["valueQuantity"] = {"value": value, "unit": "{score}", "system": UCUM, "code": "{score}"}
    elif value is not None:
        resource["valueInteger"] = value
    resource.update(extra)
    return resource


def sport_pain(day: str, value: float, oid: str | None = None) -> dict[str, Any]:
    """Pain rated during sport-specific movement: a LOINC pain code with the context in its text."""
    return pain_score(day, value, oid or f"sport-pain-{day}", text="Pain with sport-specific movement (NPRS)")


def outcome(day: str, value: float | None = None, oid: str | None = None, system: str = LOINC,
            code: str | None = "72094-6", text: str | None = None) -> dict[str, Any]:
    concept: dict[str, Any] = {"coding": [{"system": system, "code": code}]} if code else {}
    if text:
        concept["text"] = text
    resource: dict[str, Any] = {"resourceType": "Observation", "id": oid or f"prom-{day}", "status": "final",
                                "subject": SUBJECT, "code": concept, "effectiveDateTime": day}
    if value is not None:
        resource["valueQuantity"] = {"value": value, "unit": "{score}", "system": UCUM, "code": "{score}"}
    return resource


def strength(day: str, percent: float, oid: str | None = None, unit: str = "%") -> dict[str, Any]:
    """Injured-side knee flexor strength as a percentage of the other side (no LOINC code: text only)."""
    return {"resourceType": "Observation", "id": oid or f"strength-{day}", "status": "final", "subject": SUBJECT,
            "code": {"text": "Knee flexor strength limb symmetry index"}, "effectiveDateTime": day,
            "valueQuantity": {"value": percent, "unit": unit, "system": UCUM, "code": unit}}


def referral(sid: str = "ref-1", code: str | None = "183545006", text: str | None = None,
             status: str = "active", authored: str | None = None, **extra: Any) -> dict[str, Any]:
    concept: dict[str, Any] = {"coding": [{"system": SNOMED, "code": code}]} if code else {}
    if text:
        concept["text"] = text
    resource: dict[str, Any] = {"resourceType": "ServiceRequest", "id": sid, "status": status, "intent": "order",
                                "subject": SUBJECT, "code": concept}
    if authored:
        resource["authoredOn"] = authored
    resource.update(extra)
    return resource


def return_to_sport(sid: str = "rts-1", status: str = "draft", text: str = "Return to sport clearance",
                    **extra: Any) -> dict[str, Any]:
    """A return-to-sport order: no standard code exists, so text only, as EHRs send it."""
    return referral(sid, code=None, text=text, status=status, **extra)


def repair(day: str = "2026-10-01", code: str = "0LML0ZZ", status: str = "completed") -> dict[str, Any]:
    return {"resourceType": "Procedure", "id": f"repair-{day}", "status": status, "subject": SUBJECT,
            "code": {"coding": [{"system": "http://www.cms.gov/Medicare/Coding/ICD10", "code": code}]},
            "performedDateTime": day}


def sessions(first: str, count: int, every_days: int = 7) -> list[dict[str, Any]]:
    """`count` completed PT sessions, one every `every_days` days from `first`."""
    start = date.fromisoformat(first)
    return [pt_session((start + timedelta(days=every_days * i)).isoformat()) for i in range(count)]


def stop_order(note: str | None = None, reason: str | None = None, status: str = "draft") -> dict[str, Any]:
    """A physical-therapy ServiceRequest whose note and reasonCode text say how and why it stops."""
    order: dict[str, Any] = {"resourceType": "ServiceRequest", "id": "dc-1", "status": status, "intent": "order",
                             "subject": SUBJECT, "code": {"text": "Physical therapy"}}
    if note is not None:
        order["note"] = [{"text": note}]
    if reason is not None:
        order["reasonCode"] = [{"text": reason}]
    return order
