"""The audit writer's driver-level batch insert stores values exactly as SQLAlchemy's column types read
them back (date-times, dates, JSON, booleans, NULLs), on SQLite and on PostgreSQL, and date range
queries find them."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from cds_service.audit import database
from cds_service.audit.models import calls, cards
from cds_service.audit.records import CallRecord, CardRecord
from cds_service.audit.repository import AuditRepository

RECEIVED = datetime(2026, 11, 23, 10, 7, 0)  # no microseconds: the text form must still compare right


def test_batch_insert_round_trips_every_column_type(database_url: str) -> None:
    engine = database.make_engine(database_url)
    database.upgrade(engine)
    repository = AuditRepository(engine)
    observed = {"weeks": 6.5, "dates": ["2026-11-01"], "nested": {"n": None}, "flag": True}
    card = CardRecord(uuid="card-1", criterion_id="HAM-01", indicator="warning", silent=True, summary="Too short",
                      observed=observed, thresholds={"min_weeks": 12}, suggestion_uuids=["s-1", "s-2"])
    first = CallRecord(service_id="svc", status=200, received_at=RECEIVED, latency_ms=2.5, guideline_version="1.0",
                       guideline_sha256="a" * 64, record_id="r-1", hook="order-sign", as_of=date(2026, 11, 23),
                       in_population=True, fhir_queries={"pain": ["Observation?code=72514-3"]},
                       failed_criteria=["HAM-05"], cards=[card])
    second = CallRecord(service_id="svc", status=400, received_at=RECEIVED + timedelta(microseconds=1),
                        latency_ms=0.4, guideline_version="1.0", guideline_sha256="a" * 64, record_id="r-2",
                        error="The request body is not valid JSON")
    assert repository.write_calls([first, second, first]) == 2
    assert repository.write_calls([second]) == 0
    with engine.connect() as db:
        rows = {r.record_id: r for r in db.execute(select(calls))}
        [stored_card] = db.execute(select(cards)).all()
        window = db.execute(select(calls.c.record_id).where(calls.c.received_at >= RECEIVED,
                                                            calls.c.received_at < RECEIVED + timedelta(seconds=1))
                            .order_by(calls.c.received_at)).scalars().all()
    one, two = rows["r-1"], rows["r-2"]
    assert one.received_at == RECEIVED and two.received_at == RECEIVED + timedelta(microseconds=1)
    assert one.as_of == date(2026, 11, 23) and two.as_of is None
    assert one.in_population is True and two.in_population is None
    assert one.fhir_queries == {"pain": ["Observation?code=72514-3"]} and one.failed_criteria == ["HAM-05"]
    assert one.card_count == 0 and one.silent_count == 1 and two.error == "The request body is not valid JSON"
    assert stored_card.call_id == one.id and stored_card.silent is True and stored_card.observed == observed
    assert stored_card.suggestion_uuids == ["s-1", "s-2"] and stored_card.received_at == RECEIVED
    assert window == ["r-1", "r-2"]
    engine.dispose()
