"""The audit trail as the service uses it: record a call or feedback, durably, without ever failing
the hook.

A hook call's record is in this process's journal (cds_service/audit/journal.py) before the answer
goes out; the process's writer thread commits what has queued up as one batch, within about 0.1
seconds, so the database work is shared by all the calls of a batch and off the answer's path.
Feedback is committed before its answer. When the database cannot be reached, records go to the
spool instead and the service keeps answering; for `CDS_AUDIT_RETRY_SECONDS` after a failure no
connection is tried (no connect timeout per call), while a background thread of this process retries
the database and, once it answers, replays the spool. /readyz shows the state.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from cds_service.audit import database
from cds_service.audit.journal import Journal
from cds_service.audit.models import feedback
from cds_service.audit.reasons import ReasonCoder
from cds_service.audit.records import CallRecord, FeedbackRecord, feedback_records
from cds_service.audit.repository import AuditRepository
from cds_service.audit.spool import Entry, Spool
from cds_service.auth.replay import SqliteReplayGuard
from cds_service.schemas import FeedbackItem
from cds_service.settings import Settings

log = logging.getLogger(__name__)
SWEEP_SECONDS = 5.0  # how often a writer looks for journal segments of processes that died
WRITE_LINGER_SECONDS = 0.1  # a record waits at most this long for others to share its commit


class AuditTrail:
    """Implements `FeedbackStore` (record_feedback, feedback_count, ping) and `ReplayGuard` (remember)."""

    def __init__(self, url: str, spool: Spool, retry_seconds: float, migrate: bool, journal_fsync: bool = False,
                 guideline_file: Path | None = None):
        self.url = url
        self.guideline_file = guideline_file  # for the override reasons' standard codes
        self._reasons: ReasonCoder | None = None
        self.spool = spool
        self.journal = Journal(spool.path.with_name("audit-journal"), fsync=journal_fsync)  # beside the spool
        self.retry_seconds = retry_seconds
        self.migrate = migrate
        self._engine: Engine | None = None
        self._repository: AuditRepository | None = None
        self._schema_ready = False
        self._down_until = 0.0
        self._lock = threading.Lock()
        self._schema_lock = threading.Lock()
        self._drainer: threading.Thread | None = None
        self._drainer_pid = 0
        self._writer: threading.Thread | None = None
        self._writer_pid = 0
        self._stop = threading.Event()
        self.lost = 0  # records neither stored nor spooled (disk full); logged, shown on /readyz
        self._guards: dict[Path, SqliteReplayGuard] = {}
        self._replay_file = replay_file_beside(url)

    @classmethod
    def from_settings(cls, settings: Settings) -> AuditTrail:
        return cls(settings.database, Spool(settings.spool_file), settings.audit_retry_seconds,
                   settings.database_migrate_on_start, settings.audit_journal_fsync, settings.guideline_file)

    @property
    def reasons(self) -> ReasonCoder:
        """The override reasons of the guideline configuration in force, with their standard codes."""
        if self._reasons is None:
            self._reasons = ReasonCoder.from_file(self.guideline_file)
        return self._reasons

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

    def record_call(self, record: CallRecord) -> str:
        """'journaled' (committed soon by the writer thread), else 'stored', 'spooled' or 'lost' when the
        journal could not be written and the record went the synchronous way. Never raises."""
        try:
            self.journal.append(record)
        except Exception:  # noqa: BLE001 - e.g. the disk is full: try the database directly
            log.exception("audit journal not writable; the call record is written synchronously")
            return self._record("call", record.to_json, lambda repo: repo.write_calls([record]))
        self._start_writer()
        return "journaled"

    def reader(self) -> AuditRepository:
        """The repository to read from, once the calls this process accepted are committed (so a
        page or test of this process sees its own calls)."""
        self.flush()
        return self.repository

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every call record this process has accepted is committed (or spooled)."""
        return self.journal.wait_handled(timeout)

    def record_feedback(self, service_id: str, items: list[FeedbackItem]) -> int:
        """Stores the items; returns how many were new (0 while they wait in the spool)."""
        self.flush(timeout=2.0)  # this process's cards are in the database, so feedback finds them
        records = feedback_records(service_id, items, self.reasons.standard_code)
        stored: list[int] = [0]

        def write(repo: AuditRepository) -> None:
            stored[0] = repo.write_feedback(records)

        for_spool = [r.to_json() for r in records]
        self._record("feedback", lambda: {"items": for_spool}, write)
        return stored[0]

    def _record(self, kind: str, as_json: Any, write: Any) -> str:
        if time.monotonic() >= self._down_until:
            try:
                write(self.repository)
                if self.spool.has_pending():
                    self._start_drainer()
                return "stored"
            except Exception:  # noqa: BLE001 - the hook answers whatever the database does
                log.exception("audit database unreachable; %s record goes to the spool", kind)
                self._down_until = time.monotonic() + self.retry_seconds
        try:
            self.spool.append(kind, as_json())
        except Exception:  # noqa: BLE001
            self.lost += 1
            log.exception("audit record LOST: neither the database nor the spool could take it")
            return "lost"
        self._start_drainer()
        return "spooled"

    def flush_spool(self) -> int:
        """Replay the spool into the database now; returns the entries replayed. Raises if unreachable."""
        repository = self.repository
        replayed = self.spool.drain(lambda entries: _replay(repository, entries))
        self._down_until = 0.0
        if replayed:
            log.info("audit spool replayed: %d entries", replayed)
        return replayed

    def _start_drainer(self) -> None:
        with self._lock:
            alive = self._drainer is not None and self._drainer.is_alive() and self._drainer_pid == os.getpid()
            if alive or self._stop.is_set():
                return
            self._drainer_pid = os.getpid()
            self._drainer = threading.Thread(target=self._drain_loop, name="audit-spool", daemon=True)
            self._drainer.start()

    def _start_writer(self) -> None:
        if self._writer_pid == os.getpid() and self._writer is not None and self._writer.is_alive():
            return
        with self._lock:
            if self._writer_pid == os.getpid() and self._writer is not None and self._writer.is_alive():
                return
            if self._writer_pid != os.getpid():
                atexit.register(self.close)  # a worker that stops commits what it has accepted
            self._writer_pid = os.getpid()
            self._writer = threading.Thread(target=self._write_loop, name="audit-writer", daemon=True)
            self._writer.start()

    def _write_loop(self) -> None:
        next_sweep = 0.0
        while True:
            batch, segment = self.journal.take(timeout=1.0, linger=WRITE_LINGER_SECONDS)
            if time.monotonic() >= next_sweep:
                next_sweep = time.monotonic() + SWEEP_SECONDS
                self.adopt_orphans()
            if batch:
                self._commit(batch, segment)
            elif self._stop.is_set():
                return

    def _commit(self, batch: list[CallRecord], segment: Path | None) -> None:
        try:
            if time.monotonic() >= self._down_until:
                try:
                    self.repository.write_calls(batch, refresh_feedback=True)
                    if segment is not None:
                        segment.unlink(missing_ok=True)
                    if self.spool.has_pending():
                        self._start_drainer()
                    return
                except Exception:  # noqa: BLE001 - the records wait in the spool
                    log.exception("audit database unreachable; %d call records go to the spool", len(batch))
                    self._down_until = time.monotonic() + self.retry_seconds
            self._to_spool(batch, segment)
            self._start_drainer()
        finally:
            self.journal.handled(len(batch))

    def _to_spool(self, batch: list[CallRecord], segment: Path | None) -> None:
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

    def adopt_orphans(self) -> int:
        """Move the journal segments of processes that died into the spool; returns how many."""
        adopted = 0
        try:
            for segment in self.journal.orphans():
                self.spool.adopt(segment)
                adopted += 1
        except OSError:
            log.exception("audit journal sweep failed; it is tried again later")
        if adopted:
            log.warning("audit journal: %d segments of a stopped process go to the spool for replay", adopted)
            self._start_drainer()
        return adopted

    def _drain_loop(self) -> None:
        while not self._stop.wait(self.retry_seconds):
            try:
                self.flush_spool()
            except Exception as exc:  # noqa: BLE001 - still down: try again later
                self._down_until = time.monotonic() + self.retry_seconds
                log.warning("audit database still unreachable (%s); %d records spooled", type(exc).__name__,
                            self.spool.pending())
                continue
            if not self.spool.has_pending():
                return

    def status(self) -> dict[str, Any]:
        reachable = self.ping()
        spooled = self.spool.pending()
        state = "ok" if reachable and not spooled and not self.lost else "degraded"
        return {"state": state, "database": "ok" if reachable else "unreachable", "spooled": spooled,
                "queued": self.journal.backlog(), "lost": self.lost}

    def ping(self) -> bool:
        try:
            return self.repository.ping()
        except Exception:  # noqa: BLE001
            return False

    def feedback_count(self) -> int:
        return self.reader().count(feedback)

    def remember(self, iss: str, jti: str, expires_at: float) -> bool:
        """The jti replay check.

        With the embedded SQLite store the jtis live in a SQLite file of their own beside the audit
        database: SQLite has one writer at a time, and a check made in the audit database waited for the
        writer thread's batch commits (an authenticated in-process call's p99 was 10 ms, now 5 ms). With
        PostgreSQL they live in the audit database, shared by every instance. While that database is unreachable
        the check falls back to a SQLite file beside the spool, shared by this host's workers, so calls
        keep being answered and a token still works once; jtis seen there stay refused after the
        database is back, for their tokens' lifetime."""
        fallback = self.spool.path.with_name("replay-fallback.sqlite3")
        if self._replay_file is not None:
            fresh = self._guard_at(self._replay_file).remember(iss, jti, expires_at)
        else:
            try:
                fresh = self.repository.remember_jti(iss, jti, expires_at)
            except SQLAlchemyError:
                log.warning("audit database unreachable: the jti replay check uses this host's fallback store")
                return self._guard_at(fallback).remember(iss, jti, expires_at)
        if fresh and fallback.exists():
            return self._guard_at(fallback).remember(iss, jti, expires_at)
        return fresh

    def _guard_at(self, path: Path) -> SqliteReplayGuard:
        guard = self._guards.get(path)
        if guard is None:
            with self._lock:
                guard = self._guards.setdefault(path, SqliteReplayGuard(path))
        return guard

    def close(self) -> None:
        self._stop.set()
        self.journal.wake()
        if self._writer is not None and self._writer_pid == os.getpid():
            self._writer.join(timeout=10)
        self.journal.close()
        if self._drainer is not None:
            self._drainer.join(timeout=5)
        if self._engine is not None:
            self._engine.dispose()


def _replay(repository: AuditRepository, entries: list[Entry]) -> None:
    call_records = [CallRecord.from_json(e["record"]) for e in entries if e.get("kind") == "call"]
    feedback_items = [FeedbackRecord.from_json(item) for e in entries if e.get("kind") == "feedback"
                      for item in e["record"]["items"]]
    if call_records:
        repository.write_calls(call_records, refresh_feedback=True)
    if feedback_items:
        repository.write_feedback(feedback_items)


def replay_file_beside(url: str) -> Path | None:
    """Where the jti replay check keeps its records for a SQLite audit database (None for a server
    database, or SQLite in memory): `cds.sqlite3` -> `cds-replay.sqlite3` in the same folder."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    path = Path(parsed.database)
    return path.with_name(f"{path.stem}-replay.sqlite3")
