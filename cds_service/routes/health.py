"""GET /healthz (the process answers) and GET /readyz (config loaded, store reachable)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from cds_service.auth.web import require_caller
from cds_service.errors import json_response
from cds_service.routes import state

bp = Blueprint("health", __name__)
bp.before_request(require_caller("health"))


@bp.get("/healthz")
def healthz() -> Response:
    return json_response({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    current = state()
    audit = current.store.status()
    store_ok = audit["database"] == "ok"
    meta = current.guideline.meta
    body = {
        # Without the database the service still answers (records wait in the spool): degraded, not down.
        "status": "ready" if audit["state"] == "ok" else "degraded",
        "guideline": {"id": meta.id, "version": meta.version, "sha256": current.guideline.sha256},
        "store": "ok" if store_ok else "unreachable",
        "audit": audit,
        "authentication": "required" if current.settings.auth_required else "off (development only)",
        "authRequired": current.settings.auth_required,
        "securityWarnings": current_app.extensions.get("cds_warnings", []),
    }
    return json_response(body, 200 if audit["lost"] == 0 else 503)
