"""The audit database as the trail's parts share it: one engine and repository made on first use (the
migrations run then when `CDS_DATABASE_MIGRATE_ON_START` is true), and the back-off after a failure:
for `CDS_AUDIT_RETRY_SECONDS` no part tries to connect, so a call never waits for a connect timeout
while the database is down; records go to the spool instead (cds_service/audit/spooler.py).
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import Engine

from cds_service.audit import database
from cds_service.audit.repository import AuditRepository


class AuditDatabase:
    def __init__(self, url: str, migrate: bool, retry_seconds: float):
        self.url = url
        self.migrate = migrate
        self.retry_seconds = retry_seconds
        self._engine: Engine | None = None
        self._repository: AuditRepository | None = None
        self._schema_ready = False
        self._schema_lock = threading.Lock()
        self._down_until = 0.0

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = database.make_engine(self.url)
        return self._engine

    @property
    def repository(self) -> AuditRepository:
        if self._repository is None or not self._schema_ready:
            with self._schema_lock:  # the writer thread and a request may both be first
                if self._repository is None:
                    self._repository = AuditRepository(self.engine)
                if not self._schema_ready:
                    if self.migrate:
                        database.upgrade(self.engine)
                    self._schema_ready = True
        return self._repository

    def worth_trying(self) -> bool:
        """False while backing off after a failure."""
        return time.monotonic() >= self._down_until

    def failed(self) -> None:
        """The database did not answer: back off for `retry_seconds`."""
        self._down_until = time.monotonic() + self.retry_seconds

    def answered(self) -> None:
        """The database answered (a spool replay committed): the next write tries it at once."""
        self._down_until = 0.0

    def ping(self) -> bool:
        try:
            return self.repository.ping()
        except Exception:  # noqa: BLE001 - /readyz reports it, never raises
            return False

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
