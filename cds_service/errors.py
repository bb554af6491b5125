"""Typed errors and the one place that maps them to HTTP responses.

4xx and 412 bodies are FHIR OperationOutcomes (CDS Hooks 3.0 ballot asks for this; harmless under
2.0). Nothing from a stack trace or from request data the caller did not send ever reaches a body.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from cds_service import jsonutil

log = logging.getLogger(__name__)

ISSUE_CODES = {400: "invalid", 401: "login", 404: "not-found", 405: "not-supported", 412: "processing",
               413: "too-long", 415: "not-supported", 500: "exception"}


class ServiceError(Exception):
    status = 500

    def __init__(self, message: str, expression: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.expression = expression or []


class BadRequest(ServiceError):
    status = 400


class Unauthorized(ServiceError):
    """No valid EHR token. The body never says why (CDS Hooks best practice); the log does."""

    status = 401

    def __init__(self) -> None:
        super().__init__("Authentication required")


class UnknownService(ServiceError):
    status = 404


class DataUnavailable(ServiceError):
    """Required data is neither in prefetch nor obtainable from the FHIR server (spec: 412)."""

    status = 412


def operation_outcome(status: int, message: str, expression: list[str] | None = None) -> dict[str, Any]:
    issue: dict[str, Any] = {"severity": "error", "code": ISSUE_CODES.get(status, "processing"),
                             "diagnostics": message}
    if expression:
        issue["expression"] = expression
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(jsonutil.dumps(body), status=status, mimetype="application/json", headers=headers)


def error_response(status: int, message: str, expression: list[str] | None = None) -> Response:
    return json_response(operation_outcome(status, message, expression), status)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError) -> Response:
        response = error_response(exc.status, exc.message, exc.expression)
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        message = {404: "No such resource; services are listed at /cds-services",
                   405: "Method not allowed for this URL",
                   413: "Request body too large"}.get(status, exc.name)
        response = error_response(status, message)
        if status == 405 and exc.get_response().headers.get("Allow"):
            response.headers["Allow"] = exc.get_response().headers["Allow"]
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("unhandled error")
        return error_response(500, "Internal error; the service log has the details")
