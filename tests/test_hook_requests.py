"""POST /cds-services/{id}: request validation, spec-shaped responses, errors as OperationOutcome."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from cds_service.schemas import CdsResponse
from tests.builders import bundle, hook_request, pt_order, weekly, without

SIGN = "/cds-services/hamstring-rehab-order-sign"
SELECT = "/cds-services/hamstring-rehab-order-select"
VIEW = "/cds-services/hamstring-rehab-patient-view"


def short_order_sign() -> dict[str, Any]:
    return hook_request("order-sign", [pt_order("pt-1", **weekly(4, 2))])


def assert_outcome(response: Any, status: int, mentions: str) -> None:
    assert response.status_code == status
    body = response.get_json()
    assert body["resourceType"] == "OperationOutcome"
    assert mentions in body["issue"][0]["diagnostics"]
    assert "Traceback" not in response.get_data(as_text=True)


def test_order_sign_returns_spec_shaped_cards(client: FlaskClient) -> None:
    response = client.post(SIGN, json=short_order_sign())
    assert response.status_code == 200
    body = CdsResponse.model_validate(response.get_json())
    assert [c.source.topic.code for c in body.cards] == ["HAM-01", "HAM-02"]
    card = body.cards[0]
    assert card.source.url == "http://localhost/criteria"
    assert card.suggestions[0].actions[0].resource["id"] == "pt-1"
    assert {r.code for r in card.overrideReasons} >= {"clinical-judgement"}


def test_cards_and_suggestions_get_fresh_uuids_per_call(client: FlaskClient) -> None:
    first = client.post(SIGN, json=short_order_sign()).get_json()["cards"]
    second = client.post(SIGN, json=short_order_sign()).get_json()["cards"]
    uuids = {c["uuid"] for c in first + second} | {s["uuid"] for c in first + second for s in c["suggestions"]}
    assert len(uuids) == 8


def test_no_advice_is_an_empty_card_list(client: FlaskClient) -> None:
    response = client.post(SIGN, json=hook_request("order-sign", [pt_order("pt-1", **weekly(13, 2))]))
    assert response.get_json() == {"cards": []}


@pytest.mark.parametrize("member", ["hook", "hookInstance", "context"])
def test_missing_required_member_is_400(client: FlaskClient, member: str) -> None:
    assert_outcome(client.post(SIGN, json=without(short_order_sign(), member)), 400, member)


def test_fhir_authorization_requires_fhir_server(client: FlaskClient) -> None:
    body = short_order_sign()
    body["fhirAuthorization"] = {"access_token": "secret-token-123", "token_type": "Bearer", "expires_in": 300,
                                 "scope": "user/Patient.read", "subject": "cds"}
    response = client.post(SIGN, json=body)
    assert_outcome(response, 400, "fhirServer is required")
    assert "secret-token-123" not in response.get_data(as_text=True)


def test_hook_that_does_not_match_the_service_is_400(client: FlaskClient) -> None:
    assert_outcome(client.post(VIEW, json=short_order_sign()), 400, "answers hook 'patient-view'")


@pytest.mark.parametrize(("hook", "url", "field"), [
    ("order-sign", SIGN, "draftOrders"), ("order-sign", SIGN, "patientId"), ("order-sign", SIGN, "userId"),
    ("order-select", SELECT, "selections"), ("patient-view", VIEW, "patientId"),
])
def test_missing_context_field_is_400(client: FlaskClient, hook: str, url: str, field: str) -> None:
    body = hook_request(hook, [pt_order("pt-1", **weekly(4, 2))])
    body["context"].pop(field)
    assert_outcome(client.post(url, json=body), 400, f"context.{field}")


def test_patient_id_must_be_a_fhir_id(client: FlaskClient) -> None:
    body = short_order_sign()
    body["context"]["patientId"] = "1&_include=*"
    assert_outcome(client.post(SIGN, json=body), 400, "patientId")


def test_draft_orders_must_be_a_bundle(client: FlaskClient) -> None:
    body = short_order_sign()
    body["context"]["draftOrders"] = [pt_order("pt-1")]
    assert_outcome(client.post(SIGN, json=body), 400, "draftOrders")


def test_unknown_members_and_extensions_are_ignored(client: FlaskClient) -> None:
    body = short_order_sign()
    body["extension"] = {"org.example.thing": {"a": 1}}
    body["somethingNew"] = [1, 2]
    body["context"]["randomContextKey"] = "x"
    body["context"]["draftOrders"]["extension"] = {"x": 1}
    response = client.post(SIGN, json=body)
    assert [c["source"]["topic"]["code"] for c in response.get_json()["cards"]] == ["HAM-01", "HAM-02"]


def test_malformed_json_is_400(client: FlaskClient) -> None:
    response = client.post(SIGN, data=b'{"hook": "order-sign",', content_type="application/json")
    assert_outcome(response, 400, "not valid JSON")


@pytest.mark.parametrize("payload", [b"[]", b'"text"', b"42", b"null"])
def test_non_object_body_is_400(client: FlaskClient, payload: bytes) -> None:
    assert_outcome(client.post(SIGN, data=payload, content_type="application/json"), 400, "JSON object")


def test_empty_body_is_400(client: FlaskClient) -> None:
    assert_outcome(client.post(SIGN), 400, "not valid JSON")


def test_unknown_service_is_404(client: FlaskClient) -> None:
    assert_outcome(client.post("/cds-services/nope", json=short_order_sign()), 404, "Unknown CDS service")


def test_get_on_a_service_is_405(client: FlaskClient) -> None:
    response = client.get(SIGN)
    assert_outcome(response, 405, "Method not allowed")
    assert "POST" in response.headers["Allow"]


def test_unknown_path_is_404_json(client: FlaskClient) -> None:
    assert_outcome(client.get("/nothing-here"), 404, "No such resource")


def test_body_over_the_limit_is_413(settings: dict[str, Any]) -> None:
    from cds_service import create_app

    client = create_app({**settings, "max_body_bytes": 2048}).test_client()
    response = client.post(SIGN, data=b"{" + b" " * 4096 + b"}", content_type="application/json")
    assert_outcome(response, 413, "too large")


def test_deeply_nested_json_is_400_not_500(client: FlaskClient) -> None:
    response = client.post(SIGN, data=b"[" * 5000 + b"]" * 5000, content_type="application/json")
    assert response.status_code == 400


def test_sandbox_shaped_request_gets_200(client: FlaskClient) -> None:
    """Public CDS Hooks sandbox: Bundle without type, DSTU2 MedicationOrder, no intent, no prefetch subset."""
    body = hook_request("order-sign", [])
    body["context"]["draftOrders"] = {"resourceType": "Bundle", "entry": [{"resource": {
        "resourceType": "MedicationOrder", "id": "request-123", "status": "draft",
        "medicationCodeableConcept": {"text": "Ibuprofen 200 MG Oral Tablet"},
        "dosageInstruction": [{"timing": {"repeat": {"frequency": 3, "period": 1, "periodUnit": "d"}}}]}}]}
    response = client.post(SIGN, json=body)
    assert response.status_code == 200
    assert response.get_json() == {"cards": []}


def test_draft_service_request_without_intent_or_subject_is_still_read(client: FlaskClient) -> None:
    order = pt_order("pt-1", **weekly(4, 2))
    del order["intent"], order["subject"]
    response = client.post(SIGN, json=hook_request("order-sign", [order]))
    codes = [c["source"]["topic"]["code"] for c in response.get_json()["cards"]]
    assert codes == ["HAM-01", "HAM-02"]


def test_order_select_judges_only_the_selected_orders(client: FlaskClient) -> None:
    body = hook_request("order-select", [pt_order("pt-1", **weekly(4, 2)), pt_order("pt-2", **weekly(13, 2))],
                        selections=["ServiceRequest/pt-2"])
    assert client.post(SELECT, json=body).get_json() == {"cards": []}
    body["context"]["selections"] = ["ServiceRequest/pt-1"]
    assert len(client.post(SELECT, json=body).get_json()["cards"]) == 2


def test_patient_view_reads_active_orders_from_prefetch(client: FlaskClient) -> None:
    body = hook_request("patient-view", serviceRequests=bundle(pt_order("pt-1", status="active", **weekly(6, 1))))
    cards = client.post(VIEW, json=body).get_json()["cards"]
    assert [c["source"]["topic"]["code"] for c in cards] == ["HAM-01", "HAM-02"]
    assert all("suggestions" not in c for c in cards)  # nothing to update outside a draft


def test_response_json_has_no_nulls_or_empty_members(client: FlaskClient) -> None:
    text = client.post(SIGN, json=short_order_sign()).get_data(as_text=True)
    assert "null" not in text and '""' not in text and "[]" not in text and "{}" not in text
