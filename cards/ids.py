"""Random identifiers (card and suggestion uuids, audit record ids) from a buffered `os.urandom`.

One system call fills a pool for 256 uuids: each `os.urandom` call releases the GIL, and under load
another thread then holds it for up to the switch interval, so per-id system calls cost far more than
their own time. The bytes are the kernel's random bytes all the same. A forked process (a gunicorn
worker) starts with an empty pool, so no two processes ever hand out the same bytes.

UUIDs are written a pool at a time too (one hex conversion for 256 of them): a hook call hands out a
dozen, and formatting each on its own cost more than the rest of rendering its card.
"""

from __future__ import annotations

import os
import threading

POOL_BYTES = 4096
UUIDS_PER_FILL = POOL_BYTES // 16
# Byte maps that set the version-4 nibble (byte 6) and the RFC 4122 variant bits (byte 8) of a UUID.
_VERSION_4 = bytes(b & 0x0F | 0x40 for b in range(256))
_RFC_4122_VARIANT = bytes(b & 0x3F | 0x80 for b in range(256))

_lock = threading.Lock()
_pool = b""
_position = 0
_uuids: list[str] = []  # written, not yet handed out; list.pop and list.extend are atomic


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
    try:
        return _uuids.pop()
    except IndexError:
        fresh = _write_uuids(UUIDS_PER_FILL)
        first = fresh.pop()
        _uuids.extend(fresh)
        return first


def _write_uuids(count: int) -> list[str]:
    raw = bytearray(random_bytes(16 * count))
    raw[6::16] = raw[6::16].translate(_VERSION_4)
    raw[8::16] = raw[8::16].translate(_RFC_4122_VARIANT)
    h = raw.hex()
    return [f"{h[i:i + 8]}-{h[i + 8:i + 12]}-{h[i + 12:i + 16]}-{h[i + 16:i + 20]}-{h[i + 20:i + 32]}"
            for i in range(0, len(h), 32)]


def new_hex_id() -> str:
    """128 random bits as 32 hex digits (as `uuid.uuid4().hex` is used for record ids)."""
    return random_bytes(16).hex()


def _forget_pool() -> None:
    global _pool, _position
    _pool, _position = b"", 0
    _uuids.clear()


os.register_at_fork(after_in_child=_forget_pool)
