"""Card, suggestion and record ids: version-7 UUIDs (time first, then random bits from a buffered
os.urandom), in time order across milliseconds, never repeated, not even by two processes forked from
one that had already drawn from the pool."""

from __future__ import annotations

import os
import time
import uuid

from cards.ids import POOL_BYTES, TAILS_PER_FILL, new_hex_id, new_uuid, random_bytes


def test_uuids_are_version_7_in_canonical_form_and_unique() -> None:
    ids = [new_uuid() for _ in range(3 * TAILS_PER_FILL)]  # across several pool refills
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 7 and parsed.variant == uuid.RFC_4122
    assert len(random_bytes(POOL_BYTES + 1)) == POOL_BYTES + 1


def test_ids_start_with_the_millisecond_they_were_made_in() -> None:
    before = time.time_ns() // 1_000_000
    made = uuid.UUID(new_uuid())
    record = uuid.UUID(hex=new_hex_id())
    after = time.time_ns() // 1_000_000
    for parsed in (made, record):
        assert before <= parsed.int >> 80 <= after
        assert parsed.version == 7 and parsed.variant == uuid.RFC_4122


def test_ids_of_later_milliseconds_sort_after_earlier_ones() -> None:
    first = new_uuid()
    time.sleep(0.003)
    later = [new_uuid() for _ in range(50)]
    assert all(first < text for text in later)
    assert new_hex_id() > first.replace("-", "")


def test_random_parts_differ_within_one_millisecond() -> None:
    tails = {new_hex_id()[12:] for _ in range(1000)}
    assert len(tails) == 1000


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
    assert uuid.UUID(childs).version == 7
    assert childs[14:] != new_uuid()[14:]  # the parent's next random part from the same pool position
