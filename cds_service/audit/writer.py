"""The write-behind path of hook-call records: a call's record is in this process's journal
(cds_service/audit/journal.py) before the answer goes out; the process's writer thread commits what
has queued up as one batch, within about 0.1 seconds, so the database work is shared by all the calls
of a batch and off the answer's path. A batch the database cannot take goes to the spool
(cds_service/audit/spooler.py). Every few seconds the writer also sweeps the journal segments of
processes that died (SIGKILL, OOM) into the spool, so their records are replayed too.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from cds_service.audit.connection import AuditDatabase
from cds_service.audit.journal import Journal
from cds_service.audit.records import CallRecord
from cds_service.audit.spooler import Spooler

log = logging.getLogger(__name__)
SWEEP_SECONDS = 5.0  # how often a writer looks for journal segments of processes that died
WRITE_LINGER_SECONDS = 0.1  # a record waits at most this long for others to share its commit


class CallWriter:
    def __init__(self, database: AuditDatabase, spooler: Spooler, journal: Journal,
                 at_exit: Callable[[], None] | None = None):
        """`at_exit`: what a process whose writer ran calls when it stops (default: `close`)."""
        self.database = database
        self.spooler = spooler
        self.journal = journal
        self._lock = threading.Lock()
        self._writer: threading.Thread | None = None
        self._writer_pid = 0
        self._stop = threading.Event()
        self._at_exit = at_exit or self.close

    def record_call(self, record: CallRecord) -> str:
        """'journaled' (committed soon by the writer thread), else 'stored', 'spooled' or 'lost' when the
        journal could not be written and the record went the synchronous way. Never raises."""
        try:
            self.journal.append(record)
        except Exception:  # noqa: BLE001 - e.g. the disk is full: try the database directly
            log.exception("audit journal not writable; the call record is written synchronously")
            return self.spooler.write("call", record.to_json, lambda repo: repo.write_calls([record]))
        self._start()
        return "journaled"

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every call record this process has accepted is committed (or spooled)."""
        return self.journal.wait_handled(timeout)

    def adopt_orphans(self) -> int:
        """Move the journal segments of processes that died into the spool; returns how many."""
        adopted = 0
        try:
            for segment in self.journal.orphans():
                self.spooler.spool.adopt(segment)
                adopted += 1
        except OSError:
            log.exception("audit journal sweep failed; it is tried again later")
        if adopted:
            log.warning("audit journal: %d segments of a stopped process go to the spool for replay", adopted)
            self.spooler.start_draining()
        return adopted

    def _start(self) -> None:
        if self._writer_pid == os.getpid() and self._writer is not None and self._writer.is_alive():
            return
        with self._lock:
            if self._writer_pid == os.getpid() and self._writer is not None and self._writer.is_alive():
                return
            if self._writer_pid != os.getpid():
                atexit.register(self._at_exit)  # a worker that stops commits what it has accepted
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
            if self.database.worth_trying():
                try:
                    self.database.repository.write_calls(batch, refresh_feedback=True)
                    if segment is not None:
                        segment.unlink(missing_ok=True)
                    self.spooler.stored()
                    return
                except Exception:  # noqa: BLE001 - the records wait in the spool
                    log.exception("audit database unreachable; %d call records go to the spool", len(batch))
                    self.database.failed()
            self.spooler.take_batch(batch, segment)
        finally:
            self.journal.handled(len(batch))

    def close(self) -> None:
        """Commit what this process accepted (or spool it), then stop the writer thread."""
        self._stop.set()
        self.spooler.stop()
        self.journal.wake()
        if self._writer is not None and self._writer_pid == os.getpid():
            self._writer.join(timeout=10)
        self.journal.close()
