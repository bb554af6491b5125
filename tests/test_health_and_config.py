"""Health endpoints, settings, start-up validation of the guideline config, package boundaries."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from cards.config import GuidelineConfigError, load_guideline
from cds_service.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_healthz(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_reports_guideline_and_store(client: FlaskClient) -> None:
    body = client.get("/readyz").get_json()
    assert body["status"] == "ready" and body["store"] == "ok"
    assert body["guideline"]["sha256"] == load_guideline().sha256


def test_criteria_page_lists_configured_thresholds(client: FlaskClient) -> None:
    body = client.get("/criteria").get_json()
    by_id = {c["id"]: c for c in body["criteria"]}
    assert by_id["HAM-01"]["thresholds"]["min_program_days"] == 84
    assert by_id["HAM-02"]["localPolicy"]
    for criterion in body["criteria"]:  # no empty member: HAM-00 has no thresholds, evidence or local policy
        assert all(value not in ("", [], {}, None) for value in criterion.values()), criterion
    assert "thresholds" not in by_id["HAM-00"] and by_id["HAM-00"]["silent"] is False


def test_allowlist_from_environment_is_normalized(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDS_FHIR_SERVER_ALLOWLIST", "https://FHIR.example.org:443/r4, http://127.0.0.1:8080/")
    monkeypatch.setenv("CDS_FHIR_ALLOW_HTTP_LOOPBACK", "true")
    assert Settings().fhir_server_allowlist == ["https://fhir.example.org", "http://127.0.0.1:8080"]


def test_toml_config_file_is_read_and_environment_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "cds.toml"
    config.write_text('fhir_max_pages = 7\nfhir_time_budget_seconds = 1.5\n')
    monkeypatch.setenv("CDS_CONFIG", str(config))
    monkeypatch.setenv("CDS_FHIR_MAX_PAGES", "9")
    settings = Settings()
    assert settings.fhir_max_pages == 9 and settings.fhir_time_budget_seconds == 1.5


def test_unknown_setting_in_toml_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "cds.toml"
    config.write_text("fhir_max_pagez = 7\n")
    monkeypatch.setenv("CDS_CONFIG", str(config))
    with pytest.raises(ValueError, match="fhir_max_pagez"):
        Settings()


def guideline_variant(tmp_path: Path, old: str, new: str) -> Path:
    text = (ROOT / "cards" / "guideline.toml").read_text()
    assert old in text
    path = tmp_path / "guideline.toml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(("old", "new", "message"), [
    ("min_supervised_sessions = 12", "min_supervised_sessions = 12\nmax_sessions = 3", "HAM-02 thresholds"),
    ("min_supervised_sessions = 12", "", "HAM-02 thresholds"),
    ("[criteria.HAM-01]", "[criteria.HAM-99]\ntitle='x'\nindicator='info'\nfires_when='x'\nsummary='x'\ndetail='x'\n"
                          "thresholds={}\n[criteria.HAM-01]", "without logic"),
    ('summary = "Rehab program', 'summary = "' + "x" * 120 + ' Rehab program', "max 139"),
    ('evidence = ["kemp2020"]', 'evidence = ["nobody2030"]', "undefined evidence"),
    ('indicator = "warning"', 'indicator = "urgent"', "indicator"),
    ("{program_days} days is", "{program_dayz} days is", "unknown placeholders"),
    ("suggested_program_weeks = 12", "suggested_program_weeks = 11", "re-fires"),
    ('title = "Rehabilitation program shorter than 3 months"', 'title = "  "', "criteria.HAM-01.title"),
    ('id = "hamstring-pain-during-pt"', 'id = "hamstring pain/PT"', "guideline.id"),  # not a FHIR id
    ('version = "2026.11.0"', 'version = " "', "guideline.version"),
])
def test_invalid_guideline_config_fails_start_up(tmp_path: Path, old: str, new: str, message: str) -> None:
    with pytest.raises(GuidelineConfigError, match=message):
        load_guideline(guideline_variant(tmp_path, old, new))


def test_app_refuses_to_start_on_invalid_guideline(tmp_path: Path, settings: dict[str, Any]) -> None:
    from cds_service import create_app

    bad = guideline_variant(tmp_path, "min_program_days = 84", "min_program_days = 'eighty-four'")
    with pytest.raises(GuidelineConfigError):
        create_app({**settings, "guideline_file": bad})


def test_criterion_missing_from_config_fails_start_up(tmp_path: Path) -> None:
    kept, dropping = [], False
    for line in (ROOT / "cards" / "guideline.toml").read_text().splitlines():
        if line.startswith("["):
            dropping = line.startswith("[criteria.HAM-02")
        if not dropping:
            kept.append(line)
    path = tmp_path / "g.toml"
    path.write_text("\n".join(kept))
    with pytest.raises(GuidelineConfigError, match="without config"):
        load_guideline(path)


FORBIDDEN = {
    "cards": ("flask", "requests", "fhir", "cds_service", "fhir_mappings", "werkzeug", "sqlalchemy"),
    "fhir_mappings": ("flask", "cds_service", "werkzeug", "requests"),
}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_import_direction(package: str) -> None:
    """cds_service -> fhir_mappings -> cards: the clinical core imports no framework."""
    offenders = []
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN[package]]
    assert offenders == []


def test_fhir_models_are_r4_only() -> None:
    pattern = re.compile(r"fhir\.resources\.(?!R4B\b)[A-Za-z]")
    offenders = [str(p) for pkg in ("cds_service", "fhir_mappings", "cards", "tests")
                 for p in (ROOT / pkg).rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []


def test_short_pseudonym_secret_stops_the_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDS_AUDIT_PSEUDONYM_SECRET", "short")
    with pytest.raises(ValueError, match="at least 16 bytes"):
        Settings()


@pytest.mark.parametrize("url", ["cds.example.org", "ftp://cds.example.org", "https://cds example.org", "https://"])
def test_a_public_base_url_that_is_not_an_http_url_is_refused(url: str) -> None:
    """Card links, feedback URLs and the exported GuidanceResponse.moduleUri are built on it."""
    with pytest.raises(ValueError, match="public http"):
        Settings(public_base_url=url)
    assert Settings(public_base_url="https://cds.example.org/").public_base_url == "https://cds.example.org"
