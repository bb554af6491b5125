"""GET /cds-services (discovery), GET /criteria (the guideline criteria cards link to) and
GET /guideline/PlanDefinition (the guideline in force as a FHIR R4 PlanDefinition)."""

from __future__ import annotations

from flask import Blueprint, Response

from cds_service.auth.web import require_caller
from cds_service.errors import json_response
from cds_service.jsonutil import without_empty
from cds_service.plandefinition import plan_definition
from cds_service.routes import state

bp = Blueprint("discovery", __name__)
bp.before_request(require_caller("discovery"))


@bp.get("/cds-services")
def services() -> Response:
    return json_response(state().discovery)


@bp.get("/openapi.json")
def openapi() -> Response:
    return json_response(state().openapi)


@bp.get("/criteria")
def criteria() -> Response:
    guideline = state().guideline
    listing = [
        {"id": cid, "title": cfg.title, "indicator": cfg.indicator,
         "thresholds": guideline.template_values(cid),
         "evidence": [guideline.file.evidence[e].citation for e in cfg.evidence],
         "localPolicy": cfg.local_policy, "silent": cfg.silent}
        for cid, cfg in guideline.file.criteria.items()
    ]
    meta = guideline.meta
    # A criterion without thresholds, evidence or local policy leaves the member out (no empty members).
    return json_response({"guideline": {"id": meta.id, "version": meta.version, "title": meta.title,
                                        "sha256": guideline.sha256}, "criteria": without_empty(listing)})


@bp.get("/guideline/PlanDefinition")
def guideline_plan_definition() -> Response:
    response = json_response(plan_definition(state().guideline))
    response.mimetype = "application/fhir+json"
    return response
