"""The login-token replay check (`ReplayGuard.remember`, cds_service/auth/replay.py): a JWT's `jti` is
accepted once per issuer for as long as the token is valid.

With the embedded SQLite store the jtis live in a SQLite file of their own beside the audit database:
SQLite has one writer at a time, and a check made in the audit database waited for the writer
thread's batch commits (an authenticated in-process call's p99 was 10 ms, now 5 ms). With PostgreSQL
they live in the audit database, shared by every instance. While that database is unreachable the
check falls back to a SQLite file beside the spool, shared by this host's workers, so calls keep being
answered and a token still works once (for the audit's back-off after a failure no connection is tried, so a
call does not wait for a connect timeout); jtis seen there stay refused after the database is back, for
their tokens' lifetime.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy.exc import SQLAlchemyError

from cds_service.audit.connection import AuditDatabase
from cds_service.auth.replay import SqliteReplayGuard

log = logging.getLogger(__name__)


class ReplayCheck:
    def __init__(self, database: AuditDatabase, fallback: Path):
        """`fallback`: the host's SQLite file for the jtis seen while the audit database is down."""
        self.database = database
        self.fallback = fallback
        self._own_file = replay_file_beside(database.url)
        self._guards: dict[Path, SqliteReplayGuard] = {}
        self._lock = threading.Lock()

    def remember(self, iss: str, jti: str, expires_at: float) -> bool:
        """Record the jti until `expires_at` (epoch seconds); False when it is already recorded and live."""
        if self._own_file is not None:
            fresh = self._guard_at(self._own_file).remember(iss, jti, expires_at)
        else:
            if not self.database.worth_trying():  # backing off after a failure: no connect timeout per call
                return self._guard_at(self.fallback).remember(iss, jti, expires_at)
            try:
                fresh = self.database.repository.remember_jti(iss, jti, expires_at)
            except SQLAlchemyError:
                self.database.failed()
                log.warning("audit database unreachable: the jti replay check uses this host's fallback store")
                return self._guard_at(self.fallback).remember(iss, jti, expires_at)
        if fresh and self.fallback.exists():
            return self._guard_at(self.fallback).remember(iss, jti, expires_at)
        return fresh

    def _guard_at(self, path: Path) -> SqliteReplayGuard:
        guard = self._guards.get(path)
        if guard is None:
            with self._lock:
                guard = self._guards.setdefault(path, SqliteReplayGuard(path))
        return guard


def replay_file_beside(url: str) -> Path | None:
    """Where the jti replay check keeps its records for a SQLite audit database (None for a server
    database, or SQLite in memory): `cds.sqlite3` -> `cds-replay.sqlite3` in the same folder."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    path = Path(parsed.database)
    return path.with_name(f"{path.stem}-replay.sqlite3")
