"""An unreachable database never costs an answer: records go to the spool and are replayed, once
each, when the database is back. Staged for real: SQLite whose folder cannot be made yet, and
PostgreSQL behind a dead port that comes alive (a loopback forwarder)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.engine import make_url

from cds_service.audit.models import calls, cards, feedback
from tests.audit.support import (
    NO_POSTGRES,
    POSTGRES_URL,
    SIGN,
    Forwarder,
    example,
    free_port,
    postgres_schema,
    violating,
    wait_until,
)

FEEDBACK = {"feedback": [{"card": "0f5c6a0e-8f0d-4c38-9a53-1f1d2b0c0e99", "outcome": "overridden",
                          "outcomeTimestamp": "2026-11-23T10:07:00Z"}]}  # a card this service never answered


class Outage:
    """A database URL that is down until `restore()`."""

    def __init__(self, url: str, restore: Callable[[], None]):
        self.url, self.restore = url, restore


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(not POSTGRES_URL,
                                                                                      reason=NO_POSTGRES))])
def outage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Outage]:
    if request.param == "sqlite":
        blocker = tmp_path / "db"
        blocker.write_text("a file where the database folder should be")
        yield Outage(f"sqlite:///{blocker / 'audit.sqlite3'}", blocker.unlink)
        return
    assert POSTGRES_URL
    with postgres_schema(POSTGRES_URL) as live_url:
        live = make_url(live_url)
        port = free_port()
        forwarder = Forwarder(port, (live.host or "127.0.0.1", live.port or 5432))
        yield Outage(live.set(port=port).render_as_string(hide_password=False), forwarder.start)
        forwarder.stop()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """Replaced by the outage's URL in each test."""
    return f"sqlite:///{tmp_path / 'unused.sqlite3'}"


def counts(app: Flask) -> tuple[int, int, int]:
    store = app.extensions["cds"].store
    assert store.flush(), "the audit writer did not handle the journal in time"
    repository = store.repository
    return repository.count(calls), repository.count(cards), repository.count(feedback)


def test_records_are_spooled_during_an_outage_and_replayed_once_when_the_database_is_back(
        make_app: Callable[..., Flask], outage: Outage) -> None:
    app = make_app(database_url=outage.url, audit_retry_seconds=0.1)
    store = app.extensions["cds"].store
    client = app.test_client()
    answers = []
    for _ in range(3):
        answers.append(client.post(SIGN, json=violating()))
        assert store.flush()  # each call a batch of its own
    answers.append(client.post(SIGN, json=example("order-sign-compliant")))
    assert [a.status_code for a in answers] == [200] * 4
    assert [len(a.get_json()["cards"]) for a in answers] == [2, 2, 2, 0]  # cards while the database is down
    assert client.post(f"{SIGN}/feedback", json=FEEDBACK).get_json() == {"received": 1, "stored": 0}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    body: dict[str, Any] = ready.get_json()
    assert body["status"] == "degraded" and body["store"] == "unreachable"
    assert body["audit"] == {"state": "degraded", "database": "unreachable", "spooled": 5, "queued": 0,
                             "lost": 0}
    assert list(store.spool.path.parent.glob("*.replaying")) == []  # one spool file, not one per batch
    spooled_lines = store.spool.path.read_bytes()

    outage.restore()
    assert wait_until(lambda: not store.spool.has_pending()), "the spool was not replayed automatically"
    assert counts(app) == (4, 6, 1)
    assert client.get("/readyz").get_json()["audit"]["state"] == "ok"

    store.spool.path.write_bytes(spooled_lines)  # the same records again, as after a crash mid-replay
    assert store.flush_spool() == 5
    assert counts(app) == (4, 6, 1)  # nothing duplicated

    client.post(SIGN, json=violating())  # and new calls go straight to the database again
    assert counts(app) == (5, 8, 1) and not store.spool.has_pending()


def test_spooled_calls_make_earlier_feedback_known(make_app: Callable[..., Flask], outage: Outage) -> None:
    app = make_app(database_url=outage.url, audit_retry_seconds=30)
    store = app.extensions["cds"].store
    client = app.test_client()
    card = client.post(SIGN, json=violating()).get_json()["cards"][0]
    assert store.flush() and store.spool.has_pending()  # the writer found the database down: spooled
    outage.restore()
    store.database.answered()  # the next write tries the database at once
    item = {"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-11-23T10:07:00Z"}
    assert client.post(f"{SIGN}/feedback", json={"feedback": [item]}).get_json()["stored"] == 1
    repository = store.repository
    with repository.engine.connect() as db:
        assert db.execute(feedback.select()).one().card_known is False  # its call is still in the spool
    store.flush_spool()
    with repository.engine.connect() as db:
        assert db.execute(feedback.select()).one().card_known is True
