"""Feedback analytics (issue 16 §1): daily rollups written with each batch (and counted once under spool
replay) agree with a rebuild; override reasons coded to the HL7 non-adherence reason codes while cards stay
CDS Hooks 2.0; per-criterion figures with no-feedback counts, groups, comments; the report command."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from cards.config import GuidelineConfigError, load_guideline
from cds_service.audit import rollup
from cds_service.audit.models import feedback, rollup_feedback, rollup_latency
from cds_service.audit.models import rollup as rollup_table
from cds_service.audit.records import CallRecord, CardRecord, FeedbackRecord, now_utc
from cds_service.schemas import CdsResponse
from tests.audit.support import ROOT, SIGN, seed, violating
from tests.audit.test_operations import cli
from tests.audit.test_review import USERS, login

LOCAL = "urn:hamstring-rehab-cds:override-reason"
STANDARD = "http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes"


def overridden(card: dict[str, Any], system: str, code: str, comment: str | None = None,
               at: str = "2026-11-23T11:00:00Z") -> dict[str, Any]:
    reason: dict[str, Any] = {"reason": {"system": system, "code": code}}
    if comment:
        reason["userComment"] = comment
    return {"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": at, "overrideReason": reason}


def traffic(app: Flask) -> list[dict[str, Any]]:
    """seed() plus a third violating call whose cards are overridden with a local and a standard code."""
    seed(app)
    cards = app.test_client().post(SIGN, json=violating()).get_json()["cards"]
    response = app.test_client().post(f"{SIGN}/feedback", json={"feedback": [
        overridden(cards[0], LOCAL, "patient-declined", "Prefers to train with his club physio"),
        overridden(cards[1], STANDARD, "action-completed")]})
    assert response.status_code == 200
    return cards


def rollups(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    with app.extensions["cds"].store.reader().engine.connect() as db:
        return {t.name: sorted(tuple(r) for r in db.execute(select(t)))
                for t in (rollup_table, rollup_feedback, rollup_latency)}


def test_rollups_written_with_each_batch_agree_with_a_rebuild(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    traffic(app)
    written = rollups(app)
    assert written["audit_rollup"] and written["audit_rollup_feedback"] and written["audit_rollup_latency"]
    with app.extensions["cds"].store.repository.engine.begin() as db:
        counted = rollup.rebuild(db)
    assert counted == {"calls": 5, "cards": 6, "feedback": 4}
    assert rollups(app) == written


def test_replayed_records_and_early_feedback_count_once(make_app: Callable[..., Flask]) -> None:
    app = make_app(review_users=USERS)
    repository = app.extensions["cds"].store.repository
    card = CardRecord(uuid="card-1", criterion_id="HAM-01", indicator="warning", silent=False, summary="s",
                      observed={}, thresholds={}, suggestion_uuids=["sug-1"], suggestion_labels=["Extend"])
    record = CallRecord(service_id="hamstring-rehab-order-sign", status=200, received_at=now_utc(), latency_ms=2.0,
                        guideline_version="t", guideline_sha256="0" * 64, hook="order-sign", in_population=True,
                        cards=[card])
    early = FeedbackRecord(service_id=record.service_id, card_uuid="card-1", outcome="accepted",
                           accepted_suggestions=["sug-1"], outcome_timestamp=now_utc(), received_at=now_utc())
    assert repository.write_feedback([early]) == 1  # before its card (write-behind): not counted yet
    assert repository.write_calls([record], refresh_feedback=True) == 1
    once = rollups(app)
    assert repository.write_calls([record, record], refresh_feedback=True) == 0  # the spool replayed
    assert repository.write_feedback([early]) == 0
    assert rollups(app) == once
    body = app.test_client().get("/review/api/analytics", headers=login()).get_json()
    ham01 = body["groups"][0]["criteria"][0]
    assert (ham01["shown"], ham01["accepted"], ham01["no_feedback"]) == (1, 1, 0)
    assert ham01["accepted_suggestions"] == [{"suggestion": "Extend", "count": 1}]


def test_override_reasons_are_coded_and_cards_stay_cds_hooks_2(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    response = app.test_client().post(SIGN, json=violating()).get_json()
    CdsResponse.model_validate(response)  # strict CDS Hooks 2.0 response model
    reasons = [r for c in response["cards"] for r in c.get("overrideReasons", [])]
    assert reasons and {r["system"] for r in reasons} == {LOCAL}  # cards offer the local codes only
    cards = response["cards"]
    app.test_client().post(f"{SIGN}/feedback", json={"feedback": [
        overridden(cards[0], LOCAL, "patient-declined"), overridden(cards[1], STANDARD, "action-completed"),
        overridden(cards[1], "urn:other-ehr", "declined", at="2026-11-23T12:00:00Z"),
        overridden(cards[0], STANDARD, "no-such-code", at="2026-11-23T12:00:00Z")]})
    with app.extensions["cds"].store.reader().engine.connect() as db:
        coded = {(r.override_code, r.standard_code) for r in db.execute(select(feedback))}
    assert coded == {("patient-declined", "patient-refuses"), ("action-completed", "action-completed"),
                     ("declined", None), ("no-such-code", None)}


def test_every_local_reason_needs_a_known_standard_code(tmp_path: Path) -> None:
    text = (ROOT / "cards" / "guideline.toml").read_text()
    for old, new, message in [('patient-declined = "patient-refuses"\n', "", "without a standard code"),
                              ('patient-declined = "patient-refuses"', 'patient-declined = "refused"',
                               "outside the non-adherence"),
                              ("[override_reasons.standard]\n",
                               '[override_reasons.standard]\nunknown = "limited-time"\n', "undefined override")]:
        assert old in text
        path = tmp_path / "guideline.toml"
        path.write_text(text.replace(old, new, 1))
        with pytest.raises(GuidelineConfigError, match=message):
            load_guideline(path)


def test_analytics_per_criterion_with_no_feedback_groups_and_comments(make_app: Callable[..., Flask]) -> None:
    app = make_app(review_users=USERS)
    traffic(app)
    client = app.test_client()
    body = client.get("/review/api/analytics", headers=login()).get_json()
    (group,) = body["groups"]
    assert (group["calls"], group["in_population"]) == (5, 4)  # the 400 is not in the population
    ham01 = next(c for c in group["criteria"] if c["criterion"] == "HAM-01")
    assert (ham01["shown"], ham01["accepted"], ham01["overridden"], ham01["no_feedback"]) == (3, 1, 1, 1)
    assert ham01["firing_rate"] == 75.0 and ham01["no_feedback_rate"] == 0.333
    local = next(r for r in ham01["override_reasons"] if r["code"] == "patient-declined")
    assert (local["standard_code"], local["category"]) == ("patient-refuses", "does-not-align-preferences")
    assert local["display"] == "Patient declined the recommendation"  # sent without; the configured display
    ham02 = next(c for c in group["criteria"] if c["criterion"] == "HAM-02")
    assert ham02["overridden"] == 2 and {r.get("standard_code") for r in ham02["override_reasons"]} == {
        None, "action-completed"}  # seed's urn:x reason is not coded (no standard_code member)
    comments = body["comments"]
    assert [c["comment"] for c in comments["HAM-01"]] == ["Prefers to train with his club physio"]
    assert comments["HAM-02"][0]["comment"] == "Travelling for 6 weeks"
    assert all(len(c["patient_pseudonym"]) == 64 for c in comments["HAM-01"])
    by_service = client.get("/review/api/analytics?by=service_id&period=week", headers=login()).get_json()
    assert [g["group"] for g in by_service["groups"]] == ["hamstring-rehab-order-sign"]
    assert by_service["series"]["HAM-01"][0]["period"].count("-W") == 1
    other = client.get("/review/api/analytics?service_id=hamstring-rehab-patient-view", headers=login())
    assert other.get_json()["groups"] == []
    page = client.get("/review/analytics", headers=login()).get_data(as_text=True)
    assert "patient-refuses" in page and "Prefers to train with his club physio" in page
    assert page.count('class="criterion-chart"') == 2 and "No feedback" in page.replace("no feedback", "No feedback")


def test_report_command_writes_csv_json_and_html(make_app: Callable[..., Flask], audit_settings: dict[str, Any],
                                                 monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:
    app = make_app()
    traffic(app)
    assert app.extensions["cds"].store.flush()
    today = now_utc().date().isoformat()
    code, out, err = cli(monkeypatch, capsys, audit_settings, "audit", "report", "--since", today, "--format", "csv")
    assert code == 0 and "criterion rows" in err
    rows = {r["criterion"]: r for r in csv.DictReader(io.StringIO(out))}
    assert rows["HAM-01"]["no_feedback"] == "1" and "patient-refuses (patient-declined): 1" in rows["HAM-01"][
        "override_reasons"]
    code, out, _ = cli(monkeypatch, capsys, audit_settings, "audit", "report", "--since", today, "--until", today,
                       "--format", "json", "--by", "guideline_version")
    assert code == 0 and json.loads(out)["by"] == "guideline_version"
    code, out, _ = cli(monkeypatch, capsys, audit_settings, "audit", "report", "--since", today, "--format", "json")
    assert code == 0 and "by" not in json.loads(out) and "null" not in out  # no grouping: left out, not null
    target = tmp_path / "pack.html"
    cli(monkeypatch, capsys, audit_settings, "audit", "report", "--since", today, "--format", "html",
        "--output", str(target))
    html = target.read_text()
    assert html.startswith("<!doctype html>") and "criterion-chart" in html and "club physio" in html
    assert "<script" not in html and "href=\"/review" not in html
