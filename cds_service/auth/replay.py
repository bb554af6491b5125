"""Replay protection: a token's `jti` is accepted once per issuer for as long as the token is valid.

Kept in the service database, so every worker and every instance sharing the database sees the same
record. `ReplayGuard` is the whole interface; another store (PostgreSQL) needs one atomic
"insert unless a live row exists" statement, such as the upsert below, which PostgreSQL also speaks.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from cds_service import sqlite_wal

SCHEMA = """
CREATE TABLE IF NOT EXISTS auth_replay (
    iss TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (iss, jti)
)
"""
INDEX = "CREATE INDEX IF NOT EXISTS auth_replay_expires_at ON auth_replay (expires_at)"
REMEMBER = """
INSERT INTO auth_replay (iss, jti, expires_at) VALUES (?, ?, ?)
ON CONFLICT (iss, jti) DO UPDATE SET expires_at = excluded.expires_at WHERE auth_replay.expires_at <= ?
"""
PURGE_EVERY_SECONDS = 60.0


class ReplayGuard(Protocol):
    def remember(self, iss: str, jti: str, expires_at: float) -> bool:
        """Record the jti until `expires_at` (epoch seconds); False when it is already recorded and live."""


class SqliteReplayGuard:
    def __init__(self, path: Path, clock: Callable[[], float] = time.time):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._clock = clock
        self._local = threading.local()
        self._next_purge = 0.0
        db = self._connect()
        db.execute(SCHEMA)
        db.execute(INDEX)

    @classmethod
    def from_url(cls, url: str) -> SqliteReplayGuard:
        if not url.startswith("sqlite:///"):
            raise ValueError("the built-in replay guard takes sqlite:///PATH URLs")
        return cls(Path(url.removeprefix("sqlite:///")))

    def _connect(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            # As the audit database: a commit survives the process dying; the last ones can be lost to a
            # power cut (jtis of tokens that expire within minutes), and no fsync waits on every call.
            sqlite_wal.prepare(db)
            self._local.db = db
        return db

    def remember(self, iss: str, jti: str, expires_at: float) -> bool:
        now = self._clock()
        db = self._connect()
        inserted = db.execute(REMEMBER, (iss, jti, expires_at, now)).rowcount == 1
        if now >= self._next_purge:
            self._next_purge = now + PURGE_EVERY_SECONDS
            db.execute("DELETE FROM auth_replay WHERE expires_at <= ?", (now,))
        return inserted

    def count(self) -> int:
        return int(self._connect().execute("SELECT count(*) FROM auth_replay").fetchone()[0])
