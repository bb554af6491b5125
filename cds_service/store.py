"""Where feedback and hook-call records are kept: the audit trail's SQLAlchemy database (SQLite in
the instance folder by default, PostgreSQL through `CDS_DATABASE_URL`); see cds_service/audit/.

`FeedbackStore` is the interface the routes use; a repeat of the same feedback item is stored once.
"""

from __future__ import annotations

from typing import Protocol

from cds_service.audit.recorder import AuditTrail
from cds_service.schemas import FeedbackItem
from cds_service.settings import Settings


class FeedbackStore(Protocol):
    def record_feedback(self, service_id: str, items: list[FeedbackItem]) -> int:
        """Store the items; returns how many were new."""

    def feedback_count(self) -> int: ...

    def ping(self) -> bool: ...


def open_store(settings: Settings) -> AuditTrail:
    """The audit trail; nothing connects until the first record (so `evaluate` needs no database)."""
    return AuditTrail.from_settings(settings)
