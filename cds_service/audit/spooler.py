"""The no-loss rule when the database is down: a record the database cannot take goes to the local
spool (cds_service/audit/spool.py), synced to disk, and a background thread of this process retries the
database every `CDS_AUDIT_RETRY_SECONDS` and, once it answers, replays the spool (idempotently: a
record replayed twice is stored once). A record neither stored nor spooled (disk full) is counted as
lost, logged and shown on /readyz.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cds_service.audit.connection import AuditDatabase
from cds_service.audit.records import CallRecord, FeedbackRecord
from cds_service.audit.repository import AuditRepository
from cds_service.audit.spool import Entry, Spool

log = logging.getLogger(__name__)


class Spooler:
    def __init__(self, database: AuditDatabase, spool: Spool):
        self.database = database
        self.spool = spool
        self.lost = 0  # records neither stored nor spooled (disk full); logged, shown on /readyz
        self._lock = threading.Lock()
        self._drainer: threading.Thread | None = None
        self._drainer_pid = 0
        self._stop = threading.Event()

    def write(self, kind: str, as_json: Callable[[], dict[str, Any]],
              write: Callable[[AuditRepository], object]) -> str:
        """`write` the record now ('stored'), else append `as_json()` to the spool ('spooled'), else 'lost'."""
        if self.database.worth_trying():
            try:
                write(self.database.repository)
                self.stored()
                return "stored"
            except Exception:  # noqa: BLE001 - the hook answers whatever the database does
                log.exception("audit database unreachable; %s record goes to the spool", kind)
                self.database.failed()
        try:
            self.spool.append(kind, as_json())
        except Exception:  # noqa: BLE001
            self.lost += 1
            log.exception("audit record LOST: neither the database nor the spool could take it")
            return "lost"
        self.start_draining()
        return "spooled"

    def stored(self) -> None:
        """A write reached the database: records spooled earlier can follow."""
        if self.spool.has_pending():
            self.start_draining()

    def take_batch(self, batch: list[CallRecord], segment: Path | None) -> None:
        """A journal batch the database could not take: its segment becomes spool (or, when the segment
        cannot be read, its records are appended one by one)."""
        try:
            if segment is None:
                raise FileNotFoundError("no journal segment")
            self.spool.absorb(segment)
        except OSError:  # the segment is gone or cannot be read: append the records themselves
            for record in batch:
                try:
                    self.spool.append("call", record.to_json())
                except Exception:  # noqa: BLE001
                    self.lost += 1
                    log.exception("audit record LOST: neither the database nor the spool could take it")
        self.start_draining()

    def flush(self) -> int:
        """Replay the spool into the database now; returns the entries replayed. Raises if unreachable."""
        repository = self.database.repository
        replayed = self.spool.drain(lambda entries: replay_entries(repository, entries))
        self.database.answered()
        if replayed:
            log.info("audit spool replayed: %d entries", replayed)
        return replayed

    def start_draining(self) -> None:
        with self._lock:
            alive = self._drainer is not None and self._drainer.is_alive() and self._drainer_pid == os.getpid()
            if alive or self._stop.is_set():
                return
            self._drainer_pid = os.getpid()
            self._drainer = threading.Thread(target=self._drain_loop, name="audit-spool", daemon=True)
            self._drainer.start()

    def _drain_loop(self) -> None:
        while not self._stop.wait(self.database.retry_seconds):
            try:
                self.flush()
            except Exception as exc:  # noqa: BLE001 - still down: try again later
                self.database.failed()
                log.warning("audit database still unreachable (%s); %d records spooled", type(exc).__name__,
                            self.spool.pending())
                continue
            with self._lock:  # with start_draining: a record spooled as this thread ends starts a new one
                if not self.spool.has_pending():
                    self._drainer = None
                    return

    def stop(self) -> None:
        """No new drain starts (the process is stopping); one running ends at its next wait."""
        self._stop.set()

    def close(self) -> None:
        self.stop()
        if self._drainer is not None:
            self._drainer.join(timeout=5)


def replay_entries(repository: AuditRepository, entries: list[Entry]) -> None:
    call_records = [CallRecord.from_json(e["record"]) for e in entries if e.get("kind") == "call"]
    feedback_items = [FeedbackRecord.from_json(item) for e in entries if e.get("kind") == "feedback"
                      for item in e["record"]["items"]]
    if call_records:
        repository.write_calls(call_records, refresh_feedback=True)
    if feedback_items:
        repository.write_feedback(feedback_items)
