"""The audit trail as the service uses it: record a call or feedback, durably, without ever failing
the hook; check a login token's replay; report health. A thin facade over parts with one job each:

- `AuditDatabase` (connection.py): the engine and repository, made on first use, and the back-off
  after a failure (`CDS_AUDIT_RETRY_SECONDS`: no connect timeout per call while the database is down);
- `CallWriter` (writer.py): the journal, the writer thread that commits calls in batches, and the sweep
  of dead workers' journals;
- `Spooler` (spooler.py): what the database cannot take goes to the spool, replayed when it is back;
- `FeedbackLog` (feedback_log.py): feedback, coded and committed before its answer;
- `ReplayCheck` (token_replay.py): a JWT's jti accepted once.

Review pages, analytics and exports read through `reader()` (cds_service/audit/queries.py,
analytics.py, export.py). /readyz shows `status()`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cds_service.audit.connection import AuditDatabase
from cds_service.audit.feedback_log import FeedbackLog
from cds_service.audit.journal import Journal
from cds_service.audit.reasons import ReasonCoder
from cds_service.audit.records import CallRecord
from cds_service.audit.repository import AuditRepository
from cds_service.audit.spool import Spool
from cds_service.audit.spooler import Spooler
from cds_service.audit.token_replay import ReplayCheck
from cds_service.audit.writer import CallWriter
from cds_service.schemas import FeedbackItem
from cds_service.settings import Settings


class AuditTrail:
    """Implements `FeedbackStore` (record_feedback, feedback_count, ping) and `ReplayGuard` (remember)."""

    def __init__(self, url: str, spool: Spool, retry_seconds: float, migrate: bool, journal_fsync: bool = False,
                 guideline_file: Path | None = None):
        self.url = url
        self.spool = spool
        self.database = AuditDatabase(url, migrate, retry_seconds)
        self.spooler = Spooler(self.database, spool)
        self.journal = Journal(spool.path.with_name("audit-journal"), fsync=journal_fsync)  # beside the spool
        self.writer = CallWriter(self.database, self.spooler, self.journal, at_exit=self.close)
        self.feedback = FeedbackLog(self.database, self.spooler, self.writer.flush, guideline_file)
        self.replay_check = ReplayCheck(self.database, spool.path.with_name("replay-fallback.sqlite3"))

    @classmethod
    def from_settings(cls, settings: Settings) -> AuditTrail:
        return cls(settings.database, Spool(settings.spool_file), settings.audit_retry_seconds,
                   settings.database_migrate_on_start, settings.audit_journal_fsync, settings.guideline_file)

    @property
    def repository(self) -> AuditRepository:
        return self.database.repository

    @property
    def reasons(self) -> ReasonCoder:
        return self.feedback.reasons

    @property
    def lost(self) -> int:
        return self.spooler.lost

    def record_call(self, record: CallRecord) -> str:
        return self.writer.record_call(record)

    def flush(self, timeout: float = 10.0) -> bool:
        return self.writer.flush(timeout)

    def reader(self) -> AuditRepository:
        """The repository to read from, once the calls this process accepted are committed (so a
        page or test of this process sees its own calls)."""
        self.flush()
        return self.repository

    def flush_spool(self) -> int:
        return self.spooler.flush()

    def adopt_orphans(self) -> int:
        return self.writer.adopt_orphans()

    def record_feedback(self, service_id: str, items: list[FeedbackItem]) -> int:
        return self.feedback.record_feedback(service_id, items)

    def feedback_count(self) -> int:
        return self.feedback.feedback_count()

    def remember(self, iss: str, jti: str, expires_at: float) -> bool:
        return self.replay_check.remember(iss, jti, expires_at)

    def ping(self) -> bool:
        return self.database.ping()

    def status(self) -> dict[str, Any]:
        reachable = self.ping()
        spooled = self.spool.pending()
        state = "ok" if reachable and not spooled and not self.lost else "degraded"
        return {"state": state, "database": "ok" if reachable else "unreachable", "spooled": spooled,
                "queued": self.journal.backlog(), "lost": self.lost}

    def close(self) -> None:
        self.writer.close()
        self.spooler.close()
        self.database.dispose()
