"""Where feedback (and, with the audit trail, hook calls) is kept. SQLite in the instance folder by default.

`FeedbackStore` is the interface the routes use; a repeat of the same feedback item is stored once.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from cds_service.schemas import FeedbackItem, timestamp_utc

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    service_id TEXT NOT NULL,
    card_uuid TEXT NOT NULL,
    outcome TEXT NOT NULL,
    accepted_suggestions TEXT NOT NULL,
    override_system TEXT,
    override_code TEXT,
    override_display TEXT,
    override_comment TEXT,
    outcome_timestamp TEXT NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (service_id, card_uuid, outcome, accepted_suggestions, outcome_timestamp)
)
"""


class FeedbackStore(Protocol):
    def record_feedback(self, service_id: str, items: list[FeedbackItem]) -> int:
        """Store the items; returns how many were new."""

    def feedback_count(self) -> int: ...

    def ping(self) -> bool: ...


class SqliteStore:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._local = threading.local()
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(SCHEMA)

    @classmethod
    def from_url(cls, url: str) -> SqliteStore:
        if not url.startswith("sqlite:///"):
            raise ValueError("the built-in store takes sqlite:///PATH URLs")
        return cls(Path(url.removeprefix("sqlite:///")))

    def _connect(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            db.execute("PRAGMA busy_timeout=10000")
            self._local.db = db
        return db

    def record_feedback(self, service_id: str, items: list[FeedbackItem]) -> int:
        now = timestamp_utc(datetime.now(UTC))
        rows = []
        for item in items:
            reason = item.overrideReason
            coding = reason.reason if reason and reason.reason else None
            rows.append((
                service_id, item.card, item.outcome,
                json.dumps(sorted(s.id for s in item.acceptedSuggestions or [])),
                coding.system if coding else None, coding.code if coding else None,
                coding.display if coding else None, reason.userComment if reason else None,
                timestamp_utc(item.outcomeTimestamp.astimezone(UTC)), now,
            ))
        db = self._connect()
        before = db.total_changes
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(
                "INSERT OR IGNORE INTO feedback (service_id, card_uuid, outcome, accepted_suggestions, "
                "override_system, override_code, override_display, override_comment, outcome_timestamp, "
                "received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return db.total_changes - before

    def feedback_count(self) -> int:
        return int(self._connect().execute("SELECT count(*) FROM feedback").fetchone()[0])

    def ping(self) -> bool:
        try:
            self._connect().execute("SELECT 1").fetchone()
            return True
        except sqlite3.Error:
            return False
