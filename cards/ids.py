"""Random identifiers (card and suggestion uuids, audit record ids) from a buffered `os.urandom`.

One system call fills a pool for 256 uuids: each `os.urandom` call releases the GIL, and under load
another thread then holds it for up to the switch interval, so per-id system calls cost far more than
their own time. The bytes are the kernel's random bytes all the same. A forked process (a gunicorn
worker) starts with an empty pool, so no two processes ever hand out the same bytes.
"""

from __future__ import annotations

import os
import threading

POOL_BYTES = 4096

_lock = threading.Lock()
_pool = b""
_position = 0


def random_bytes(count: int) -> bytes:
    global _pool, _position
    with _lock:
        if _position + count > len(_pool):
            _pool, _position = os.urandom(max(POOL_BYTES, count)), 0
        chunk = _pool[_position:_position + count]
        _position += count
    return chunk


def new_uuid() -> str:
    """A random (version 4) UUID, written as `str(uuid.uuid4())` writes it."""
    raw = bytearray(random_bytes(16))
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def new_hex_id() -> str:
    """128 random bits as 32 hex digits (as `uuid.uuid4().hex` is used for record ids)."""
    return random_bytes(16).hex()


def _forget_pool() -> None:
    global _pool, _position
    _pool, _position = b"", 0


os.register_at_fork(after_in_child=_forget_pool)
