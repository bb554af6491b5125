"""POST /cds-services/{id}/feedback: what clinicians did with the cards (accepted / overridden)."""

from __future__ import annotations

from flask import Blueprint, Response
from pydantic import ValidationError

from cds_service.auth.web import require_caller
from cds_service.errors import BadRequest, json_response
from cds_service.pipeline import describe, fields, find_service
from cds_service.routes import json_body, state
from cds_service.schemas import FeedbackRequest

bp = Blueprint("feedback", __name__)
bp.before_request(require_caller())


@bp.post("/cds-services/<service_id>/feedback")
def feedback(service_id: str) -> Response:
    find_service(service_id)
    payload = json_body()
    try:
        parsed = FeedbackRequest.model_validate(payload)
    except ValidationError as exc:
        raise BadRequest(describe(exc), fields(exc)) from None
    stored = state().store.record_feedback(service_id, parsed.feedback)
    return json_response({"received": len(parsed.feedback), "stored": stored})
