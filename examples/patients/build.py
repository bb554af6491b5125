"""Writes the sample patients: FHIR R4 transaction bundles plus the draft orders an EHR would send.

Run from the repository root: python examples/patients/build.py
Each patient is one guideline situation with realistic background (other problems, vitals, earlier
medications). `index.json` says, per patient, which hook to call, with which draft orders, at which
date, and which criteria should fire; tests load the bundles into a real FHIR server and check it.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
AS_OF = date(2026, 11, 23)
UCUM = "http://unitsofmeasure.org"
SCT = "http://snomed.info/sct"
LOINC = "http://loinc.org"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
CPT = "http://www.ama-assn.org/go/cpt"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def day(offset: int) -> str:
    return (AS_OF + timedelta(days=offset)).isoformat()


class PatientBuilder:
    def __init__(self, key: str, given: str, family: str, birth: str, gender: str):
        self.key = key
        self.pid = f"ham-{key}"
        self.resources: list[dict[str, Any]] = [{
            "resourceType": "Patient", "id": self.pid, "active": True, "gender": gender, "birthDate": birth,
            "name": [{"use": "official", "family": family, "given": [given]}],
            "identifier": [{"system": "urn:hamstring-rehab-cds:sample-mrn", "value": f"MRN-{key.upper()}"}],
        }]
        self.count = 0

    @property
    def subject(self) -> dict[str, str]:
        return {"reference": f"Patient/{self.pid}"}

    def _id(self, kind: str) -> str:
        self.count += 1
        return f"{self.pid}-{kind}-{self.count}"

    def add(self, resource: dict[str, Any]) -> dict[str, Any]:
        self.resources.append(resource)
        return resource

    def condition(self, system: str, code: str, text: str, onset: int, clinical: str = "active",
                  **extra: Any) -> None:
        self.add({"resourceType": "Condition", "id": self._id("cond"), "subject": self.subject,
                  "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                                 "code": clinical}]},
                  "verificationStatus": {"coding": [{
                      "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]},
                  "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                            "code": "problem-list-item"}]}],
                  "code": {"coding": [{"system": system, "code": code, "display": text}], "text": text},
                  "onsetDateTime": day(onset), "recordedDate": day(onset + 1), **extra})

    def hamstring_strain(self, onset: int = -30) -> None:
        self.condition(ICD, "S76.311A", "Strain of muscle, fascia and tendon of the posterior muscle group at "
                       "thigh level, right thigh, initial encounter", onset)

    def background(self) -> None:
        self.condition(ICD, "J30.9", "Allergic rhinitis, unspecified", -2000)
        self.condition(ICD, "M54.50", "Low back pain, unspecified", -900, clinical="resolved")
        for offset in (-60, -30, -10):
            self.add({"resourceType": "Observation", "id": self._id("bp"), "status": "final",
                      "subject": self.subject, "effectiveDateTime": day(offset) + "T09:15:00Z",
                      "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                                "code": "vital-signs"}]}],
                      "code": {"coding": [{"system": LOINC, "code": "8867-4", "display": "Heart rate"}]},
                      "valueQuantity": {"value": 64 + offset % 7, "unit": "/min", "system": UCUM, "code": "/min"}})

    def pain(self, offset: int, score: int) -> None:
        self.add({"resourceType": "Observation", "id": self._id("pain"), "status": "final", "subject": self.subject,
                  "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                            "code": "survey"}]}],
                  "code": {"coding": [{"system": LOINC, "code": "72514-3",
                                       "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported"}]},
                  "effectiveDateTime": day(offset) + "T10:00:00Z", "valueInteger": score})

    def outcome_score(self, offset: int, value: float) -> None:
        self.add({"resourceType": "Observation", "id": self._id("hoos"), "status": "final", "subject": self.subject,
                  "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                            "code": "survey"}]}],
                  "code": {"coding": [{"system": LOINC, "code": "72094-6", "display": "Sport-recreation score [HOOS]"}]},
                  "effectiveDateTime": day(offset) + "T10:05:00Z",
                  "valueQuantity": {"value": value, "unit": "{score}", "system": UCUM, "code": "{score}"}})

    def sessions(self, offsets: list[int]) -> None:
        for offset in offsets:
            self.add({"resourceType": "Procedure", "id": self._id("pt"), "status": "completed",
                      "subject": self.subject,
                      "code": {"coding": [{"system": CPT, "code": "97110", "display": "Therapeutic exercise"}],
                               "text": "Therapeutic exercise, hamstring rehabilitation"},
                      "performedDateTime": day(offset) + "T14:00:00Z"})

    def pt_order(self, status: str, weeks: int, per_week: int, start: int, content: bool = True,
                 sid: str | None = None) -> dict[str, Any]:
        order: dict[str, Any] = {
            "resourceType": "ServiceRequest", "id": sid or self._id("ptorder"), "status": status,
            "intent": "order", "subject": self.subject, "authoredOn": day(start - 1),
            "code": {"coding": [{"system": SCT, "code": "91251008", "display": "Physical therapy procedure"}],
                     "text": "Physical therapy, hamstring rehabilitation"},
            "reasonCode": [{"text": "Right hamstring strain"}],
            "occurrenceTiming": {"repeat": {
                "boundsDuration": {"value": weeks, "unit": "weeks", "system": UCUM, "code": "wk"},
                "frequency": per_week, "period": 1, "periodUnit": "wk"}},
        }
        if content:
            order["orderDetail"] = [
                {"text": "Eccentric strengthening: Nordic hamstring exercise with progressive loading"},
                {"text": "Hip and trunk strengthening including gluteus medius"},
                {"text": "Single-leg motor control and pelvic stability exercises"}]
        return order

    def medication(self, status: str, rxnorm: str, display: str, days: int, mid: str | None = None) -> dict[str, Any]:
        return {"resourceType": "MedicationRequest", "id": mid or self._id("med"), "status": status,
                "intent": "order", "subject": self.subject, "authoredOn": day(0),
                "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": rxnorm, "display": display}],
                                              "text": display},
                "dosageInstruction": [{"text": "1 tablet by mouth every 8 hours as needed for pain",
                                       "timing": {"repeat": {"frequency": 3, "period": 1, "periodUnit": "d"}},
                                       "asNeededBoolean": True}],
                "dispenseRequest": {"expectedSupplyDuration": {"value": days, "unit": "days", "system": UCUM,
                                                               "code": "d"}}}

    def transaction(self) -> dict[str, Any]:
        return {"resourceType": "Bundle", "type": "transaction", "entry": [
            {"fullUrl": f"urn:uuid:{r['id']}", "resource": r,
             "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}} for r in self.resources]}


def drafts(*orders: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": o} for o in orders]}


def build() -> dict[str, dict[str, Any]]:
    index: dict[str, dict[str, Any]] = {}

    def keep(p: PatientBuilder, hook: str, description: str, draft: dict[str, Any] | None = None) -> None:
        (HERE / f"{p.key}.json").write_text(json.dumps(p.transaction(), indent=1) + "\n")
        entry: dict[str, Any] = {"patientId": p.pid, "hook": hook, "asOf": AS_OF.isoformat(),
                                 "description": description}
        if draft is not None:
            (HERE / f"{p.key}.draft.json").write_text(json.dumps(draft, indent=1) + "\n")
            entry["draftOrders"] = f"{p.key}.draft.json"
        index[p.key] = entry

    p = PatientBuilder("short-pt-order", "Maya", "Okafor", "1994-02-11", "female")
    p.background(); p.hamstring_strain(-10); p.pain(-10, 6); p.pain(-3, 5)
    keep(p, "order-sign", "Sprinter, 10 days after a right hamstring strain; PT ordered for 4 weeks at 2 a week.",
         drafts(p.pt_order("draft", 4, 2, 1, sid=f"{p.pid}-draft-pt")))

    p = PatientBuilder("too-few-sessions", "Daniel", "Reyes", "1988-07-30", "male")
    p.background(); p.hamstring_strain(-20); p.pain(-20, 5); p.pain(-6, 4); p.outcome_score(-6, 55)
    p.add(p.pt_order("active", 16, 1, -14) | {"occurrenceTiming": {"repeat": {
        "boundsDuration": {"value": 16, "unit": "weeks", "system": UCUM, "code": "wk"},
        "frequency": 1, "period": 2, "periodUnit": "wk"}}})
    p.sessions([-14])
    keep(p, "patient-view", "Active PT plan over 16 weeks but only one session a fortnight (8 sessions).")

    p = PatientBuilder("nsaid-14-days", "Priya", "Natarajan", "1990-11-03", "female")
    p.background(); p.hamstring_strain(-5); p.pain(-5, 7)
    keep(p, "order-sign", "Acute strain; naproxen ordered for 14 days alongside a compliant PT plan.",
         drafts(p.pt_order("draft", 13, 2, 1, sid=f"{p.pid}-draft-pt"),
                p.medication("draft", "849574", "Naproxen sodium 220 MG Oral Tablet", 14, mid=f"{p.pid}-draft-med")))

    p = PatientBuilder("bed-rest", "Tom", "Lindqvist", "1983-05-19", "male")
    p.background(); p.hamstring_strain(-2); p.pain(-2, 8)
    keep(p, "order-sign", "Two days after injury; bed rest ordered for 7 days.", drafts({
        "resourceType": "ServiceRequest", "id": f"{p.pid}-draft-rest", "status": "draft", "intent": "order",
        "subject": p.subject, "authoredOn": day(0),
        "code": {"text": "Bed rest"}, "occurrencePeriod": {"start": day(0), "end": day(6)},
        "note": [{"text": "Strict bed rest, no weight bearing on the right leg"}]}))

    p = PatientBuilder("high-grade-avulsion", "Aisha", "Bello", "1979-09-08", "female")
    p.background()
    p.condition(SCT, "415749005", "Complete proximal hamstring tendon avulsion, right", -7,
                severity={"coding": [{"system": SCT, "code": "24484000", "display": "Severe"}]})
    p.condition(ICD, "S76.311A", "Strain of right hamstring, initial encounter", -7)
    p.pain(-7, 8)
    keep(p, "order-sign", "Waterskiing injury; MRI shows complete proximal avulsion; only PT is being ordered.",
         drafts(p.pt_order("draft", 13, 2, 1, sid=f"{p.pid}-draft-pt")))

    p = PatientBuilder("no-improvement-3-weeks", "Lucas", "Moreau", "1996-01-25", "male")
    p.background(); p.hamstring_strain(-28)
    p.add(p.pt_order("active", 13, 2, -21))
    p.sessions([-21, -18, -14, -11, -7, -4])
    for offset, score in ((-21, 6), (-14, 6), (-7, 6), (-1, 5)):
        p.pain(offset, score)
    p.outcome_score(-21, 40); p.outcome_score(-1, 41)
    keep(p, "patient-view", "Three weeks of supervised PT; pain 6 -> 5; no specialist referral yet.")

    p = PatientBuilder("compliant-plan", "Sofia", "Esposito", "1992-06-14", "female")
    p.background(); p.hamstring_strain(-6); p.pain(-6, 6); p.pain(-1, 4); p.outcome_score(-1, 60)
    keep(p, "order-sign", "13-week supervised plan with eccentric, hip and motor-control work; 5 days of ibuprofen.",
         drafts(p.pt_order("draft", 13, 2, 1, sid=f"{p.pid}-draft-pt"),
                p.medication("draft", "310965", "Ibuprofen 200 MG Oral Tablet", 5, mid=f"{p.pid}-draft-med")))

    p = PatientBuilder("out-of-population", "Walter", "Hughes", "1954-03-02", "male")
    p.background(); p.hamstring_strain(-10); p.pain(-10, 6)
    keep(p, "order-sign", "72-year-old with a hamstring strain: outside the guideline's population.",
         drafts(p.pt_order("draft", 4, 2, 1, sid=f"{p.pid}-draft-pt", content=False)))
    return index


if __name__ == "__main__":
    built = build()
    index_path = HERE / "index.json"
    expected = json.loads(index_path.read_text()) if index_path.exists() else {}
    for key, entry in built.items():
        entry["expectedCriteria"] = expected.get(key, {}).get("expectedCriteria")
    index_path.write_text(json.dumps(built, indent=2) + "\n")
    print(f"wrote {len(built)} patients to {HERE}")
