"""Fixtures of the audit tests: each runs on SQLite and on PostgreSQL (a fresh schema per test,
dropped afterwards; skipped, saying why, without CDS_TEST_POSTGRES_URL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from cds_service import create_app
from tests.audit.support import BACKENDS, POSTGRES_URL, postgres_schema
from tests.builders import AS_OF


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'audit.sqlite3'}"
        return
    assert POSTGRES_URL
    with postgres_schema(POSTGRES_URL) as url:
        yield url


@pytest.fixture
def audit_settings(settings: dict[str, Any], database_url: str) -> dict[str, Any]:
    return {**settings, "database_url": database_url, "audit_pseudonym_secret": "test-secret-0123456789abcdef"}


@pytest.fixture
def make_app(audit_settings: dict[str, Any]) -> Iterator[Callable[..., Flask]]:
    """create_app with the audit settings and overrides; every app's store is closed at teardown."""
    apps: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        app = create_app({**audit_settings, **overrides}, today=lambda: AS_OF)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["cds"].store.close()
