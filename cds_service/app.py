"""Flask app factory: `create_app(overrides=None)`. Nothing is built at import time."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Flask

from cds_service.errors import register_error_handlers
from cds_service.routes import discovery, feedback, health, hooks
from cds_service.settings import Settings
from cds_service.state import build_state, today_utc


def create_app(overrides: dict[str, Any] | None = None, today: Callable[[], date] = today_utc) -> Flask:
    settings = Settings(**(overrides or {}))
    logging.basicConfig(level=settings.log_level.upper())
    state = build_state(settings, today)
    app = Flask(__name__, instance_path=str(settings.instance_path.resolve()))
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["cds"] = state
    for blueprint in (discovery.bp, hooks.bp, feedback.bp, health.bp):
        app.register_blueprint(blueprint)
    register_error_handlers(app)
    return app
