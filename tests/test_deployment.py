"""The Dockerfile and docker-compose.yml, checked statically (no Docker engine runs here)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from cds_service.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
DOCKERFILE = (ROOT / "Dockerfile").read_text()
SETTINGS = {f"CDS_{name.upper()}" for name in Settings.model_fields}


def test_compose_runs_the_service_hapi_and_postgres() -> None:
    services = COMPOSE["services"]
    assert set(services) == {"cds", "hapi", "postgres"}
    assert services["hapi"]["image"].startswith("hapiproject/hapi:v")
    assert services["hapi"]["environment"]["hapi.fhir.fhir_version"] == "R4"
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["cds"]["build"] == "."


def test_images_are_pinned() -> None:
    for name, service in COMPOSE["services"].items():
        if "image" in service:
            assert not service["image"].endswith(":latest") and ":" in service["image"], name


def test_ports_are_published_on_loopback_only() -> None:
    for name, service in COMPOSE["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)
    cds = COMPOSE["services"]["cds"]
    assert cds["network_mode"] == "host" and "127.0.0.1" in cds["command"]


def test_every_cds_environment_name_is_a_real_setting() -> None:
    env = COMPOSE["services"]["cds"]["environment"]
    unknown = {name for name in env if name not in SETTINGS}
    assert unknown == set()


def test_service_trusts_the_dev_issuer_and_allows_the_hapi_origin() -> None:
    cds = COMPOSE["services"]["cds"]
    env = cds["environment"]
    hapi_port = COMPOSE["services"]["hapi"]["ports"][0].split(":")[1]
    assert env["CDS_FHIR_SERVER_ALLOWLIST"] == f"http://127.0.0.1:{hapi_port}"
    assert env["CDS_FHIR_ALLOW_HTTP_LOOPBACK"] == "true"
    assert any(v.endswith(":/run/dev-issuer:ro") for v in cds["volumes"])
    assert env["CDS_CONFIG"] == "/run/dev-issuer/cds.toml"
    pg_port = COMPOSE["services"]["postgres"]["ports"][0].split(":")[1]
    assert f"@127.0.0.1:{pg_port}/" in env["CDS_DATABASE_URL"]
    Settings(**{k.removeprefix("CDS_").lower(): v for k, v in env.items() if k != "CDS_CONFIG"})


def test_healthchecks_where_the_image_can_run_one() -> None:
    services = COMPOSE["services"]
    assert "/readyz" in " ".join(services["cds"]["healthcheck"]["test"])
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["cds"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_dockerfile_is_slim_non_root_gunicorn_with_healthcheck() -> None:
    assert re.search(r"^FROM python:3\.\d+-slim", DOCKERFILE, re.M)
    assert re.search(r"^USER cds$", DOCKERFILE, re.M)
    assert "HEALTHCHECK" in DOCKERFILE and "/healthz" in DOCKERFILE
    assert '"hamstring-cds", "serve"' in DOCKERFILE
    for env in re.findall(r"\b(CDS_[A-Z_]+)=", DOCKERFILE):
        assert env in SETTINGS
