"""Card, suggestion and record ids: random version-4 UUIDs from a buffered os.urandom, never repeated,
not even by two processes forked from one that had already drawn from the pool."""

from __future__ import annotations

import os
import uuid

from cards.ids import POOL_BYTES, new_hex_id, new_uuid, random_bytes


def test_uuids_are_version_4_in_canonical_form_and_unique() -> None:
    ids = [new_uuid() for _ in range(3 * POOL_BYTES // 16)]  # across several pool refills
    assert len(set(ids)) == len(ids)
    for text in ids[:50]:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122
    assert len(new_hex_id()) == 32 and int(new_hex_id(), 16) >= 0
    assert len(random_bytes(POOL_BYTES + 1)) == POOL_BYTES + 1


def test_a_forked_process_does_not_repeat_the_parents_ids() -> None:
    new_uuid()  # the pool is filled and partly used
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.write(write, new_uuid().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    childs = os.read(read, 64).decode()
    os.close(read)
    assert uuid.UUID(childs).version == 4
    assert childs != new_uuid()  # the parent's next id from the same pool position
