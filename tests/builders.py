"""Test builders: small FHIR R4 resources and hook requests, with only what a test cares about."""

from __future__ import annotations

import copy
import uuid
from datetime import date
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


def pt_order(sid: str = "pt-1", status: str = "draft", **occurrence: Any) -> dict[str, Any]:
    """A physical-therapy ServiceRequest; pass occurrence/quantity members as keyword arguments."""
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest", "id": sid, "status": status, "intent": "order", "subject": SUBJECT,
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "91251008",
                             "display": "Physical therapy procedure"}]},
    }
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
                              "procedures": None, "serviceRequests": None, "medicationRequests": None}
    values.update(prefetch)
    return {"hook": hook, "hookInstance": str(uuid.uuid4()), "context": context, "prefetch": values}


def without(mapping: dict[str, Any], *keys: str) -> dict[str, Any]:
    out = copy.deepcopy(mapping)
    for key in keys:
        out.pop(key, None)
    return out
