"""Flask app factory: `create_app(overrides=None)`. Nothing is built at import time."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Flask

from cds_service import metrics, tracing
from cds_service.auth.registry import build_authenticator
from cds_service.cors import install_cors
from cds_service.errors import register_error_handlers
from cds_service.logs import configure_logging, install_request_log
from cds_service.routes import discovery, feedback, health, hooks, review
from cds_service.settings import Settings
from cds_service.state import build_state, today_utc

log = logging.getLogger(__name__)


def create_app(overrides: dict[str, Any] | None = None, today: Callable[[], date] = today_utc) -> Flask:
    settings = Settings(**(overrides or {}))
    configure_logging(settings.log_level)
    state = build_state(settings, today)
    app = Flask(__name__, instance_path=str(settings.instance_path.resolve()))
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["cds"] = state
    if settings.auth_required:
        app.extensions["cds_auth"] = build_authenticator(settings, replay=state.store)  # jti table in the audit DB
    app.extensions["cds_warnings"] = security_warnings(settings)
    for warning in app.extensions["cds_warnings"]:
        log.warning("SECURITY: %s", warning)
    if not settings.fhir_server_allowlist:  # news for a service; offline commands (evaluate) need no FHIR server
        log.warning("CDS_FHIR_SERVER_ALLOWLIST is empty: the service will use prefetch only and never "
                    "contact a FHIR server")
    if not settings.review_users:  # else a reviewer meets only a login prompt that no login passes
        log.info("/review is closed: no reviewer logins (CDS_REVIEW_USERS, with hashes from "
                 "`hamstring-cds review-password`)")
    install_request_log(app)
    tracing.configure()  # off unless the OTEL_* variables ask for traces
    tracing.install(app)
    metrics.install(app, state.metrics, settings)
    install_cors(app, settings.cors_allowed_origins)
    for blueprint in (discovery.bp, hooks.bp, feedback.bp, health.bp, review.bp):
        app.register_blueprint(blueprint)
    register_error_handlers(app)
    return app


def security_warnings(settings: Settings) -> list[str]:
    """Set-ups that are fine on a laptop and wrong in production; logged at start and shown on /readyz."""
    warnings = []
    if not settings.auth_required:
        warnings.append("CDS_AUTH_REQUIRED=false: authentication is OFF and anyone can call the hook and "
                        "feedback endpoints; for local development only")
    elif not settings.public_base_url:
        warnings.append("CDS_PUBLIC_BASE_URL is not set: the JWT audience is checked against the Host header "
                        "of each request; set it in production")
    if settings.fhir_allow_http_loopback:
        warnings.append("CDS_FHIR_ALLOW_HTTP_LOOPBACK=true: plain-http loopback FHIR servers are allowed; "
                        "for local development only")
    if "*" in settings.cors_allowed_origins:
        warnings.append("CDS_CORS_ALLOWED_ORIGINS=*: any web page may call the service from a browser; "
                        "for tests only")
    return warnings
