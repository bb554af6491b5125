"""The service's OpenAPI 3.1 document, generated from the wire models (served at /openapi.json).

Integration engineers can read the request and card shapes from it, and fuzzers such as
schemathesis can drive every endpoint from it.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from pydantic.json_schema import models_json_schema

from cds_service.schemas import CdsResponse, Discovery, FeedbackRequest, HookRequest
from cds_service.services import SERVICES

OPERATION_OUTCOME = {"type": "object", "required": ["resourceType", "issue"], "properties": {
    "resourceType": {"const": "OperationOutcome"},
    "issue": {"type": "array", "items": {"type": "object", "properties": {
        "severity": {"type": "string"}, "code": {"type": "string"}, "diagnostics": {"type": "string"},
        "expression": {"type": "array", "items": {"type": "string"}}}}}}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    meaning = {400: "Invalid request", 401: "Missing or invalid JWT", 404: "Unknown service",
               412: "Required data could not be obtained", 413: "Request body too large"}
    return {str(c): _json(_ref("OperationOutcome"), meaning[c]) for c in codes}


BEARER = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
          "description": "CDS Hooks 2.0 JWT signed by a trusted EHR issuer (asymmetric key; `aud` is the URL called, "
                         "`jti` used once); see docs/security.md."}


def openapi_document(version: str, auth_required: bool = True,
                     public: Collection[str] = ("discovery", "health")) -> dict[str, Any]:
    """The document for this configuration: operations that need a token name the bearer JWT scheme
    and its 401 (none when `CDS_AUTH_REQUIRED=false`; discovery and health only when not `public`)."""
    _, schemas = models_json_schema(
        [(HookRequest, "validation"), (FeedbackRequest, "validation"), (CdsResponse, "serialization"),
         (Discovery, "serialization")], ref_template="#/components/schemas/{model}")
    components: dict[str, Any] = {"schemas": {**schemas.get("$defs", {}), "OperationOutcome": OPERATION_OUTCOME}}
    service_id = {"name": "service_id", "in": "path", "required": True,
                  "schema": {"type": "string", "enum": sorted(SERVICES)}}
    simple = {"type": "object", "additionalProperties": True}

    def operation(summary: str, responses: dict[str, Any], group: str | None = None, **more: Any) -> dict[str, Any]:
        if auth_required and (group is None or group not in public):
            more["security"] = [{"cdsHooksJwt": []}]
            responses = {**responses, **_errors(401)}
        return {"summary": summary, **more, "responses": responses}

    def body(name: str) -> dict[str, Any]:
        return {"required": True, "content": {"application/json": {"schema": _ref(name)}}}

    if auth_required:
        components["securitySchemes"] = {"cdsHooksJwt": BEARER}
    return {
        "openapi": "3.1.0",
        "info": {"title": "hamstring-rehab-cds", "version": version,
                 "description": "CDS Hooks 2.0 service for hamstring pain during physical therapy."},
        "paths": {
            "/cds-services": {"get": operation("Discovery", {"200": _json(_ref("Discovery"), "Services offered")},
                                               "discovery")},
            "/cds-services/{service_id}": {"post": operation(
                "Call a service", {"200": _json(_ref("CdsResponse"), "Cards"), **_errors(400, 404, 412, 413)},
                parameters=[service_id], requestBody=body("HookRequest"))},
            "/cds-services/{service_id}/feedback": {"post": operation(
                "What clinicians did with the cards", {"200": _json(simple, "Stored"), **_errors(400, 404, 413)},
                parameters=[service_id], requestBody=body("FeedbackRequest"))},
            "/criteria": {"get": operation("Criteria and thresholds in force", {"200": _json(simple, "Criteria")},
                                           "discovery")},
            "/guideline/PlanDefinition": {"get": operation(
                "The guideline in force as a FHIR R4 PlanDefinition (eca-rule)",
                {"200": {"description": "PlanDefinition", "content": {"application/fhir+json": {"schema": simple}}}},
                "discovery")},
            "/healthz": {"get": operation("Liveness", {"200": _json(simple, "Alive")}, "health")},
            "/readyz": {"get": operation("Readiness", {"200": _json(simple, "Ready"),
                                                       "503": _json(simple, "Not ready")}, "health")},
        },
        "components": components,
    }
