"""Issue 14 §2, measurement shapes EHRs send: pain in a panel's component, as valueInteger or valueString,
pain for another body site, strength symmetry as a ratio, outcome instruments as QuestionnaireResponses,
and the optional prefetch keys that ask for them."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import responses
from flask.testing import FlaskClient

from cards.facts import TherapySessions
from fhir_mappings.monitoring import monitoring_facts
from fhir_mappings.observations import measurements
from fhir_mappings.questionnaires import questionnaire_outcomes
from fhir_mappings.record import patient_record, reads
from tests.builders import LOINC, SNOMED, SUBJECT, UCUM, bundle, hook_request, pt_order
from tests.conftest import FHIR

SINCE, AS_OF = date(2026, 10, 1), date(2026, 11, 23)
SUBJECT_REF = "Patient/pat-1"


def obs(oid: str, code: dict[str, Any], day: str = "2026-11-20", **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": oid, "status": "final", "subject": SUBJECT, "code": code,
            "effectiveDateTime": day, **extra}


PAIN = {"coding": [{"system": LOINC, "code": "72514-3",
                    "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported"}]}
PAIN_SNOMED = {"coding": [{"system": SNOMED, "code": "225908003", "display": "Pain score"}]}


def pains(*resources: dict[str, Any]) -> list[float]:
    return [p.value for p in measurements(reads(resources, SUBJECT_REF), SINCE, AS_OF).pain]


@pytest.mark.parametrize(("resource", "values"), [
    (obs("p1", PAIN, valueInteger=8), [8.0]),
    (obs("p2", PAIN, valueString="8"), [8.0]),
    (obs("p3", PAIN, valueString=" 7/10 "), [7.0]),
    (obs("p4", PAIN, valueString="6.5"), [6.5]),
    (obs("p5", PAIN, valueString="severe"), []),
    (obs("p6", PAIN, valueString="11"), []),
    (obs("p7", PAIN, valueString="-3"), []),
    (obs("p8", {"text": "Pain assessment panel"}, component=[
        {"code": {"text": "Pain location"}, "valueString": "right posterior thigh"},
        {"code": PAIN, "valueInteger": 7}]), [7.0]),
    (obs("p9", {"coding": [{"system": LOINC, "code": "38208-5"}]}, component=[
        {"code": PAIN_SNOMED, "valueQuantity": {"value": 9, "unit": "{score}", "system": UCUM, "code": "{score}"}}]),
     [9.0]),
    (obs("p10", {"text": "Vital signs panel"}, component=[{"code": PAIN, "valueString": "4"}]), [4.0]),
    (obs("p11", {"text": "Vital signs panel"}, component=[{"code": {"text": "Heart rate"}, "valueInteger": 80}]),
     []),
])
def test_pain_scores_in_every_value_shape(resource: dict[str, Any], values: list[float]) -> None:
    assert pains(resource) == values


@pytest.mark.parametrize(("site", "counted"), [
    ({"coding": [{"system": SNOMED, "code": "68367000", "display": "Thigh structure"}]}, True),
    ({"coding": [{"system": SNOMED, "code": "7771000", "display": "Left"}]}, True),       # laterality only
    ({"text": "Right hamstring"}, True),
    ({"text": "Posterior thigh above the knee"}, True),
    ({"text": "Left knee"}, False),
    ({"text": "Lower back"}, False),
    ({"coding": [{"system": SNOMED, "code": "72696002", "display": "Knee region structure"}]}, False),
    ({"text": "Right shoulder"}, False),
    ({"text": "Anterior thigh (quadriceps)"}, False),
    ({"coding": [{"system": SNOMED, "code": "12345678"}]}, True),                        # unknown code: no guess
])
def test_pain_for_another_body_site_is_not_hamstring_pain(site: dict[str, Any], counted: bool) -> None:
    assert pains(obs("p", PAIN, valueInteger=8, bodySite=site)) == ([8.0] if counted else [])


def test_pain_for_another_site_named_only_in_the_code_text() -> None:
    assert pains(obs("p", {"text": "Knee pain score (NPRS)"}, valueInteger=8)) == []
    assert pains(obs("p", {"text": "Hamstring pain score (NPRS)"}, valueInteger=8)) == [8.0]


def strength_obs(value: Any, unit: str | None, **extra: Any) -> dict[str, Any]:
    resource = obs("s", {"text": "Knee flexor strength limb symmetry index"}, **extra)
    if unit is not None:
        resource["valueQuantity"] = {"value": value, "unit": unit, "system": UCUM, "code": unit}
    return resource


@pytest.mark.parametrize(("resource", "values"), [
    (strength_obs(85, "%"), [85.0]),
    (strength_obs(0.85, "1"), [85.0]),
    (strength_obs(1.02, "1"), [102.0]),
    (strength_obs(0.9, "{ratio}"), [90.0]),
    (strength_obs(85, "1"), []),                       # not a ratio: a percent with the wrong unit
    (strength_obs(85, "N"), []),
    (strength_obs(None, None, valueString="78 %"), [78.0]),
    (obs("s", {"text": "Isokinetic testing"}, component=[
        {"code": {"text": "Hamstring strength LSI"}, "valueQuantity": {"value": 0.8, "unit": "1", "code": "1"}}]),
     [80.0]),
])
def test_strength_symmetry_as_percent_or_ratio(resource: dict[str, Any], values: list[float]) -> None:
    assert [m.value for m in measurements(reads([resource], SUBJECT_REF), SINCE, AS_OF).strength] == values


def qr(qid: str, questionnaire: str | None, authored: str = "2026-11-16", status: str = "completed",
       items: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "QuestionnaireResponse", "id": qid, "status": status,
                                "subject": SUBJECT, "authored": authored, **extra}
    if questionnaire:
        resource["questionnaire"] = questionnaire
    if items is not None:
        resource["item"] = items
    return resource


TOTAL = [{"linkId": "1", "text": "Item 1", "answer": [{"valueInteger": 3}]},
         {"linkId": "total", "text": "Total score", "answer": [{"valueDecimal": 62.5}]}]


@pytest.mark.parametrize(("resource", "expected"), [
    (qr("q1", "http://example.org/fhir/Questionnaire/hagos|2.0", items=TOTAL), (62.5, "hagos")),
    (qr("q2", "https://example.org/Questionnaire/iHOT-12", items=TOTAL), (62.5, "iHOT-12")),
    (qr("q3", "http://example.org/Questionnaire/ihot33"), (None, "ihot33")),
    (qr("q4", "http://example.org/Questionnaire/lower-extremity-functional-scale",
        items=[{"linkId": "lefs-score", "answer": [{"valueInteger": 54}]}]),
     (54.0, "lower-extremity-functional-scale")),
    (qr("q5", "urn:uuid:0b6b3bfa-6d1c-4a8e-9d1f-1e3c1f3a4b5c",
        _questionnaire={"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/display",
                                       "valueString": "LEFS"}]},
        items=[{"linkId": "g", "text": "Scores", "item": [{"linkId": "sum", "text": "LEFS total",
                                                            "answer": [{"valueInteger": 48}]}]}]), (48.0, "LEFS")),
    (qr("q6", None, items=[{"linkId": "hagos", "text": "HAGOS", "item": [
        {"linkId": "pain", "text": "Pain subscale", "answer": [{"valueDecimal": 70}]}]}]), (70.0, "HAGOS")),
])
def test_outcome_scores_from_questionnaire_responses(resource: dict[str, Any], expected: tuple[Any, str]) -> None:
    found = questionnaire_outcomes(reads([resource], SUBJECT_REF))
    assert [(o.value, o.instrument) for o in found] == [expected]
    assert found[0].ref == f"QuestionnaireResponse/{resource['id']}"


@pytest.mark.parametrize("resource", [
    qr("x1", "http://example.org/Questionnaire/phq-9", items=TOTAL),          # not an outcome instrument
    qr("x2", "http://example.org/Questionnaire/hagos", status="in-progress"),
    qr("x3", "http://example.org/Questionnaire/hagos", status="entered-in-error"),
    qr("x4", "http://example.org/Questionnaire/hagos", authored="9999-12-31"),
    {"resourceType": "QuestionnaireResponse", "id": "x5", "status": "completed",
     "questionnaire": "http://example.org/Questionnaire/hagos"},                # no date
])
def test_questionnaire_responses_that_are_not_outcome_scores(resource: dict[str, Any]) -> None:
    assert questionnaire_outcomes(reads([resource], SUBJECT_REF)) == ()


def test_questionnaire_outcomes_join_observations_in_the_window() -> None:
    record = patient_record(SUBJECT_REF.split("/")[1], [qr("q1", "http://example.org/Questionnaire/hagos", items=TOTAL),
                            qr("old", "http://example.org/Questionnaire/hagos", authored="2025-01-01")], (), (), False)
    found = monitoring_facts(record, (), (), TherapySessions(), AS_OF)
    assert [o.ref for o in found.outcome_scores] == ["QuestionnaireResponse/q1"]


VIEW = "/cds-services/hamstring-rehab-patient-view"


def in_rehab(**prefetch: Any) -> dict[str, Any]:
    sessions = [{"resourceType": "Procedure", "id": f"s{i}", "status": "completed", "subject": SUBJECT,
                 "code": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "97110"}]},
                 "performedDateTime": f"2026-{m:02d}-{d:02d}"} for i, (m, d) in enumerate(
                     [(8, 3), (8, 10), (8, 17), (8, 24), (8, 31), (9, 7), (9, 14), (9, 21), (9, 28), (10, 5),
                      (10, 12), (10, 19), (10, 26), (11, 2)])]
    return hook_request("patient-view", procedures=bundle(*sessions),
                        serviceRequests=bundle(pt_order("pt-1", status="active", occurrencePeriod={
                            "start": "2026-08-03", "end": "2026-11-30"})), **prefetch)


def codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [c["source"]["topic"]["code"] for c in response.get_json()["cards"]]


def test_a_questionnaire_response_counts_as_outcome_monitoring(client: FlaskClient) -> None:
    assert "HAM-08" in codes(client.post(VIEW, json=in_rehab()))
    body = in_rehab(questionnaireResponses=bundle(qr("q1", "http://example.org/Questionnaire/ihot12",
                                                     items=TOTAL)))
    assert "HAM-08" not in codes(client.post(VIEW, json=body))


def test_strength_ratio_in_assessments_fires_the_weakness_card(client: FlaskClient) -> None:
    weak = strength_obs(0.8, "1", effectiveDateTime="2026-11-18", category=[{"coding": [
        {"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "exam"}]}])
    assert "HAM-12" in codes(client.post(VIEW, json=in_rehab(assessments=bundle(weak))))
    strong = {**weak, "valueQuantity": {"value": 0.95, "unit": "1", "system": UCUM, "code": "1"}}
    assert "HAM-12" not in codes(client.post(VIEW, json=in_rehab(assessments=bundle(strong))))


def test_optional_keys_are_fetched_when_a_server_is_given_and_skipped_when_not(client: FlaskClient) -> None:
    body = in_rehab()
    for key in ("assessments", "questionnaireResponses", "encounterDiagnoses"):
        del body["prefetch"][key]
    assert client.post(VIEW, json=body).status_code == 200  # no fhirServer: answered from the rest
    body["fhirServer"] = FHIR
    body["fhirAuthorization"] = {"access_token": "t", "token_type": "Bearer", "expires_in": 300,
                                 "scope": "user/*.read", "subject": "cds"}
    with responses.RequestsMock() as rsps:
        rsps.get(f"{FHIR}/Observation", json=bundle())
        rsps.get(f"{FHIR}/QuestionnaireResponse",
                 json=bundle(qr("q1", "http://example.org/Questionnaire/hagos", items=TOTAL)))
        rsps.get(f"{FHIR}/Condition", status=404, json={"resourceType": "OperationOutcome"})  # unsupported
        found = codes(client.post(VIEW, json=body))
    assert "HAM-08" not in found
