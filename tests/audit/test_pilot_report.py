"""`hamstring-cds audit pilot-report` (issue 16 §3): per silent criterion, the calls it would have fired on, the
distinct patients, how many of those calls showed active cards (and which), on SQLite and PostgreSQL; records
written through the audit trail's own writer (journal, writer thread, database)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from cds_service.audit.records import CallRecord, CardRecord, now_utc
from tests.audit.support import ROOT, SIGN, example, violating
from tests.audit.test_operations import cli

DAY = datetime(2026, 11, 20, 10, 0)


def silent_guideline(tmp_path: Path, *criteria: str) -> Path:
    text = (ROOT / "cards" / "guideline.toml").read_text()
    for cid in criteria:
        assert f"[criteria.{cid}]\n" in text
        text = text.replace(f"[criteria.{cid}]\n", f"[criteria.{cid}]\nsilent = true\n", 1)
    path = tmp_path / "pilot.toml"
    path.write_text(text)
    return path


def card(cid: str, silent: bool) -> CardRecord:
    return CardRecord(uuid=f"{cid}-{'s' if silent else 'a'}-{id(object())}-{now_utc().timestamp()}", criterion_id=cid,
                      indicator="warning", silent=silent, summary="s", observed={}, thresholds={}, suggestion_uuids=[])


def call(patient: str | None, *cards: CardRecord, at: datetime = DAY, version: str = "2026.11.0",
         in_population: bool = True) -> CallRecord:
    return CallRecord(service_id="hamstring-rehab-order-sign", status=200, received_at=at, latency_ms=2.0,
                      guideline_version=version, guideline_sha256="0" * 64, hook="order-sign",
                      patient_pseudonym=patient, in_population=in_population, cards=list(cards))


def write_synthetic_calls(app: Flask) -> None:
    store = app.extensions["cds"].store
    for record in [
        call("p1", card("HAM-09", True), card("HAM-01", False)),
        call("p1", card("HAM-09", True), version="2026.10.0"),  # silent only: no active card shown
        call("p2", card("HAM-09", True), card("HAM-01", False), card("HAM-02", False)),
        call("p3", card("HAM-13", True), card("HAM-13", True)),  # two silent cards, one call
        call("p4", card("HAM-01", False)),  # in population, nothing silent
        call("p5", card("HAM-09", True), at=datetime(2026, 10, 1, 9, 0)),  # before the range
        call(None, in_population=False),
    ]:
        store.record_call(record)
    assert store.flush(), "the audit writer did not commit the records"


def report(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], settings: dict[str, Any],
           guideline: Path, *extra: str) -> tuple[int, str]:
    monkeypatch.setenv("CDS_GUIDELINE_FILE", str(guideline))
    code, out, _ = cli(monkeypatch, capsys, settings, "audit", "pilot-report", "--since", "2026-11-01",
                       "--until", "2026-11-30", *extra)
    return code, out


def test_each_silent_criterion_with_calls_patients_and_active_cards(
        make_app: Callable[..., Flask], audit_settings: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    guideline = silent_guideline(tmp_path, "HAM-09", "HAM-12")  # HAM-13 was silent in the records only
    write_synthetic_calls(make_app(guideline_file=guideline))
    code, out = report(monkeypatch, capsys, audit_settings, guideline, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert (data["calls_in_population"], data["patients_in_population"]) == (5, 4)
    rows = {r["criterion"]: r for r in data["criteria"]}
    assert list(rows) == ["HAM-09", "HAM-12", "HAM-13"]
    assert rows["HAM-09"] == {
        "criterion": "HAM-09", "silent_in_configuration": True, "calls": 3, "patients": 2, "with_active_cards": 2,
        "without_active_cards": 1, "silent_cards": 3, "alongside": [{"criterion": "HAM-01", "calls": 2},
                                                                    {"criterion": "HAM-02", "calls": 1}],
        "guideline_versions": ["2026.10.0", "2026.11.0"], "title": rows["HAM-09"]["title"], "calls_per_100": 60.0}
    assert rows["HAM-12"]["calls"] == rows["HAM-12"]["patients"] == 0 and rows["HAM-12"]["silent_in_configuration"]
    assert (rows["HAM-13"]["calls"], rows["HAM-13"]["silent_cards"], rows["HAM-13"]["patients"]) == (1, 2, 1)
    assert rows["HAM-13"]["with_active_cards"] == 0 and not rows["HAM-13"]["silent_in_configuration"]
    assert "null" not in out

    code, out = report(monkeypatch, capsys, audit_settings, guideline, "--format", "csv")
    table = {r["criterion"]: r for r in csv.DictReader(io.StringIO(out))}
    assert (table["HAM-09"]["calls"], table["HAM-09"]["patients"], table["HAM-09"]["with_active_cards"]) == (
        "3", "2", "2")
    assert table["HAM-09"]["alongside"] == "HAM-01: 2; HAM-02: 1"
    code, out = report(monkeypatch, capsys, audit_settings, guideline)  # text is the default
    assert "HAM-09" in out and "would have fired on 3 calls, 60.0 per 100 calls for 2 patients; 2 of those calls " \
                               "also showed active cards" in out
    assert "HAM-13" in out and "no longer silent" in out and "alongside HAM-01 (2), HAM-02 (1)" in out
    assert "would have fired on 1 call, 20.0 per 100 calls for 1 patient;" in out  # HAM-13: in the singular


def test_a_silent_criterion_in_real_calls_is_counted_and_not_shown(
        make_app: Callable[..., Flask], audit_settings: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    guideline = silent_guideline(tmp_path, "HAM-01")
    app = make_app(guideline_file=guideline)
    client = app.test_client()
    shown = [c["source"]["topic"]["code"] for c in client.post(SIGN, json=violating()).get_json()["cards"]]
    assert "HAM-01" not in shown and shown  # silent: evaluated, not returned; the others still are
    client.post(SIGN, json=violating())
    client.post(SIGN, json=example("order-sign-compliant"))
    assert app.extensions["cds"].store.flush()
    today = now_utc().date().isoformat()
    monkeypatch.setenv("CDS_GUIDELINE_FILE", str(guideline))
    code, out, _ = cli(monkeypatch, capsys, audit_settings, "audit", "pilot-report", "--since", today,
                       "--format", "json")
    ham01 = json.loads(out)["criteria"][0]
    assert code == 0 and ham01["criterion"] == "HAM-01"
    assert (ham01["calls"], ham01["patients"], ham01["with_active_cards"]) == (2, 1, 2)
    assert {a["criterion"] for a in ham01["alongside"]} == set(shown)


def test_no_silent_criterion_says_so(make_app: Callable[..., Flask], audit_settings: dict[str, Any],
                                     monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                     tmp_path: Path) -> None:
    make_app().extensions["cds"].store.flush()
    code, out = report(monkeypatch, capsys, audit_settings, ROOT / "cards" / "guideline.toml")
    assert code == 0 and "no criterion was evaluated silently" in out
