"""Feedback given to one instance while another commits the card's call (PostgreSQL, several instances):
the feedback is joined to its card and counted once, whichever transaction commits first. Staged
deterministically: the feedback transaction pauses between looking its card up and storing itself while
the call batch commits. Skipped, saying why, without CDS_TEST_POSTGRES_URL."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from cds_service.audit import database
from cds_service.audit.models import feedback, rollup
from cds_service.audit.records import CallRecord, CardRecord, FeedbackRecord, now_utc
from cds_service.audit.repository import AuditRepository
from tests.audit.support import NO_POSTGRES, POSTGRES_URL, postgres_schema

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason=NO_POSTGRES)


def call_with_card() -> CallRecord:
    card = CardRecord(uuid="card-1", criterion_id="HAM-01", indicator="warning", silent=False, summary="s",
                      observed={}, thresholds={}, suggestion_uuids=["sug-1"], suggestion_labels=["Extend"])
    return CallRecord(service_id="hamstring-rehab-order-sign", status=200, received_at=now_utc(), latency_ms=2.0,
                      guideline_version="t", guideline_sha256="0" * 64, hook="order-sign", in_population=True,
                      cards=[card])


def test_feedback_looked_up_before_its_call_commits_on_another_instance_is_joined_once() -> None:
    assert POSTGRES_URL
    with postgres_schema(POSTGRES_URL) as url:
        engines = [database.make_engine(url), database.make_engine(url)]  # two instances, one database
        try:
            database.upgrade(engines[0])
            answering, receiving_feedback = AuditRepository(engines[0]), AuditRepository(engines[1])
            record = call_with_card()
            early = FeedbackRecord(service_id=record.service_id, card_uuid="card-1", outcome="accepted",
                                   accepted_suggestions=["sug-1"], outcome_timestamp=now_utc(), received_at=now_utc())
            looked_up, committed = threading.Event(), threading.Event()
            look_up = receiving_feedback._cards_for_feedback

            def look_up_then_wait_for_the_call(db: Any, uuids: list[str], **kwargs: Any) -> Any:
                found = look_up(db, uuids, **kwargs)
                if not looked_up.is_set():
                    looked_up.set()
                    committed.wait(10)  # the card is committed elsewhere meanwhile
                return found

            receiving_feedback._cards_for_feedback = look_up_then_wait_for_the_call  # type: ignore[method-assign]
            stored: list[int] = []
            writer = threading.Thread(target=lambda: stored.append(receiving_feedback.write_feedback([early])))
            writer.start()
            assert looked_up.wait(10)
            assert answering.write_calls([record], refresh_feedback=True) == 1
            committed.set()
            writer.join(20)
            assert stored == [1]
            with engines[0].connect() as db:
                assert db.execute(select(feedback.c.card_known)).scalars().all() == [True]
                accepted = db.scalar(select(func.sum(rollup.c.accepted)).where(rollup.c.criterion_id == "HAM-01"))
            assert accepted == 1
        finally:
            for engine in engines:
                engine.dispose()


def card_call(uuid: str) -> CallRecord:
    record = call_with_card()
    record.cards[0].uuid = uuid
    return record


def item_for(uuid: str) -> FeedbackRecord:
    return FeedbackRecord(service_id="hamstring-rehab-order-sign", card_uuid=uuid, outcome="overridden",
                          accepted_suggestions=[], outcome_timestamp=now_utc(), received_at=now_utc())


def test_two_feedback_batches_for_a_card_committed_meanwhile_do_not_deadlock() -> None:
    """Feedback A looks its cards up before card N is committed (N and U1 unknown); feedback B looks up after
    (N known and locked, U2 unknown). A takes the join lock and wants N's row, which B holds while it waits for
    the join lock: PostgreSQL aborted one of them as a deadlock (its feedback went to the spool). The join
    lock is now taken before any card row is locked, so B holds nothing that A waits for."""
    assert POSTGRES_URL
    with postgres_schema(POSTGRES_URL) as url:
        engines = [database.make_engine(url) for _ in range(3)]  # the call's instance and two receiving feedback
        try:
            database.upgrade(engines[0])
            calls_side, first, second = (AuditRepository(e) for e in engines)
            first_looked, second_ready, go_first, go_second = (threading.Event() for _ in range(4))
            look_up, join_lock = first._cards_for_feedback, second._feedback_join_lock

            def first_looks_then_waits(db: Any, uuids: list[str], **kwargs: Any) -> Any:
                found = look_up(db, uuids, **kwargs)
                if not first_looked.is_set():
                    first_looked.set()
                    go_first.wait(10)
                return found

            def second_waits_before_the_lock(db: Any, exclusive: bool) -> bool:
                second_ready.set()
                go_second.wait(10)
                return join_lock(db, exclusive)

            first._cards_for_feedback = first_looks_then_waits  # type: ignore[method-assign]
            second._feedback_join_lock = second_waits_before_the_lock  # type: ignore[method-assign]
            outcomes: dict[str, Any] = {}

            def send(name: str, repository: AuditRepository, uuids: list[str]) -> None:
                try:
                    outcomes[name] = repository.write_feedback([item_for(u) for u in uuids])
                except Exception as exc:  # noqa: BLE001 - the deadlock, reported by the assertion below
                    outcomes[name] = exc

            threads = [threading.Thread(target=send, args=("first", first, ["card-n", "card-u1"])),
                       threading.Thread(target=send, args=("second", second, ["card-n", "card-u2"]))]
            threads[0].start()
            assert first_looked.wait(10)
            assert calls_side.write_calls([card_call("card-n")], refresh_feedback=True) == 1
            threads[1].start()
            assert second_ready.wait(10)
            go_first.set()
            time.sleep(0.5)  # the first takes the join lock (and, before the fix, waits for card N's row)
            go_second.set()
            for thread in threads:
                thread.join(20)
            assert outcomes == {"first": 2, "second": 2}
            with engines[0].connect() as db:
                known = dict(db.execute(select(feedback.c.card_uuid, feedback.c.card_known)).all())
            assert known == {"card-n": True, "card-u1": False, "card-u2": False}
        finally:
            for engine in engines:
                engine.dispose()
