"""GET /cds-services: three services, spec-shaped, prefetch templates using only allowed tokens."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from cds_service import create_app
from cds_service.schemas import Discovery
from tests.builders import AS_OF

ALLOWED_TOKENS = re.compile(r"\{\{(context\.[A-Za-z]+|userPractitionerId|userPractitionerRoleId|userPatientId|"
                            r"userRelatedPersonId)\}\}")


def test_discovery_lists_the_three_services(client: FlaskClient) -> None:
    response = client.get("/cds-services")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = Discovery.model_validate(response.get_json())
    assert {(s.id, s.hook) for s in body.services} == {
        ("hamstring-rehab-order-sign", "order-sign"),
        ("hamstring-rehab-order-select", "order-select"),
        ("hamstring-rehab-patient-view", "patient-view"),
    }
    for service in body.services:
        assert service.title and service.description and service.usageRequirements


def test_prefetch_templates_use_only_root_context_and_user_tokens(client: FlaskClient) -> None:
    for service in client.get("/cds-services").get_json()["services"]:
        prefetch = service["prefetch"]
        assert set(prefetch) == {"patient", "conditions", "observations", "procedures", "serviceRequests",
                                 "medicationRequests", "assessments", "questionnaireResponses",
                                 "encounterDiagnoses"}
        for template in prefetch.values():
            tokens = re.findall(r"\{\{[^}]*\}\}", template)
            assert tokens, template
            assert all(ALLOWED_TOKENS.fullmatch(t) for t in tokens), template
            assert "draftOrders" not in template and "today()" not in template


def test_prefetch_templates_are_narrowed_to_what_criteria_read(client: FlaskClient) -> None:
    prefetch = client.get("/cds-services").get_json()["services"][0]["prefetch"]
    assert prefetch["patient"] == "Patient/{{context.patientId}}"
    assert "clinical-status=active" in prefetch["conditions"]
    assert "http://loinc.org|72514-3" in prefetch["observations"]  # 0-10 pain rating
    assert "_sort=-date" in prefetch["observations"] and "_count=" in prefetch["observations"]
    assert "http://www.ama-assn.org/go/cpt|97110" in prefetch["procedures"]
    assert "status=active" in prefetch["medicationRequests"]


def test_discovery_has_no_empty_members(client: FlaskClient) -> None:
    def walk(value: object) -> None:
        assert value not in (None, "", [], {})
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(client.get("/cds-services").get_json())


def test_openapi_document_describes_every_endpoint(client: FlaskClient) -> None:
    doc = client.get("/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) >= {"/cds-services", "/cds-services/{service_id}", "/cds-services/{service_id}/feedback"}
    schemas = doc["components"]["schemas"]

    def refs(value: object) -> list[str]:
        if isinstance(value, dict):
            return ([value["$ref"]] if "$ref" in value else []) + [r for v in value.values() for r in refs(v)]
        return [r for v in value for r in refs(v)] if isinstance(value, list) else []

    missing = {r for r in refs(doc) if r.removeprefix("#/components/schemas/") not in schemas}
    assert missing == set()
    hook_request = schemas["HookRequest"]
    assert set(hook_request["required"]) == {"hook", "hookInstance", "context"}


def test_openapi_document_names_the_bearer_jwt_scheme_when_authentication_is_on(
        client: FlaskClient, auth_client: FlaskClient) -> None:
    secured = auth_client.get("/openapi.json").get_json()
    assert secured["components"]["securitySchemes"]["cdsHooksJwt"] == {
        **secured["components"]["securitySchemes"]["cdsHooksJwt"], "type": "http", "scheme": "bearer",
        "bearerFormat": "JWT"}
    hook = secured["paths"]["/cds-services/{service_id}"]["post"]
    feedback = secured["paths"]["/cds-services/{service_id}/feedback"]["post"]
    assert hook["security"] == feedback["security"] == [{"cdsHooksJwt": []}]
    assert "401" in hook["responses"] and "security" not in secured["paths"]["/cds-services"]["get"]
    open_doc = client.get("/openapi.json").get_json()  # CDS_AUTH_REQUIRED=false
    assert "securitySchemes" not in open_doc["components"]
    assert "security" not in open_doc["paths"]["/cds-services/{service_id}"]["post"]
    assert "401" not in open_doc["paths"]["/cds-services/{service_id}"]["post"]["responses"]


def test_openapi_document_marks_discovery_secured_when_it_is_not_public(auth_settings: dict[str, Any]) -> None:
    auth = {**auth_settings["auth"], "public_endpoints": ["health"]}
    app = create_app({**auth_settings, "auth": auth}, today=lambda: AS_OF)  # /openapi.json itself needs a token
    paths = app.extensions["cds"].openapi["paths"]
    assert paths["/cds-services"]["get"]["security"] == paths["/criteria"]["get"]["security"]
    assert "security" not in paths["/healthz"]["get"] and "401" in paths["/criteria"]["get"]["responses"]
