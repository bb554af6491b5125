"""POST /cds-services/{id}: run the hook pipeline and answer with cards (or a 4xx/412 outcome)."""

from __future__ import annotations

import time

from flask import Blueprint, Response, g, request

from cds_service.audit.outcome import CallContext, call_record
from cds_service.auth.web import require_caller
from cds_service.errors import json_response
from cds_service.routes import base_url, json_body, state
from cds_service.tracing import traced

bp = Blueprint("hooks", __name__)
bp.before_request(require_caller())


@bp.post("/cds-services/<service_id>")
def call_service(service_id: str) -> Response:
    current = state()
    payload = json_body()
    caller = g.get("caller")
    outcome = current.pipeline.run(service_id, payload, as_of=current.today(), source_url=f"{base_url()}/criteria",
                                   fhir_servers=caller.fhir_servers if caller else frozenset())
    g.hook_outcome = outcome
    current.metrics.hook_answered(outcome)
    return json_response(outcome.body, outcome.status)


@bp.after_request
@traced("audit")
def audit(response: Response) -> Response:
    """Every hook call is recorded, refused ones too: in the audit journal before the answer leaves,
    committed by the writer thread right after (cds_service/audit/writer.py)."""
    if request.method != "POST" or not request.view_args:
        return response
    current = state()
    outcome = g.pop("hook_outcome", None)
    started = g.get("started")
    latency_ms = (time.perf_counter() - started) * 1000 if started else outcome.latency_ms if outcome else 0.0
    call = CallContext(service_id=request.view_args.get("service_id", ""), status=response.status_code,
                       latency_ms=latency_ms, policy=current.audit_policy, caller=g.get("caller"),
                       answer=None if outcome else response.get_json(silent=True))
    current.store.record_call(call_record(outcome, call))
    return response
