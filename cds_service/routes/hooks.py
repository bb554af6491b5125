"""POST /cds-services/{id}: run the hook pipeline and answer with cards (or a 4xx/412 outcome)."""

from __future__ import annotations

from flask import Blueprint, Response

from cds_service.auth.web import require_caller
from cds_service.errors import json_response
from cds_service.routes import base_url, json_body, state

bp = Blueprint("hooks", __name__)
bp.before_request(require_caller())


@bp.post("/cds-services/<service_id>")
def call_service(service_id: str) -> Response:
    current = state()
    payload = json_body()
    outcome = current.pipeline.run(service_id, payload, as_of=current.today(), source_url=f"{base_url()}/criteria")
    return json_response(outcome.body, outcome.status)
