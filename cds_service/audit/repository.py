"""Writes to the audit database: one transaction per call (the call, then its cards in one
executemany), feedback joined to its card by uuid, the jti replay guard, and the retention prune.

Every insert is idempotent (`ON CONFLICT DO NOTHING` on the record id, card uuid or feedback item),
so replaying a spool that was partly written already stores nothing twice. The daily rollups
(cds_service/audit/rollup.py) get the counts of what a transaction newly stored, in that transaction.
"""

from __future__ import annotations

import time
from dataclasses import fields
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, Insert, Table, delete, func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from cds_service.audit.bulk import BulkInsert
from cds_service.audit.models import auth_replay, calls, captures, cards, feedback
from cds_service.audit.records import CallRecord, FeedbackRecord, accepted_key, now_utc
from cds_service.audit.rollup import CardInfo, Tally, card_info, dims_of, reason_of

PURGE_EVERY_SECONDS = 60.0
CHUNK = 500  # records per statement group (SQLite allows 999 parameters per IN list in old builds)
FEEDBACK_JOIN_LOCK_KEY = 0x68616D66  # pg_advisory_xact_lock key: early feedback and call batches take turns


class AuditRepository:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._dialect = sqlite if engine.dialect.name == "sqlite" else postgresql
        self._bulk_calls = BulkInsert(calls, "record_id", engine.dialect.name)
        self._bulk_cards = BulkInsert(cards, "uuid", engine.dialect.name)
        self._next_purge = 0.0
        mark = "?" if engine.dialect.name == "sqlite" else "%s"
        self._remember_sql = (
            f"INSERT INTO auth_replay (iss, jti, expires_at) VALUES ({mark}, {mark}, {mark}) "
            "ON CONFLICT (iss, jti) DO UPDATE SET expires_at = excluded.expires_at "
            f"WHERE auth_replay.expires_at <= {mark} RETURNING jti")

    def _insert(self, table: Table) -> Any:
        insert: Insert = self._dialect.insert(table)
        return insert

    def write_calls(self, records: list[CallRecord], refresh_feedback: bool = False) -> int:
        """Store the calls not stored yet, with their cards, in one transaction and a fixed number of
        statements per 500 records; returns how many were new."""
        unique = list({r.record_id: r for r in records}.values())  # a spool may hold a line twice
        new = 0
        with self.engine.begin() as db:
            if refresh_feedback:
                self._feedback_join_lock(db, exclusive=False)
            for start in range(0, len(unique), CHUNK):
                new += self._write_chunk(db, unique[start:start + CHUNK], refresh_feedback)
        return new

    def _write_chunk(self, db: Connection, records: list[CallRecord], refresh_feedback: bool) -> int:
        def ids_of(chosen: list[CallRecord]) -> dict[str, int]:
            head = "SELECT record_id, id FROM audit_call WHERE record_id"
            return dict(self._rows_in(db, head, [r.record_id for r in chosen]))

        stored = ids_of(records)
        new = [r for r in records if r.record_id not in stored]
        if not new:
            return 0
        self._bulk_calls.run(db, [_call_row(r) for r in new])
        ids = ids_of(new)
        self._bulk_cards.run(db, [_card_row(ids[r.record_id], r, c) for r in new for c in r.cards])
        capture_rows = [{"call_id": ids[r.record_id], "captured_at": r.received_at, "request": r.capture}
                        for r in new if r.capture is not None]
        if capture_rows:
            db.execute(captures.insert(), capture_rows)
        tally = _calls_tally(new)
        if refresh_feedback:  # feedback that reached the database before its (write-behind) call
            uuids = [c.uuid for r in new for c in r.cards]
            if uuids:
                self._tally_early_feedback(db, new, uuids, tally)
                known = "1" if self._dialect is sqlite else "true"
                self._rows_in(db, f"UPDATE audit_feedback SET card_known = {known} WHERE card_known <> {known} "
                                  "AND card_uuid", uuids, fetch=False)
        tally.write(db)
        return len(new)

    def _tally_early_feedback(self, db: Connection, new: list[CallRecord], uuids: list[str], tally: Tally) -> None:
        """Feedback stored before its card (card_known false) is counted now that the card is."""
        columns = ", ".join(("card_uuid", "outcome", "accepted_suggestions", "override_system", "override_code",
                             "override_display", "standard_code"))
        early = self._rows_in(db, f"SELECT {columns} FROM audit_feedback WHERE card_known <> "
                                  f"{'1' if self._dialect is sqlite else 'true'} AND card_uuid", uuids)
        if not early:
            return
        by_uuid = {c.uuid: (r, c) for r in new for c in r.cards}
        for uuid, outcome, accepted, system, code, display, standard in sorted(early, key=lambda e: str(e[0])):
            record, card = by_uuid[uuid]
            info = CardInfo(_dims(record), card.criterion_id, dict(zip(card.suggestion_uuids, card.suggestion_labels,
                                                                       strict=False)))
            if isinstance(accepted, str):  # SQLite hands the driver's JSON text back
                accepted = orjson.loads(accepted)
            tally.feedback(uuid, info, outcome, accepted or [], (system or "", code or "", display or "",
                                                                standard or ""))

    def _rows_in(self, db: Connection, head: str, values: list[str], fetch: bool = True) -> list[Any]:
        """`head` (a statement ending in a column) completed with `IN (values)`, in groups of CHUNK values
        (written in the driver's own SQL: SQLAlchemy compiled each long IN list anew)."""
        rows: list[Any] = []
        for start in range(0, len(values), CHUNK):
            group = values[start:start + CHUNK]
            if self._dialect is sqlite:
                result = db.exec_driver_sql(f"{head} IN ({', '.join('?' * len(group))})", tuple(group))
            else:
                result = db.exec_driver_sql(f"{head} = ANY(%s)", (group,))
            if fetch:
                rows.extend(tuple(row) for row in result)
        return rows

    def write_feedback(self, items: list[FeedbackRecord]) -> int:
        """Store the feedback items not stored yet; returns how many were new."""
        unique = list({item.key: item for item in items}.values())
        if not unique:
            return 0
        with self.engine.begin() as db:
            uuids = sorted({i.card_uuid for i in unique})
            # PostgreSQL: the join lock before any card row lock (a batch holding a card's row while waiting for
            # the lock that another, waiting for that row, holds was a deadlock); cards committed while it was
            # awaited are then found too.
            if self._dialect is postgresql and len(self._cards_for_feedback(db, uuids, lock_rows=False)) < len(uuids):
                self._feedback_join_lock(db, exclusive=True)
            known = self._cards_for_feedback(db, uuids)
            answered = db.execute(select(feedback.c.card_uuid, feedback.c.outcome)
                                  .where(feedback.c.card_uuid.in_(list(known)))).all() if known else []
            rows = [{**item.to_json(), "accepted_key": accepted_key(item.accepted_suggestions),
                     "card_known": item.card_uuid in known} for item in unique]
            statement = (self._insert(feedback)
                         .on_conflict_do_nothing(index_elements=["service_id", "card_uuid", "outcome", "accepted_key",
                                                                 "outcome_timestamp"])
                         .returning(feedback.c.card_uuid, feedback.c.outcome, feedback.c.accepted_key,
                                    feedback.c.outcome_timestamp))
            stored = {(uuid, outcome, key, _naive(at)) for uuid, outcome, key, at in db.execute(statement, rows)}
            tally = Tally(seen={(uuid, mark) for uuid, outcome in answered for mark in ("any", outcome)})
            for item in unique:
                new = (item.card_uuid, item.outcome, accepted_key(item.accepted_suggestions),
                       item.outcome_timestamp) in stored
                if new and item.card_uuid in known:
                    tally.feedback(item.card_uuid, known[item.card_uuid], item.outcome, item.accepted_suggestions,
                                   reason_of(item))
            tally.write(db)
            return len(stored)

    def _feedback_join_lock(self, db: Connection, exclusive: bool) -> bool:
        """PostgreSQL: feedback for cards not in the database yet (exclusive) and call batches that join
        such feedback (shared) take turns, so neither misses the other's rows. Without it, feedback sent
        to one instance while another committed the card's call was stored as for an unknown card, for
        good (each transaction saw the database without the other's uncommitted rows). SQLite commits
        one writer at a time already."""
        if self._dialect is not postgresql:
            return False
        db.exec_driver_sql(f"SELECT pg_advisory_xact_lock{'' if exclusive else '_shared'}(%s)",
                           (FEEDBACK_JOIN_LOCK_KEY,))
        return True

    def _cards_for_feedback(self, db: Connection, uuids: list[str], lock_rows: bool = True) -> dict[str, CardInfo]:
        """The cards the items answer, with where their feedback counts; on PostgreSQL locked for the
        transaction (unless `lock_rows` is false), so two feedback batches for one card count its first answer
        once."""
        query = (select(cards.c.uuid, cards.c.criterion_id, cards.c.suggestion_uuids, cards.c.suggestion_labels,
                        calls.c.received_at, calls.c.guideline_version, calls.c.service_id, calls.c.hook,
                        calls.c.jwt_iss, calls.c.tenant)
                 .select_from(cards.join(calls, calls.c.id == cards.c.call_id)).where(cards.c.uuid.in_(uuids)))
        if self._dialect is postgresql and lock_rows:
            query = query.with_for_update(of=cards)
        return {row.uuid: card_info(row, dims_of(row.received_at, row.guideline_version, row.service_id, row.hook,
                                                 row.jwt_iss, row.tenant))
                for row in db.execute(query.order_by(cards.c.uuid))}

    def remember_jti(self, iss: str, jti: str, expires_at: float) -> bool:
        """The jti replay guard (cds_service.auth.replay.ReplayGuard): False when seen and still live.
        Used for PostgreSQL (a SQLite audit store keeps jtis in a file of their own: audit/token_replay.py).
        One statement in the driver's SQL on every authenticated call (SQLAlchemy's compiled upsert cost
        more than the database's work); RETURNING because rowcount is -1 for this upsert through psycopg."""
        now = time.time()
        with self.engine.begin() as db:
            inserted = db.exec_driver_sql(self._remember_sql, (iss, jti, expires_at, now)).first() is not None
            if now >= self._next_purge:
                self._next_purge = now + PURGE_EVERY_SECONDS
                db.execute(delete(auth_replay).where(auth_replay.c.expires_at <= now))
        return inserted

    def count(self, table: Table) -> int:
        with self.engine.connect() as db:
            return int(db.scalar(select(func.count()).select_from(table)) or 0)

    def ping(self) -> bool:
        try:
            with self.engine.connect() as db:
                db.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - any failure means "not reachable" to /readyz
            return False

    def prune(self, before: datetime, captures_before: datetime) -> dict[str, int]:
        """Delete calls (with their cards and captures) and feedback received before `before`, and
        captured requests older than `captures_before`."""
        with self.engine.begin() as db:
            old_calls = select(calls.c.id).where(calls.c.received_at < before).scalar_subquery()
            removed = {
                "captures": db.execute(delete(captures).where(
                    (captures.c.captured_at < captures_before) | captures.c.call_id.in_(old_calls))).rowcount,
                "cards": db.execute(delete(cards).where(cards.c.call_id.in_(old_calls))).rowcount,
                "feedback": db.execute(delete(feedback).where(feedback.c.received_at < before)).rowcount,
                "calls": db.execute(delete(calls).where(calls.c.received_at < before)).rowcount,
            }
        return removed


def _dims(record: CallRecord) -> Any:
    return dims_of(record.received_at, record.guideline_version, record.service_id, record.hook, record.jwt_iss,
                   record.tenant)


def _calls_tally(records: list[CallRecord]) -> Tally:
    tally = Tally()
    for record in records:
        dims = _dims(record)
        tally.call(dims, status=record.status, in_population=record.in_population, card_count=record.returned_cards,
                   partial=record.partial, skipped=len(record.skipped_resources), failed=record.failed_criteria,
                   latency_ms=record.latency_ms)
        for card in record.cards:
            tally.card(dims, card.criterion_id, card.silent)
    return tally


def _naive(value: datetime) -> datetime:
    return value.replace(tzinfo=None) if value.tzinfo else value


def _call_row(record: CallRecord) -> dict[str, Any]:
    row = {f.name: getattr(record, f.name) for f in fields(record) if f.name not in ("cards", "capture")}
    row["card_count"] = record.returned_cards
    row["silent_count"] = record.silent_cards
    return row


def _card_row(call_id: int, record: CallRecord, card: Any) -> dict[str, Any]:
    return {"call_id": call_id, "uuid": card.uuid, "criterion_id": card.criterion_id, "indicator": card.indicator,
            "silent": card.silent, "summary": card.summary, "observed": card.observed,
            "thresholds": card.thresholds, "suggestion_uuids": card.suggestion_uuids,
            "suggestion_labels": card.suggestion_labels, "received_at": record.received_at}


__all__ = ["AuditRepository", "now_utc"]
