"""The local spool: audit records that could not reach the database wait here as JSON lines.

Appends are serialised across threads and worker processes by an exclusive `flock` and synced to
disk before the hook answers. A drain first renames the file (under the same lock) to a private
`*.replaying` name, so appends carry on into a fresh file, then replays it in batches and deletes it
only when every batch is committed. A drain that dies leaves its file to the next drain; the
database's idempotent keys make a second replay of the same lines store nothing twice.
"""

from __future__ import annotations

import fcntl
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

log = logging.getLogger(__name__)
Entry = dict[str, Any]  # {"kind": "call" | "feedback", "record": {...}}


class Spool:
    def __init__(self, path: Path):
        self.path = path
        self._lock_path = path.with_name(path.name + ".lock")

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def append(self, kind: str, record: dict[str, Any]) -> None:
        self._write(orjson.dumps({"kind": kind, "record": record}) + b"\n")

    def absorb(self, segment: Path) -> None:
        """Append a file of entries in the spool's format (a journal segment the database could not take)
        to the spool, synced, then delete it: an outage leaves one growing file, not one file per batch."""
        data = segment.read_bytes()
        if data:
            self._write(data if data.endswith(b"\n") else data + b"\n")
        segment.unlink()

    def _write(self, lines: bytes) -> None:
        """Append whole lines under the lock, synced to disk before returning."""
        with self._locked():
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, lines)
                os.fsync(fd)
            finally:
                os.close(fd)

    def adopt(self, segment: Path) -> None:
        """Take over a file of entries in the spool's format (a journal segment) for replay."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        segment.rename(self.path.with_name(f"{self.path.name}.{uuid.uuid4().hex}.replaying"))

    def _replaying(self) -> list[Path]:
        return sorted(self.path.parent.glob(self.path.name + ".*.replaying"))

    def has_pending(self) -> bool:
        return (self.path.exists() and self.path.stat().st_size > 0) or bool(self._replaying())

    def pending(self) -> int:
        """Entries waiting (counts lines, for /readyz and the CLI)."""
        total = 0
        for path in [self.path, *self._replaying()]:
            try:
                with path.open("rb") as spool:
                    total += sum(1 for line in spool if line.strip())
            except FileNotFoundError:
                continue
        return total

    def drain(self, handle: Callable[[list[Entry]], None], batch: int = 500) -> int:
        """Hand every waiting entry to `handle` in batches; returns how many were handed over.
        An exception from `handle` stops the drain and leaves the entries for the next one."""
        with self._locked():
            if self.path.exists() and self.path.stat().st_size > 0:
                self.path.rename(self.path.with_name(f"{self.path.name}.{uuid.uuid4().hex}.replaying"))
        handed = 0
        for path in self._replaying():
            try:
                entries = list(_read(path))
            except FileNotFoundError:  # another process finished it
                continue
            for start in range(0, len(entries), batch):
                handle(entries[start:start + batch])
                handed += len(entries[start:start + batch])
            path.unlink(missing_ok=True)
        return handed


def _read(path: Path) -> Iterator[Entry]:
    with path.open("rb") as spool:
        for number, line in enumerate(spool, 1):
            if not line.strip():
                continue
            try:
                yield orjson.loads(line)
            except orjson.JSONDecodeError:  # a line cut short by a crash mid-append was never acknowledged
                log.error("audit spool %s line %d is not JSON; skipped", path.name, number)
