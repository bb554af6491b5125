"""Benchmark request bodies: a typical order-sign call (~20 resources, ~25 KB) and a large one
(2,000 Observations, ~1.2 MB). Deterministic, so every run measures the same bytes."""

from __future__ import annotations

import json
import random
import uuid
from datetime import date, timedelta
from typing import Any

PATIENT = "bench-pat-1"
SUBJECT = {"reference": f"Patient/{PATIENT}"}
LOINC = "http://loinc.org"
START = date(2026, 8, 1)
NARRATIVE = ("Patient reports posterior thigh pain after sprinting; tolerating progressive loading. "
             "Reviewed home exercise program and activity modification. ") * 3


def _text(resource: dict[str, Any]) -> dict[str, Any]:
    resource["text"] = {"status": "generated",
                        "div": f"<div xmlns=\"http://www.w3.org/1999/xhtml\">{NARRATIVE}</div>"}
    resource["meta"] = {"lastUpdated": "2026-11-20T10:00:00Z", "versionId": "3",
                        "source": "#ehr-bench", "profile": ["http://hl7.org/fhir/us/core/StructureDefinition/x"]}
    return resource


def observation(i: int, code: str, display: str, value: float, day: date, narrative: bool = True) -> dict[str, Any]:
    return (_text if narrative else dict)({
        "resourceType": "Observation", "id": f"obs-{i}", "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                  "code": "survey" if code == "72514-3" else "vital-signs"}]}],
        "code": {"coding": [{"system": LOINC, "code": code, "display": display}], "text": display},
        "subject": SUBJECT, "effectiveDateTime": f"{day.isoformat()}T09:30:00Z",
        "valueQuantity": {"value": value, "unit": "{score}" if code == "72514-3" else "/min",
                          "system": "http://unitsofmeasure.org", "code": "{score}" if code == "72514-3" else "/min"},
    })


def base_resources() -> list[dict[str, Any]]:
    patient = _text({"resourceType": "Patient", "id": PATIENT, "birthDate": "1992-03-14", "gender": "male",
                     "name": [{"family": "Bench", "given": ["Casey"]}],
                     "address": [{"line": ["1 Main St"], "city": "Springfield", "postalCode": "12345"}]})
    conditions = [_text({
        "resourceType": "Condition", "id": f"cond-{i}", "subject": SUBJECT,
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                       "code": "active"}]},
        "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                           "code": "confirmed"}]},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": code}], "text": text},
        "onsetDateTime": "2026-08-01"}) for i, (code, text) in enumerate(
        [("S76.311D", "Strain of right hamstring, subsequent encounter"), ("J30.9", "Allergic rhinitis")])]
    procedures = [_text({
        "resourceType": "Procedure", "id": f"proc-{i}", "status": "completed", "subject": SUBJECT,
        "code": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "97110"}],
                 "text": "Therapeutic exercise"},
        "performedDateTime": (START + timedelta(days=3 * i)).isoformat()}) for i in range(6)]
    requests = [_text({
        "resourceType": "MedicationRequest", "id": "med-1", "status": "active", "intent": "order",
        "subject": SUBJECT, "medicationCodeableConcept": {"coding": [{
            "system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "310965",
            "display": "Ibuprofen 200 MG Oral Tablet"}]},
        "dosageInstruction": [{"text": "1 tablet every 8 hours as needed"}]})]
    pain = [observation(i, "72514-3", "Pain severity 0-10", 6 - i % 3, START + timedelta(days=4 * i))
            for i in range(8)]
    return [patient, *conditions, *procedures, *requests, *pain]


def draft_orders() -> dict[str, Any]:
    pt = _text({
        "resourceType": "ServiceRequest", "id": "draft-pt-1", "status": "draft", "intent": "order",
        "subject": SUBJECT, "authoredOn": "2026-11-23",
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "91251008",
                             "display": "Physical therapy procedure"}], "text": "Physical therapy"},
        "occurrenceTiming": {"repeat": {"boundsDuration": {"value": 6, "unit": "weeks",
                                                          "system": "http://unitsofmeasure.org", "code": "wk"},
                                        "frequency": 1, "period": 1, "periodUnit": "wk"}},
        "note": [{"text": "Hamstring strain rehabilitation"}]})
    med = _text({
        "resourceType": "MedicationRequest", "id": "draft-med-1", "status": "draft", "intent": "order",
        "subject": SUBJECT, "medicationCodeableConcept": {"coding": [{
            "system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "849574",
            "display": "Naproxen sodium 220 MG Oral Tablet"}]},
        "dispenseRequest": {"expectedSupplyDuration": {"value": 14, "unit": "days",
                                                       "system": "http://unitsofmeasure.org", "code": "d"}}})
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": pt}, {"resource": med}]}


def _bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "total": len(resources),
            "entry": [{"fullUrl": f"urn:uuid:{uuid.UUID(int=i)}", "resource": r, "search": {"mode": "match"}}
                      for i, r in enumerate(resources)]}


def order_sign(extra_observations: int = 0) -> dict[str, Any]:
    resources = base_resources()
    rng = random.Random(7)
    extra = [observation(100 + i, "8867-4", "Heart rate", rng.randint(55, 90),
                         START + timedelta(hours=6 * i), narrative=False)
             for i in range(extra_observations)]
    by_type = {t: [r for r in resources if r["resourceType"] == t]
               for t in ("Condition", "Observation", "Procedure", "ServiceRequest", "MedicationRequest")}
    return {
        "hook": "order-sign", "hookInstance": str(uuid.UUID(int=42)),
        "context": {"userId": "Practitioner/pr-1", "patientId": PATIENT, "draftOrders": draft_orders()},
        "prefetch": {"patient": resources[0], "conditions": _bundle(by_type["Condition"]),
                     "observations": _bundle(by_type["Observation"] + extra),
                     "procedures": _bundle(by_type["Procedure"]), "serviceRequests": _bundle([]),
                     "medicationRequests": _bundle(by_type["MedicationRequest"])},
    }


def for_patient(body: dict[str, Any], number: int) -> bytes:
    """`body` as the EHR would send it for another patient: the patient's id, every reference to it and
    every resource id are its own (the codes, units and values are the same)."""
    text = json.dumps(body).replace(PATIENT, f"bench-pat-{number}")
    return text.replace('"id": "', f'"id": "p{number}-').encode()


def with_free_text(body: dict[str, Any], number: int) -> bytes:
    """`body` with what clinicians write in free text, as a patient not seen before: the draft PT order's
    details, note and instruction, an imaging report on the hamstring condition and a note on each pain
    score, every text naming this call's `number` (so no text has been read before: none is cached)."""
    body = json.loads(for_patient(body, number))
    resources = [e["resource"] for key in ("conditions", "observations") for e in body["prefetch"][key]["entry"]]
    pt = body["context"]["draftOrders"]["entry"][0]["resource"]
    pt["orderDetail"] = [{"text": f"Askling L-protocol: extender, diver, glider; Nordics from week {number}"},
                         {"text": "Hip and trunk: glute med, Copenhagen plank, dead bugs"},
                         {"text": "Single-leg balance and pelvic control drills"}]
    pt["note"] = [{"text": f"Avoid sprinting for now; bed rest not advised. Review in {number} days; should "
                           "symptoms persist, consider sports medicine referral."}]
    pt["patientInstruction"] = f"Nordic curls {number % 5 + 2}x6 if pain allows; no complete rest."
    for resource in resources:
        if resource["resourceType"] == "Condition" and resource["code"]["coding"][0]["code"].startswith("S76"):
            resource["note"] = [{"text": f"MRI (ref {number}): tendons intact, no avulsion or retraction; grade 1 "
                                         "strain of the biceps femoris. Previous avulsion on the other side, "
                                         "repaired 2019."}]
        elif resource["resourceType"] == "Observation" and resource["code"]["coding"][0]["code"] == "72514-3":
            resource["note"] = [{"text": f"Pain with sprinting at {number % 40 + 50}% effort"}]
    return json.dumps(body).encode()


TYPICAL = order_sign()
LARGE = order_sign(extra_observations=2000 - 8)

if __name__ == "__main__":
    for name, body in (("typical", TYPICAL), ("large", LARGE)):
        print(name, len(json.dumps(body).encode()), "bytes")
