"""Audit operations: JWT iss/jti in records (never the token), `hamstring-cds db upgrade`, exports
(CSV, JSON lines, FHIR AuditEvent Bundle), threshold replay over captured calls, retention prune."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from flask import Flask
from sqlalchemy import select, update

from cds_service.audit import database
from cds_service.audit.models import calls, captures, cards, feedback
from cds_service.audit.records import now_utc
from cds_service.cli import main
from tests.audit.support import ROOT, SIGN, all_at_once, example, seed, violating
from tests.builders import hook_request, pt_order, weekly
from tests.jwt_helpers import SigningKey, bearer, mint


def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], settings: dict[str, Any],
        *argv: str) -> tuple[int, str, str]:
    monkeypatch.setenv("CDS_DATABASE_URL", settings["database_url"])
    monkeypatch.setenv("CDS_INSTANCE_PATH", str(settings["instance_path"]))
    monkeypatch.setenv("CDS_AUTH_REQUIRED", "false")
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err




def test_jwt_issuer_and_jti_are_recorded_never_the_token(auth_settings: dict[str, Any], database_url: str,
                                                         es_key: SigningKey) -> None:
    from cds_service import create_app

    app = create_app({**auth_settings, "database_url": database_url})
    try:
        token = mint(es_key)
        body = hook_request("order-sign", [pt_order("pt-1", **weekly(4, 2))])
        assert app.test_client().post(SIGN, json=body, headers=bearer(token)).status_code == 200
        assert app.test_client().post(SIGN, json=body, headers=bearer(token)).status_code == 401  # replayed jti
        repository = app.extensions["cds"].store.reader()
        with repository.engine.connect() as db:
            accepted, refused = db.execute(select(calls).order_by(calls.c.id)).all()
            dump = json.dumps([dict(r._mapping) for r in db.execute(select(calls))], default=str)
        claims = json.loads(__import__("base64").urlsafe_b64decode(token.split(".")[1] + "=="))
        assert (accepted.jwt_iss, accepted.jwt_jti, accepted.status) == (claims["iss"], claims["jti"], 200)
        assert refused.status == 401 and refused.jwt_jti is None and refused.error == "Authentication required"
        assert token not in dump and token.split(".")[2] not in dump
    finally:
        app.extensions["cds"].store.close()


def test_db_upgrade_brings_an_empty_database_to_the_head_revision(
        audit_settings: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(monkeypatch, capsys, audit_settings, "db", "upgrade")
    engine = database.make_engine(audit_settings["database_url"])
    try:
        assert code == 0 and database.current_revision(engine) == database.head_revision(engine) == "0004"
        assert "schema revision: 0004" in out
        assert cli(monkeypatch, capsys, audit_settings, "db", "upgrade")[0] == 0  # idempotent
    finally:
        engine.dispose()


def test_exports_in_csv_jsonl_and_fhir(make_app: Callable[..., Flask], audit_settings: dict[str, Any],
                                       monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                       tmp_path: Path) -> None:
    first = seed(make_app())
    today = now_utc().date().isoformat()
    code, out, err = cli(monkeypatch, capsys, audit_settings, "audit", "export", "--since", today, "--format", "jsonl")
    assert code == 0 and "exported 4 calls" in err, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [c["status"] for c in lines] == [200, 200, 200, 400]
    assert "null" not in out and "error" not in lines[0] and "error" in lines[3]  # absent, not null
    card = next(c for c in lines[0]["cards"] if c["uuid"] == first[1]["uuid"])
    assert card["feedback"][0]["override_code"] == "patient-declined" and card["thresholds"] and card["observed"]

    target = tmp_path / "audit.csv"
    cli(monkeypatch, capsys, audit_settings, "audit", "export", "--since", today, "--until", today, "--format", "csv",
        "--output", str(target))
    table = list(csv.DictReader(io.StringIO(target.read_text())))
    assert len(table) == 2 + 2 + 1 + 1  # one row per card; a zero-card or refused call is one row
    assert {r["feedback_outcomes"] for r in table if r["card_uuid"] in {c["uuid"] for c in first}} == {
        "accepted", "overridden"}

    _, out, _ = cli(monkeypatch, capsys, audit_settings, "audit", "export", "--since", today, "--format", "fhir")
    bundle = Bundle.model_validate(json.loads(out))  # valid FHIR R4B
    events = [e.resource for e in bundle.entry]
    assert [e.get_resource_type() for e in events] == ["AuditEvent"] * 4
    assert [e.outcome for e in events] == ["0", "0", "0", "4"]
    names = {entity.name for entity in events[0].entity if entity.name}
    assert names == {"HAM-01", "HAM-02"}

    yesterday = (now_utc().date() - timedelta(days=1)).isoformat()
    _, out, _ = cli(monkeypatch, capsys, audit_settings, "audit", "export", "--since", yesterday, "--until",
                    yesterday)
    assert out == ""


def variant_guideline(tmp_path: Path) -> Path:
    text = (ROOT / "cards" / "guideline.toml").read_text()
    for old, new in [("min_program_days = 84", "min_program_days = 120"),
                     ("suggested_program_weeks = 12", "suggested_program_weeks = 18"),
                     ("min_supervised_sessions = 12", "min_supervised_sessions = 1")]:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / "other.toml"
    path.write_text(text)
    return path


def test_replay_reports_cards_that_would_newly_fire_or_stop_firing(
        make_app: Callable[..., Flask], audit_settings: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    app = make_app(audit_capture_requests=True)
    client = app.test_client()
    client.post(SIGN, json=violating())  # HAM-01 and HAM-02 fire
    client.post(SIGN, json=example("order-sign-compliant"))  # nothing fires
    assert app.extensions["cds"].store.flush()  # committed, as the CLI (another process) reads them
    today = now_utc().date().isoformat()
    code, out, err = cli(monkeypatch, capsys, audit_settings, "replay", "--since", today, "--config",
                         str(variant_guideline(tmp_path)), "--json")
    assert code == 0 and "2/2" in err, err  # the progress bar
    report = json.loads(out)
    assert report["replayed"] == 2 and report["notReplayable"] == 0
    assert report["criteria"]["HAM-01"]["newlyFire"] == 1 and report["criteria"]["HAM-01"]["stillFire"] == 1
    assert report["criteria"]["HAM-02"]["stopFiring"] == 1 and report["criteria"]["HAM-02"]["newlyFire"] == 0
    _, table, _ = cli(monkeypatch, capsys, audit_settings, "replay", "--since", today, "--config",
                      str(ROOT / "cards" / "guideline.toml"))
    assert "Replayed 2 captured calls" in table and "newly fire" in table  # same config: no change
    assert all(line.split()[1:3] == ["0", "0"] for line in table.splitlines()[2:])


def test_prune_removes_old_records_and_captures_by_retention(
        make_app: Callable[..., Flask], audit_settings: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    app = make_app(audit_capture_requests=True)
    seed(app)
    engine = app.extensions["cds"].store.reader().engine
    old = now_utc() - timedelta(days=100)
    mid = now_utc() - timedelta(days=40)
    with engine.begin() as db:
        ids = list(db.scalars(select(calls.c.id).order_by(calls.c.id)))
        db.execute(update(calls).where(calls.c.id == ids[0]).values(received_at=old))
        db.execute(update(feedback).values(received_at=old))
        db.execute(update(captures).where(captures.c.call_id == ids[1]).values(captured_at=mid))
    code, out, _ = cli(monkeypatch, capsys, audit_settings, "audit", "prune", "--older-than", "90")
    assert code == 0 and json.loads(out) == {"captures": 2, "cards": 2, "feedback": 2, "calls": 1}
    repository = app.extensions["cds"].store.reader()
    assert (repository.count(calls), repository.count(cards), repository.count(captures)) == (3, 2, 1)


@pytest.mark.parametrize("argv", [("audit", "prune", "--older-than", "-1"), ("audit", "prune", "--older-than", "0"),
                                  ("audit", "report", "--since", "yesterday"),
                                  ("audit", "export", "--since", "2026-12-06", "--until", "2026-12-01"),
                                  ("audit", "report", "--since", "2999-01-01"),  # printed "2999-01-01 to today"
                                  ("audit", "pilot-report", "--since", "2026-12-01", "--until", "9999-12-31")])
def test_a_prune_of_everything_or_an_empty_range_is_refused_saying_what_to_give(
        make_app: Callable[..., Flask], audit_settings: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]) -> None:
    """`--older-than 0` or a negative number deleted every record, today's included; an --until before
    --since answered with nothing, as for a range without calls."""
    app = make_app()
    seed(app)
    assert app.extensions["cds"].store.flush()
    with pytest.raises(SystemExit) as stopped:
        cli(monkeypatch, capsys, audit_settings, *argv)
    err = capsys.readouterr().err
    assert stopped.value.code == 2
    assert any(said in err for said in ("1 or more", "give YYYY-MM-DD", "--until 2026-12-01 is before --since",
                                        "--since 2999-01-01 is after today", "give a day from 1900-01-01"))
    assert app.extensions["cds"].store.reader().count(calls) == 4


@pytest.mark.parametrize("argv", [
    ("audit", "report", "--since", "2026-12-01"), ("audit", "monitor"), ("audit", "export", "--since", "2026-12-01"),
    ("replay", "--since", "2026-12-01", "--config", str(ROOT / "cards" / "guideline.toml"))])
def test_audit_commands_away_from_the_service_say_where_they_looked(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
        argv: tuple[str, ...]) -> None:
    """Run from another folder, they made an empty store there and reported on it: no calls, no flags."""
    monkeypatch.setenv("CDS_INSTANCE_PATH", str(tmp_path / "instance"))
    assert main(list(argv)) == 2
    assert f"no audit trail at {tmp_path / 'instance' / 'cds.sqlite3'}: run this where the service runs" in (
        capsys.readouterr().err)
    assert not (tmp_path / "instance" / "cds.sqlite3").exists()


def test_migrations_build_exactly_the_tables_the_models_describe(
        audit_settings: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from cds_service.audit.models import metadata

    assert cli(monkeypatch, capsys, audit_settings, "db", "upgrade")[0] == 0
    engine = database.make_engine(audit_settings["database_url"])
    try:
        with engine.connect() as db:
            differences = compare_metadata(MigrationContext.configure(db), metadata)
        assert differences == []
    finally:
        engine.dispose()


def _upgrade_after(url: str, barrier: Any, results: Any) -> None:
    """In a worker process: wait for the others, then bring the database to head (as a worker that
    finds an unmigrated database does on its first record)."""
    engine = database.make_engine(url)
    try:
        barrier.wait(timeout=30)
        database.upgrade(engine)
        results.put(("ok", database.current_revision(engine)))
    except Exception as exc:  # noqa: BLE001 - reported to the test
        results.put(("error", f"{type(exc).__name__}: {exc}"[:300]))
    finally:
        engine.dispose()


def test_workers_migrating_a_new_database_at_once_all_succeed(database_url: str) -> None:
    """Several processes (gunicorn workers, a `db upgrade` beside `serve`) finding the same empty
    database: one migrates, the others wait for it and find the schema at head; none fails with
    'table already exists' (its audit batch would go to the spool with an error in the log)."""
    assert all_at_once(_upgrade_after, 4, database_url) == [("ok", "0004")] * 4
