"""Feedback as the audit trail keeps it: each item coded (its override reason's HL7 non-adherence code,
cds_service/audit/reasons.py) and committed before the feedback call answers, or spooled while the
database is down (then the answer says 0 stored). A repeat of the same item is stored once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cds_service.audit.connection import AuditDatabase
from cds_service.audit.models import feedback
from cds_service.audit.reasons import ReasonCoder
from cds_service.audit.records import feedback_records
from cds_service.audit.repository import AuditRepository
from cds_service.audit.spooler import Spooler
from cds_service.schemas import FeedbackItem


class FeedbackLog:
    def __init__(self, database: AuditDatabase, spooler: Spooler, calls_committed: Callable[[float], bool],
                 guideline_file: Path | None = None):
        """`calls_committed(timeout)`: waits for this process's call records, so feedback finds its cards."""
        self.database = database
        self.spooler = spooler
        self.calls_committed = calls_committed
        self.guideline_file = guideline_file  # for the override reasons' standard codes
        self._reasons: ReasonCoder | None = None

    @property
    def reasons(self) -> ReasonCoder:
        """The override reasons of the guideline configuration in force, with their standard codes."""
        if self._reasons is None:
            self._reasons = ReasonCoder.from_file(self.guideline_file)
        return self._reasons

    def record_feedback(self, service_id: str, items: list[FeedbackItem]) -> int:
        """Stores the items; returns how many were new (0 while they wait in the spool)."""
        self.calls_committed(2.0)  # this process's cards are in the database, so feedback finds them
        records = feedback_records(service_id, items, self.reasons.standard_code)
        stored: list[int] = [0]

        def write(repo: AuditRepository) -> None:
            stored[0] = repo.write_feedback(records)

        for_spool = [r.to_json() for r in records]
        self.spooler.write("feedback", lambda: {"items": for_spool}, write)
        return stored[0]

    def feedback_count(self) -> int:
        self.calls_committed(10.0)
        return self.database.repository.count(feedback)
