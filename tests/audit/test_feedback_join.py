"""Feedback given to one instance while another commits the card's call (PostgreSQL, several instances):
the feedback is joined to its card and counted once, whichever transaction commits first. Staged
deterministically: the feedback transaction pauses between looking its card up and storing itself while
the call batch commits. Skipped, saying why, without CDS_TEST_POSTGRES_URL."""

from __future__ import annotations

import threading
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

            def look_up_then_wait_for_the_call(db: Any, uuids: list[str]) -> Any:
                found = look_up(db, uuids)
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
