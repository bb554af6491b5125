from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cds_service import create_app
from tests.builders import AS_OF
from tests.jwt_helpers import BASE, ISS, SigningKey, jwks, new_key

SERVICE = "hamstring-rehab-order-sign"
FHIR = "https://fhir.example.org/r4"


@pytest.fixture
def settings(tmp_path: Path) -> dict[str, Any]:
    return {"instance_path": tmp_path / "instance", "fhir_server_allowlist": [FHIR], "auth_required": False,
            "fhir_time_budget_seconds": 2.0}


@pytest.fixture
def app(settings: dict[str, Any]) -> Iterator[Flask]:
    yield create_app(settings, today=lambda: AS_OF)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def es_key() -> SigningKey:
    return new_key("ES384", "ehr-ec-1")


@pytest.fixture(scope="session")
def rs_key() -> SigningKey:
    return new_key("RS384", "ehr-rsa-1")


@pytest.fixture
def auth_settings(settings: dict[str, Any], es_key: SigningKey, rs_key: SigningKey) -> dict[str, Any]:
    """Authentication on, one issuer trusting an ES384 and an RS384 key (inline JWKS, no network)."""
    return {**settings, "auth_required": True, "public_base_url": BASE,
            "auth": {"issuers": [{"iss": ISS, "jwks": jwks(es_key, rs_key)}]}}


@pytest.fixture
def auth_app(auth_settings: dict[str, Any]) -> Flask:
    return create_app(auth_settings, today=lambda: AS_OF)


@pytest.fixture
def auth_client(auth_app: Flask) -> FlaskClient:
    return auth_app.test_client()


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read the developer's own CDS_* environment."""
    import os

    for key in list(os.environ):
        if key.startswith("CDS_"):
            monkeypatch.delenv(key)
