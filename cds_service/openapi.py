"""The service's OpenAPI 3.1 document, generated from the wire models (served at /openapi.json).

Integration engineers can read the request and card shapes from it, and fuzzers such as
schemathesis can drive every endpoint from it.
"""

from __future__ import annotations

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


def openapi_document(version: str) -> dict[str, Any]:
    _, schemas = models_json_schema(
        [(HookRequest, "validation"), (FeedbackRequest, "validation"), (CdsResponse, "serialization"),
         (Discovery, "serialization")], ref_template="#/components/schemas/{model}")
    components = {**schemas.get("$defs", {}), "OperationOutcome": OPERATION_OUTCOME}
    service_id = {"name": "service_id", "in": "path", "required": True,
                  "schema": {"type": "string", "enum": sorted(SERVICES)}}
    simple = {"type": "object", "additionalProperties": True}
    return {
        "openapi": "3.1.0",
        "info": {"title": "hamstring-rehab-cds", "version": version,
                 "description": "CDS Hooks 2.0 service for hamstring pain during physical therapy."},
        "paths": {
            "/cds-services": {"get": {"summary": "Discovery",
                                      "responses": {"200": _json(_ref("Discovery"), "Services offered")}}},
            "/cds-services/{service_id}": {"post": {
                "summary": "Call a service", "parameters": [service_id],
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("HookRequest")}}},
                "responses": {"200": _json(_ref("CdsResponse"), "Cards"), **_errors(400, 401, 404, 412, 413)}}},
            "/cds-services/{service_id}/feedback": {"post": {
                "summary": "What clinicians did with the cards", "parameters": [service_id],
                "requestBody": {"required": True,
                                "content": {"application/json": {"schema": _ref("FeedbackRequest")}}},
                "responses": {"200": _json(simple, "Stored"), **_errors(400, 401, 404, 413)}}},
            "/criteria": {"get": {"summary": "Criteria and thresholds in force",
                                  "responses": {"200": _json(simple, "Criteria")}}},
            "/healthz": {"get": {"summary": "Liveness", "responses": {"200": _json(simple, "Alive")}}},
            "/readyz": {"get": {"summary": "Readiness", "responses": {"200": _json(simple, "Ready"),
                                                                      "503": _json(simple, "Not ready")}}},
        },
        "components": {"schemas": components},
    }
