"""Firing-rate monitoring (issue 16 §2): synthetic traffic in which, after a guideline change, one criterion
stops firing and another spikes is flagged (by `hamstring-cds audit monitor` with a non-zero exit, on /review
and in /readyz); steady traffic with ordinary noise raises no flag; failing criteria and skipped resources."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from cds_service.audit.records import CallRecord, CardRecord, now_utc
from tests.audit.test_operations import cli
from tests.audit.test_review import USERS, login

SERVICE = "hamstring-rehab-order-sign"
CALLS_PER_DAY = 40
DAYS = 35  # the 7-day recent window and the 28-day baseline before it
STEADY = {"HAM-01": 0.25, "HAM-02": 0.20, "HAM-03": 0.05}
AFTER_CHANGE = {"HAM-01": 0.25, "HAM-02": 0.0, "HAM-03": 0.30}  # HAM-02 stops, HAM-03 spikes


def synthetic_calls(rates_before: dict[str, float], rates_after: dict[str, float], *, failed: str | None = None,
                    skipped_every: int = 0) -> list[CallRecord]:
    """DAYS days of in-population calls ending today; the recent 7 days use `rates_after` (a new version)."""
    rng = random.Random(16)
    today = now_utc().date()
    records = []
    for back in range(DAYS - 1, -1, -1):
        day = today - timedelta(days=back)
        recent = back < 7
        rates, version = (rates_after, "2026.12.0") if recent else (rates_before, "2026.11.0")
        for i in range(CALLS_PER_DAY):
            fired = [cid for cid, rate in rates.items() if rng.random() < rate]
            record = CallRecord(
                service_id=SERVICE, status=200, received_at=datetime.combine(day, datetime.min.time()) + timedelta(
                    minutes=10 * i), latency_ms=3.0, guideline_version=version, guideline_sha256="0" * 64,
                hook="order-sign", in_population=True,
                cards=[CardRecord(uuid=f"{day}-{i}-{cid}", criterion_id=cid, indicator="warning", silent=False,
                                  summary="s", observed={}, thresholds={}, suggestion_uuids=[]) for cid in fired])
            if recent and failed and i % 10 == 0:
                record.failed_criteria, record.partial = [failed], True
            if recent and skipped_every and i % skipped_every == 0:
                record.skipped_resources = [{"ref": "MedicationRequest/x", "reason": "unreadable"}]
                record.partial = True
            records.append(record)
    return records


def flags_of(result: dict[str, Any]) -> set[tuple[str, str | None]]:
    return {(f["kind"], f["criterion"]) for f in result["flags"]}


def test_a_criterion_that_stops_and_one_that_spikes_are_flagged(
        make_app: Callable[..., Flask], audit_settings: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    app = make_app(review_users=USERS)
    app.extensions["cds"].store.repository.write_calls(synthetic_calls(STEADY, AFTER_CHANGE))
    code, out, _ = cli(monkeypatch, capsys, audit_settings, "audit", "monitor", "--json")
    result = json.loads(out)
    assert code == 1 and flags_of(result) == {("stopped", "HAM-02"), ("spike", "HAM-03")}
    stopped = next(f for f in result["flags"] if f["kind"] == "stopped")
    assert stopped["recent"] == 0 and stopped["expected"] > 40 and stopped["service_id"] == SERVICE
    code, text, _ = cli(monkeypatch, capsys, audit_settings, "audit", "monitor")
    assert code == 1 and "STOPPED" in text and "SPIKE" in text and "HAM-01" not in text

    client = app.test_client()
    ready = client.get("/readyz").get_json()["monitoring"]
    assert ready["state"] == "flagged" and flags_of(ready) == flags_of(result)
    assert client.get("/readyz").status_code == 200  # flags are details, never unreadiness
    page = client.get("/review/", headers=login()).get_data(as_text=True)
    assert "<b>stopped</b> HAM-02" in page and "<b>spike</b> HAM-03" in page
    assert flags_of(client.get("/review/api/monitor", headers=login()).get_json()) == flags_of(result)


def test_steady_traffic_raises_no_flag(make_app: Callable[..., Flask], audit_settings: dict[str, Any],
                                       monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    app = make_app()
    app.extensions["cds"].store.repository.write_calls(synthetic_calls(STEADY, STEADY))
    code, out, _ = cli(monkeypatch, capsys, audit_settings, "audit", "monitor")
    assert code == 0 and "no flags" in out
    assert app.test_client().get("/readyz").get_json()["monitoring"]["state"] == "ok"


def test_failing_criteria_and_skipped_resources_are_flagged(
        make_app: Callable[..., Flask], audit_settings: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    app = make_app()
    app.extensions["cds"].store.repository.write_calls(
        synthetic_calls(STEADY, STEADY, failed="HAM-04", skipped_every=20))
    code, out, _ = cli(monkeypatch, capsys, audit_settings, "audit", "monitor", "--json")
    result = json.loads(out)
    assert code == 1 and flags_of(result) == {("failing", "HAM-04"), ("skipped-resources", None)}
    skipped = next(f for f in result["flags"] if f["kind"] == "skipped-resources")
    assert skipped["recent_rate"] == 5.0  # one call in 20
    monkeypatch.setenv("CDS_MONITOR_MAX_FAILURES", "100")
    monkeypatch.setenv("CDS_MONITOR_MAX_SKIPPED_PERCENT", "10")
    code, out, _ = cli(monkeypatch, capsys, audit_settings, "audit", "monitor", "--json")
    assert code == 0 and json.loads(out)["flags"] == []  # thresholds are settings
