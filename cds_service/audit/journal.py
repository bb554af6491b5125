"""The write-behind journal of hook-call records.

Before a hook answers, its audit record is appended to a segment file of this process's journal (a
`write` to the kernel, so it survives the process being killed; with `CDS_AUDIT_JOURNAL_FSYNC` also
synced to disk, so it survives a power loss) and queued in memory. The process's writer thread takes
everything queued at once, commits it to the database as one batch, and deletes the segment. A
segment whose batch could not be committed becomes a spool file (cds_service/audit/spool.py) and is
replayed with the spool.

Each process owns its segments under a token (`<pid>-<random>`) and holds an exclusive `flock` on
`<token>.lock` while it lives. A process that died (SIGKILL, OOM) releases its lock; any other
process's sweep then finds the lock free and adopts the dead process's segments into the spool. The
database's idempotent keys make a record replayed twice (committed, but killed before its segment
was deleted) store nothing twice.
"""

from __future__ import annotations

import fcntl
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson

from cds_service.audit.records import CallRecord

MAX_QUEUED = 10_000  # callers wait (back-pressure) while this many records are not yet handled
MAX_BATCH = 500  # the writer stops lingering once this many records are queued


class Journal:
    def __init__(self, folder: Path, fsync: bool = False):
        self.folder = folder
        self.fsync = fsync
        self._cond = threading.Condition()
        self._pid = 0
        self._token = ""
        self._lock_fd: int | None = None
        self._segment: Path | None = None
        self._fd: int | None = None
        self._sequence = 0
        self._queued: list[CallRecord] = []
        self._appended = 0
        self._handled = 0
        self._hurry = False

    def append(self, record: CallRecord) -> None:
        """Write the record to this process's current segment and queue it. Raises OSError when the
        segment cannot be written (the caller then writes the record synchronously)."""
        line = orjson.dumps({"kind": "call", "record": record}) + b"\n"  # orjson writes dataclasses as dicts
        with self._cond:
            self._own()
            self._cond.wait_for(lambda: self._appended - self._handled < MAX_QUEUED, timeout=30)
            if self._fd is None:
                self._sequence += 1
                self._segment = self.folder / f"{self._token}.{self._sequence:09d}.jsonl"
                self._fd = os.open(self._segment, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            os.write(self._fd, line)
            if self.fsync:
                os.fsync(self._fd)
            self._queued.append(record)
            self._appended += 1
            if len(self._queued) in (1, MAX_BATCH):  # wake the writer only when it has something new to do
                self._cond.notify_all()

    def take(self, timeout: float, linger: float = 0.0) -> tuple[list[CallRecord], Path | None]:
        """Everything queued and the segment holding it (closed: later appends open a new one). Once a
        record is queued, waits up to `linger` seconds for more, so one commit serves many calls."""
        with self._cond:
            if not self._queued:
                self._cond.wait(timeout)
            if self._queued and linger > 0 and not self._hurry:
                self._cond.wait_for(lambda: len(self._queued) >= MAX_BATCH or self._hurry, linger)
            self._hurry = False
            if not self._queued or self._pid != os.getpid():
                return [], None
            batch, self._queued = self._queued, []
            segment = self._close_segment()
            return batch, segment

    def handled(self, count: int) -> None:
        """`count` records taken are now committed, or moved to the spool."""
        with self._cond:
            self._handled += count
            self._cond.notify_all()

    def backlog(self) -> int:
        """Records of this process accepted but not yet handled."""
        with self._cond:
            return self._appended - self._handled if self._pid == os.getpid() else 0

    def wait_handled(self, timeout: float) -> bool:
        """Wait until every record appended so far by this process is handled."""
        with self._cond:
            if self._pid != os.getpid():
                return True
            target = self._appended
            if self._handled < target:
                self._hurry = True  # the writer stops lingering
                self._cond.notify_all()
            return self._cond.wait_for(lambda: self._handled >= target, timeout)

    def wake(self) -> None:
        with self._cond:
            self._hurry = True
            self._cond.notify_all()

    def orphans(self) -> Iterator[Path]:
        """Segments of processes that are gone. Each is yielded while the dead owner's lock is held
        by this sweep; the caller must move it away before the next one is asked for."""
        if not self.folder.exists():
            return
        for lock in sorted(self.folder.glob("*.lock")):
            token = lock.name.removesuffix(".lock")
            if token == self._token and self._pid == os.getpid():
                continue
            try:
                fd = os.open(lock, os.O_RDWR)
            except FileNotFoundError:
                continue  # another sweep took it
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # its process is alive
                yield from sorted(self.folder.glob(f"{token}.*.jsonl"))
                lock.unlink(missing_ok=True)
            finally:
                os.close(fd)

    def close(self) -> None:
        with self._cond:
            if self._pid == os.getpid():
                self._close_segment()
                if self._lock_fd is not None:
                    (self.folder / f"{self._token}.lock").unlink(missing_ok=True)
                    os.close(self._lock_fd)
                    self._lock_fd = None
            self._pid = 0

    def _own(self) -> None:
        """On first use in a process (a gunicorn worker is forked): a token of its own and its lock.
        The lock file is locked before it gets its name, so a sweep never sees it unlocked."""
        if self._pid == os.getpid():
            return
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # the parent's lock stays the parent's
        self._pid = os.getpid()
        self._token = f"{self._pid}-{uuid.uuid4().hex[:12]}"
        self._fd = self._segment = None  # a parent's segment is the parent's
        self._queued, self._appended, self._handled, self._sequence = [], 0, 0, 0
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = self.folder / f"{self._token}.lock.new"
        self._lock_fd = os.open(temporary, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        temporary.rename(self.folder / f"{self._token}.lock")

    def _close_segment(self) -> Path | None:
        segment = self._segment
        if self._fd is not None:
            os.close(self._fd)
        self._fd = self._segment = None
        return segment
