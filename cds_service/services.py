"""The three CDS services this deployment offers, and their prefetch templates.

Templates use only `{{context.patientId}}` (CDS Hooks 2.0 prefetch tokens) and are narrowed to what
the criteria read: observation and procedure searches list the codes of the concept sets the
criteria match on. 2.0 templates cannot express "the last N days", so searches sort newest first and
bound the count; the criteria apply their own date windows.

Measures without a standard code (strength symmetry, LEFS, HAGOS and iHOT under site codes) cannot be
searched by code: `assessments` asks for survey, exam and therapy Observations; outcome instruments
recorded as QuestionnaireResponses come in `questionnaireResponses`; encounter diagnoses, which often
carry no clinicalStatus and so are not in `conditions`, in `encounterDiagnoses`. These three keys are
OPTIONAL_KEYS: an EHR that neither sends nor lets the service fetch them is answered from the rest
(logged), as before they existed, rather than refused with 412.
"""

from __future__ import annotations

from dataclasses import dataclass

from fhir_mappings.terminology import concept_set

PATIENT = "{{context.patientId}}"


# Concept sets whose codes (site codes included) the observation and procedure searches list.
OBSERVATION_SETS = ("pain-score", "outcome-measure", "sport-movement-pain", "strength-symmetry")
PROCEDURE_SETS = ("physical-therapy", "hamstring-repair")


def _codes(*sets: str) -> str:
    return ",".join(token for name in sets for token in concept_set(name).search_tokens())


def prefetch_templates() -> dict[str, str]:
    return {
        "patient": f"Patient/{PATIENT}",
        "conditions": f"Condition?patient={PATIENT}&clinical-status=active,recurrence,relapse",
        "observations": f"Observation?patient={PATIENT}&code={_codes(*OBSERVATION_SETS)}"
                        "&_sort=-date&_count=100",
        "procedures": f"Procedure?patient={PATIENT}&code={_codes(*PROCEDURE_SETS)}&_sort=-date&_count=100",
        "serviceRequests": f"ServiceRequest?patient={PATIENT}&_sort=-authored&_count=100",
        "medicationRequests": f"MedicationRequest?patient={PATIENT}&status=active&_count=100",
        "assessments": f"Observation?patient={PATIENT}&category=survey,exam,therapy&_sort=-date&_count=100",
        "questionnaireResponses": f"QuestionnaireResponse?patient={PATIENT}&status=completed,amended"
                                  "&_sort=-authored&_count=50",
        "encounterDiagnoses": f"Condition?patient={PATIENT}&category=encounter-diagnosis"
                              "&_sort=-recorded-date&_count=50",
    }


OPTIONAL_KEYS = frozenset({"assessments", "questionnaireResponses", "encounterDiagnoses"})


USAGE = ("FHIR R4 only. Needs the patient, active conditions, pain and outcome-score observations, "
         "physical-therapy procedures, service requests and active medication requests: in prefetch, or "
         "fetched from fhirServer (which must be on the service's allow-list) with fhirAuthorization. "
         "Reads too, when given or fetchable: survey, exam and therapy observations (strength, LEFS), "
         "outcome questionnaire responses and encounter diagnoses.")


@dataclass(frozen=True)
class Service:
    id: str
    hook: str
    title: str
    description: str

    def definition(self, prefetch: dict[str, str]) -> dict[str, object]:
        return {"hook": self.hook, "id": self.id, "title": self.title, "description": self.description,
                "usageRequirements": USAGE, "prefetch": prefetch}


SERVICES: dict[str, Service] = {
    s.id: s
    for s in (
        Service("hamstring-rehab-order-sign", "order-sign", "Hamstring rehabilitation: order check",
                "Checks physical-therapy, analgesic, rest and referral orders being signed for a patient with "
                "hamstring pain against the hamstring rehabilitation guideline, with one-click fixes."),
        Service("hamstring-rehab-order-select", "order-select", "Hamstring rehabilitation: order advice",
                "Advises on the orders just selected for a patient with hamstring pain, before signing."),
        Service("hamstring-rehab-patient-view", "patient-view", "Hamstring rehabilitation: care review",
                "Reviews the current hamstring rehabilitation plan when a patient's chart is opened."),
    )
}
