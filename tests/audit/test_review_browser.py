"""The review pages in a real headless browser (Debian chromium driven by Playwright; no browser
download). Skips, saying why, where chromium is absent; .ci/run installs it in CI. A screenshot of
the dashboard is kept at artifacts/review-dashboard.png (of the analytics at artifacts/review-analytics.png, of a
call at artifacts/review-call.png)."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.audit.support import ROOT, SIGN, violating
from tests.audit.test_review import USERS, login, seed

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = ROOT / "artifacts"
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; "
                                                          ".ci/run installs it in CI)")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """One backend is enough for the browser; the pages' queries run on both in test_review.py."""
    return f"sqlite:///{tmp_path / 'audit.sqlite3'}"


@pytest.fixture
def served(make_app: Callable[..., Flask], tmp_path: Path) -> Iterator[str]:
    from tests.audit.test_trail import silent_guideline

    seed(make_app())
    app = make_app(review_users=USERS, guideline_file=silent_guideline(tmp_path, "HAM-02"))  # a pilot roll-out
    assert len(app.test_client().post(SIGN, json=violating()).get_json()["cards"]) == 1
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def test_review_pages_in_a_real_browser(served: str) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            for credentials in (None, {"username": "quality", "password": "wrong password"}):
                refused = browser.new_context(http_credentials=credentials)  # type: ignore[arg-type]
                assert refused_in_browser(refused, f"{served}/review/")
                assert refused.request.get(f"{served}/review/calls").status == 401
                refused.close()

            context = browser.new_context(extra_http_headers=login(), viewport={"width": 1280, "height": 1000})
            page = context.new_page()
            response = page.goto(f"{served}/review/")
            assert response is not None and response.status == 200
            assert page.locator("#total-calls").inner_text() == "5"
            assert page.locator("#cards-chart polyline").count() == 2  # HAM-01 and HAM-02
            row = page.locator("#criteria tr", has_text="HAM-02")
            assert row.locator("td.silent").inner_text() == "1"  # would have fired once more
            page.screenshot(path=str(ARTIFACTS / "review-dashboard.png"), full_page=True)
            assert "No flags" in page.locator("#monitor-flags").inner_text()

            page.locator("header a", has_text="Analytics").click()
            assert page.locator("h1").inner_text() == "Feedback analytics"
            assert page.locator("svg.criterion-chart").count() == 2  # HAM-01 and HAM-02 over time
            assert page.locator("table.comments", has_text="Travelling for 6 weeks").count() == 1
            page.select_option("select[name=by]", "service_id")
            page.locator("button", has_text="Show").click()
            assert "by=service_id" in page.url and page.locator("h2", has_text="service_id").count() == 1
            page.screenshot(path=str(ARTIFACTS / "review-analytics.png"), full_page=True)

            page.locator("header a", has_text="Calls").click()
            page.select_option("select[name=criterion]", "HAM-01")
            page.locator("button", has_text="Filter").click()
            assert "criterion=HAM-01" in page.url
            assert page.locator("#calls tr").count() == 1 + 3  # header + the three calls with HAM-01
            page.locator("#calls a").first.click()
            assert page.locator("h1").inner_text().startswith("Call #5")
            assert page.locator("section.card", has_text="silent: would have fired").count() == 1
            assert page.locator("section.card", has_text="min_program_days").count() == 1
            page.screenshot(path=str(ARTIFACTS / "review-call.png"), full_page=True)
        finally:
            browser.close()
    assert (ARTIFACTS / "review-dashboard.png").stat().st_size > 10_000


def refused_in_browser(context: Any, url: str) -> bool:
    """Chromium either shows the 401 page or, having no (right) credentials to answer the Basic
    challenge with, abandons the navigation; both are a refusal, and neither shows review data."""
    from playwright.sync_api import Error

    page = context.new_page()
    try:
        response = page.goto(url)
    except Error as exc:
        return "ERR_INVALID_AUTH_CREDENTIALS" in str(exc)
    return response is not None and response.status == 401 and "HAM-" not in page.content()
