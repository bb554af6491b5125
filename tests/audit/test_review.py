"""/review and /review/api: refused without a reviewer login, then the dashboard, the filterable call
list with keyset pages, a call's cards with observed values, thresholds and feedback."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import check_password_hash, generate_password_hash

from cds_service.audit.records import CallRecord, CardRecord, now_utc
from cds_service.cli import main
from cds_service.settings import Settings
from tests.audit.support import SIGN, seed, violating

PASSWORD = "correct horse battery staple"
USERS = {"quality": generate_password_hash(PASSWORD)}


def login(user: str = "quality", password: str = PASSWORD) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}




@pytest.fixture
def reviewer_app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(review_users=USERS)


@pytest.mark.parametrize("path", ["/review/", "/review/calls", "/review/calls/1", "/review/api", "/review/api/summary",
                                  "/review/api/calls", "/review/api/calls/1"])
def test_review_refuses_without_a_valid_login(reviewer_app: Flask, make_app: Callable[..., Flask], path: str) -> None:
    client = reviewer_app.test_client()
    for headers in ({}, login(password="wrong password"), login(user="nobody"),
                    {"Authorization": "Bearer x.y.z"}):
        response = client.get(path, headers=headers)
        assert response.status_code == 401 and "Basic" in response.headers["WWW-Authenticate"]
        assert b"HAM-" not in response.data
        assert response.is_json and response.json["issue"][0]["code"] == "login"  # a JSON OperationOutcome
    closed = make_app()  # no reviewer configured: nobody gets in, whatever they send
    assert closed.test_client().get(path, headers=login()).status_code == 401


def test_the_start_says_when_review_is_closed(make_app: Callable[..., Flask],
                                              caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="cds_service.app"):
        make_app()
    assert "/review is closed: no reviewer logins (CDS_REVIEW_USERS" in caplog.text
    caplog.clear()
    with caplog.at_level("INFO", logger="cds_service.app"):
        make_app(review_users=USERS)
    assert "/review is closed" not in caplog.text


def test_review_users_must_be_password_hashes() -> None:
    with pytest.raises(ValueError, match="password hash"):
        Settings(review_users={"quality": PASSWORD})


def test_review_password_command_prints_a_hash(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["review-password"]) == 0
    hashed = capsys.readouterr().out.strip()
    assert check_password_hash(hashed, PASSWORD) and PASSWORD not in hashed
    Settings(review_users={"quality": hashed})
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["review-password"]) == 2


def test_dashboard_shows_rates_reasons_latency_and_silent_counts(reviewer_app: Flask) -> None:
    seed(reviewer_app)
    client = reviewer_app.test_client()
    page = client.get("/review/", headers=login())
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert 'id="cards-chart"' in html and "HAM-01" in html and "Patient declined" in html
    summary = client.get("/review/api/summary", headers=login()).get_json()
    assert summary["calls"] == 4 and summary["zero_card_calls"] == 2 and summary["error_calls"] == 1
    by_criterion = {c["criterion"]: c for c in summary["criteria"]}
    assert by_criterion["HAM-01"]["shown"] == 2 and by_criterion["HAM-01"]["accepted"] == 1
    assert by_criterion["HAM-01"]["acceptance_rate"] == 0.5
    assert by_criterion["HAM-02"]["overridden"] == 1 and by_criterion["HAM-02"]["override_rate"] == 0.5
    assert summary["override_reasons"] == [{"code": "patient-declined", "display": "Patient declined",
                                            "count": 1}]  # urn:x: not our system, so no standard_code
    assert summary["latency_ms"]["p50"] is not None and summary["latency_ms"]["p99"] >= summary["latency_ms"]["p50"]


def test_dashboard_names_a_local_reason_sent_without_display(reviewer_app: Flask) -> None:
    """EHRs often send the code alone: the dashboard shows the configured display, as the analytics do."""
    client = reviewer_app.test_client()
    card = client.post(SIGN, json=violating()).get_json()["cards"][0]
    client.post(f"{SIGN}/feedback", json={"feedback": [
        {"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-11-23T10:01:00Z",
         "overrideReason": {"reason": {"system": "urn:hamstring-rehab-cds:override-reason",
                                       "code": "clinical-judgement"}}}]})
    assert reviewer_app.extensions["cds"].store.flush()
    summary = client.get("/review/api/summary", headers=login()).get_json()
    assert summary["override_reasons"] == [{
        "code": "clinical-judgement", "display": "Clinical judgement: guideline does not apply to this patient",
        "standard_code": "cds-not-applicable", "count": 1}]
    html = client.get("/review/", headers=login()).get_data(as_text=True)
    assert "Clinical judgement" in html and "(no display)" not in html


def test_call_list_filters_and_drill_down(reviewer_app: Flask) -> None:
    first = seed(reviewer_app)
    client = reviewer_app.test_client()

    def ids(**query: str) -> list[int]:
        body = client.get("/review/api/calls", query_string=query, headers=login()).get_json()
        return [c["id"] for c in body["calls"]]

    assert ids() == [4, 3, 2, 1]
    assert ids(criterion="HAM-01") == [2, 1] and ids(indicator="critical") == []
    assert ids(outcome="accepted") == [1] and ids(outcome="overridden") == [1] and ids(outcome="no-feedback") == [2]
    assert ids(service="hamstring-rehab-patient-view") == []
    today = now_utc().date()
    assert ids(since=today.isoformat(), until=today.isoformat()) == [4, 3, 2, 1]
    assert ids(until=(today - timedelta(days=1)).isoformat()) == []
    html = client.get("/review/calls?criterion=HAM-02", headers=login()).get_data(as_text=True)
    assert "#1</a>" in html and "#3</a>" not in html

    detail = client.get("/review/api/calls/1", headers=login()).get_json()
    card = next(c for c in detail["cards"] if c["uuid"] == first[1]["uuid"])
    assert card["thresholds"]["min_supervised_sessions"] == 12 and card["observed"]
    assert card["feedback"][0]["override_comment"] == "Travelling for 6 weeks"
    page = client.get("/review/calls/1", headers=login()).get_data(as_text=True)
    assert "min_supervised_sessions" in page and "Travelling for 6 weeks" in page and first[0]["uuid"] in page
    assert client.get("/review/calls/999", headers=login()).status_code == 404
    assert client.get("/review/calls?since=yesterday", headers=login()).status_code == 400


def test_call_list_pages_by_keyset(reviewer_app: Flask) -> None:
    store = reviewer_app.extensions["cds"].store
    at = now_utc()
    store.repository.write_calls([
        CallRecord(service_id="hamstring-rehab-order-sign", status=200, received_at=at, latency_ms=1.0,
                   guideline_version="t", guideline_sha256="0" * 64,
                   cards=[CardRecord(uuid=f"card-{i}", criterion_id="HAM-01", indicator="warning", silent=False,
                                     summary="s", observed={"program_days": i}, thresholds={}, suggestion_uuids=[])])
        for i in range(120)])
    client: FlaskClient = reviewer_app.test_client()
    seen: list[int] = []
    url: str | None = "/review/api/calls?criterion=HAM-01"
    while url:
        body = client.get(url, headers=login()).get_json()
        seen += [c["id"] for c in body["calls"]]
        url = f"/review/api/calls?criterion=HAM-01&before={body['nextBefore']}" if "nextBefore" in body else None
    assert seen == list(range(120, 0, -1))
    html = client.get("/review/calls", headers=login()).get_data(as_text=True)
    assert 'id="next-page"' in html and "before=71" in html


def test_the_api_index_lists_every_endpoint_and_each_answers(reviewer_app: Flask) -> None:
    client = reviewer_app.test_client()
    listed = ("/review/api/summary", "/review/api/calls", "/review/api/analytics", "/review/api/monitor")
    for index in ("/review/api", "/review/api/"):
        assert set(listed) <= set(client.get(index, headers=login()).get_json()["endpoints"])
    for path in listed:
        assert client.get(path, headers=login()).status_code == 200, path


def nulls_in(value: object, where: str = "") -> list[str]:
    if value is None:
        return [where or "(top)"]
    if isinstance(value, dict):
        return [n for k, v in value.items() for n in nulls_in(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [n for i, v in enumerate(value) for n in nulls_in(v, f"{where}[{i}]")]
    return []


def test_the_api_answers_hold_no_nulls(reviewer_app: Flask) -> None:
    """A value the audit does not hold (no standard code, no next page, no tenant) is left out, not null."""
    seed(reviewer_app)
    client = reviewer_app.test_client()
    first = client.get("/review/api/calls", headers=login()).get_json()["calls"][0]["id"]
    for path in ("/review/api/summary", "/review/api/calls", f"/review/api/calls/{first}", "/review/api/analytics",
                 "/review/api/analytics?by=service_id", "/review/api/monitor"):
        assert nulls_in(client.get(path, headers=login()).get_json()) == [], path


@pytest.mark.parametrize("path", [
    "/review/api/calls/99999999999999999999999", "/review/calls/99999999999999999999999",
    "/review/api/calls?before=99999999999999999999999", "/review/api/summary?until=9999-12-31",
    "/review/api/summary?until=0001-01-05", "/review/api/analytics?until=0001-02-01", "/review/?until=0001-01-02",
    "/review/api/summary?since=2026-13-01"])
def test_out_of_range_ids_and_days_are_answered_without_an_internal_error(reviewer_app: Flask, path: str) -> None:
    """An id past 64 bits names no call (404; as `before`, it pages from the newest), a day whose range would
    leave the calendar or is no day at all is refused naming its parameter (400): none is a 500."""
    seed(reviewer_app)
    response = reviewer_app.test_client().get(path, headers=login())
    assert response.status_code in (200, 400, 404), response.get_data(as_text=True)
    assert response.is_json or (response.status_code == 200 and path.startswith("/review/?"))
    if "before=" in path:
        assert response.status_code == 200 and response.get_json()["calls"]
    elif "9999-12-31" in path or "2026-13-01" in path:
        assert response.status_code == 400 and response.get_json()["issue"][0]["expression"] in (["until"], ["since"])
    elif "/calls/" in path:
        assert response.status_code == 404
    else:
        assert response.status_code == 200
