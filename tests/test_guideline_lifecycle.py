"""The guideline's lifecycle (issue 16 §3): validated at start-up; a retired guideline is refused by serve, the app
factory and evaluate; a draft, an overdue review or a day outside the effective period starts with a warning,
logged and on /readyz, by the service's own clock."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cards.config import GuidelineConfigError, load_guideline
from cards.lifecycle import LifecycleError
from cds_service import create_app
from cds_service.cli import main
from tests.test_health_and_config import ROOT, guideline_variant

SHIPPED = '[lifecycle]\nstatus = "active"\n'
EXAMPLE = ROOT / "examples" / "order-sign-violating.json"


def variant(tmp_path: Path, old: str, new: str) -> Path:
    return guideline_variant(tmp_path, old, new)


def retired(tmp_path: Path) -> Path:
    return variant(tmp_path, SHIPPED, '[lifecycle]\nstatus = "retired"\n')


def test_the_shipped_guideline_is_active_approved_and_due_for_review_in_the_future() -> None:
    lifecycle = load_guideline().lifecycle
    assert lifecycle.status == "active" and lifecycle.approval_date is not None
    assert lifecycle.last_review_date <= date(2026, 12, 6) < lifecycle.next_review_date
    assert lifecycle.effective_start <= date(2026, 11, 23)  # the tests' evaluation date is inside the period


@pytest.mark.parametrize(("old", "new", "message"), [
    ("next_review_date = 2027-10-28", "next_review_date = 2026-10-28", "next_review_date must come after"),
    ("effective_start = 2026-11-01", "effective_start = 2026-11-01\neffective_end = 2026-10-01",
     "effective_end must not come before"),
    ("approval_date = 2026-10-28\n", "", "an active guideline needs its approval_date"),
    (SHIPPED, '[lifecycle]\nstatus = "withdrawn"\n', "lifecycle.status"),
    ("next_review_date = 2027-10-28", 'next_review_date = "next year"', "lifecycle.next_review_date"),
    ("[lifecycle]\n", "[lifecycle_]\n", "lifecycle"),
])
def test_an_invalid_lifecycle_fails_start_up_naming_the_field(tmp_path: Path, old: str, new: str,
                                                               message: str) -> None:
    path = variant(tmp_path, old, new)
    with pytest.raises(GuidelineConfigError, match=message) as failure:
        load_guideline(path)
    assert str(path) in str(failure.value)


def test_a_draft_needs_no_approval_date(tmp_path: Path) -> None:
    path = variant(tmp_path, SHIPPED + "approval_date = 2026-10-28\n", '[lifecycle]\nstatus = "draft"\n')
    assert load_guideline(path).lifecycle.approval_date is None


def test_the_app_factory_refuses_a_retired_guideline_naming_the_file(tmp_path: Path, settings: dict[str, Any]) -> None:
    path = retired(tmp_path)
    with pytest.raises(LifecycleError, match="is retired") as failure:
        create_app({**settings, "guideline_file": path})
    assert str(path) in str(failure.value) and "2026.11.0" in str(failure.value)


@pytest.mark.parametrize("argv", [["serve", "--port", "9"], ["evaluate", str(EXAMPLE)]])
def test_serve_and_evaluate_refuse_a_retired_guideline_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str],
                                                                   argv: list[str]) -> None:
    path = retired(tmp_path)
    monkeypatch.setenv("CDS_GUIDELINE_FILE", str(path))
    monkeypatch.setenv("CDS_INSTANCE_PATH", str(tmp_path / "instance"))
    assert main(argv) == 2  # serve stops before migrating or starting a worker
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"hamstring-cds: {path}: guideline version 2026.11.0 is retired")


def test_the_shipped_guideline_starts_without_lifecycle_warnings(settings: dict[str, Any],
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(settings, today=lambda: date(2026, 12, 6))
    body = app.test_client().get("/readyz").get_json()
    assert body["guideline"]["status"] == "active" and "warnings" not in body["guideline"]
    assert body["guideline"]["nextReviewDate"] == "2027-10-28"
    assert "GUIDELINE" not in caplog.text


@pytest.mark.parametrize(("old", "new", "today", "warning"), [
    (SHIPPED + "approval_date = 2026-10-28\n", '[lifecycle]\nstatus = "draft"\n', date(2026, 12, 6),
     "is a draft"),
    ("next_review_date = 2027-10-28", "next_review_date = 2027-10-28", date(2027, 10, 29),
     "review is overdue: next review was due on 2027-10-28"),
    ("effective_start = 2026-11-01", "effective_start = 2027-01-01", date(2026, 12, 6),
     "not yet in force: its effective period starts on 2027-01-01"),
    ("effective_start = 2026-11-01", "effective_start = 2026-11-01\neffective_end = 2026-11-30", date(2026, 12, 6),
     "no longer in force: its effective period ended on 2026-11-30"),
])
def test_lifecycle_news_is_a_start_up_warning_and_a_readyz_detail_never_unready(
        tmp_path: Path, settings: dict[str, Any], caplog: pytest.LogCaptureFixture, old: str, new: str, today: date,
        warning: str) -> None:
    path = variant(tmp_path, old, new)
    with caplog.at_level(logging.WARNING):
        app = create_app({**settings, "guideline_file": path}, today=lambda: today)
    assert any(r.levelno == logging.WARNING and warning in r.getMessage() and str(path) in r.getMessage()
               for r in caplog.records)
    response = app.test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "ready"
    assert [w for w in body["guideline"]["warnings"] if warning in w]


def test_readyz_follows_the_service_clock_past_the_review_date(settings: dict[str, Any]) -> None:
    """A service started before its review date warns once the date has passed, without a restart."""
    clock = {"today": date(2027, 10, 28)}
    app = create_app(settings, today=lambda: clock["today"])
    assert "warnings" not in app.test_client().get("/readyz").get_json()["guideline"]
    clock["today"] = date(2027, 10, 29)
    assert app.test_client().get("/readyz").get_json()["guideline"]["warnings"] == [
        "the guideline's review is overdue: next review was due on 2027-10-28"]
