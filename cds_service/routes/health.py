"""GET /healthz (the process answers) and GET /readyz (config loaded, store reachable; the guideline's lifecycle
warnings and the firing-rate monitor's flags as details, which never make the service unready)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, current_app

from cards.lifecycle import lifecycle_warnings
from cds_service.audit import monitor
from cds_service.audit.records import now_utc
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
    meta, lifecycle = current.guideline.meta, current.guideline.lifecycle
    guideline: dict[str, Any] = {
        "id": meta.id, "version": meta.version, "sha256": current.guideline.sha256, "status": lifecycle.status,
        "nextReviewDate": lifecycle.next_review_date.isoformat()}
    if warnings := lifecycle_warnings(lifecycle, current.today()):  # news for the quality team, never unready
        guideline["warnings"] = warnings
    body = {
        # Without the database the service still answers (records wait in the spool): degraded, not down.
        "status": "ready" if audit["state"] == "ok" else "degraded",
        "guideline": guideline,
        "store": "ok" if store_ok else "unreachable",
        "audit": audit,
        "authentication": "required" if current.settings.auth_required else "off (development only)",
        "authRequired": current.settings.auth_required,
        "securityWarnings": current_app.extensions.get("cds_warnings", []),
        "monitoring": _monitoring(current) if store_ok else {"state": "unknown (audit database unreachable)"},
    }
    return json_response(body, 200 if audit["lost"] == 0 else 503)


def _monitoring(current: Any) -> dict[str, Any]:
    """The firing-rate flags (at most a minute old); `flags: []` when every criterion fires as usual."""
    try:
        result = monitor.cached_check(current.store.repository.engine, now_utc().date(),
                                      monitor.Thresholds.of(current.settings))
    except Exception:  # noqa: BLE001 - monitoring never makes /readyz fail
        logging.getLogger(__name__).exception("firing-rate monitor failed")
        return {"state": "unknown (monitor failed; see the log)"}
    return {"state": "flagged" if result["flags"] else "ok", "recent": result["recent"],
            "baseline": result["baseline"], "flags": result["flags"]}
