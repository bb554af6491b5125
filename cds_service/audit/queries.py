"""What the review pages, the JSON API and the exports read: indexed, paginated queries.

Calls are listed newest first by keyset (`before` an id), never by OFFSET, so page 500 of 100,000
calls costs what page 1 does. Filters: date range, service, criterion, indicator, feedback outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Select, and_, case, exists, func, select

from cds_service.audit.models import calls, cards, feedback

OUTCOMES = ("accepted", "overridden", "no-feedback")


def as_dict(row: Any) -> dict[str, Any]:
    """A result row as a plain dict (SQLAlchemy's keys are a str subclass that orjson refuses)."""
    return {str(k): v for k, v in row._mapping.items()}


@dataclass(frozen=True)
class CallFilter:
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    service_id: str | None = None
    criterion_id: str | None = None
    indicator: str | None = None
    outcome: str | None = None  # accepted | overridden | no-feedback (cards returned, none answered)

    def where(self) -> list[Any]:
        clauses: list[Any] = []
        if self.since:
            clauses.append(calls.c.received_at >= self.since)
        if self.until:
            clauses.append(calls.c.received_at < self.until)
        if self.service_id:
            clauses.append(calls.c.service_id == self.service_id)
        card_clauses = [cards.c.call_id == calls.c.id]
        if self.criterion_id:
            card_clauses.append(cards.c.criterion_id == self.criterion_id)
        if self.indicator:
            card_clauses.append(cards.c.indicator == self.indicator)
        answered = exists().where(feedback.c.card_uuid == cards.c.uuid)
        if self.outcome in ("accepted", "overridden"):
            card_clauses.append(exists().where(feedback.c.card_uuid == cards.c.uuid,
                                               feedback.c.outcome == self.outcome))
        elif self.outcome == "no-feedback":
            card_clauses += [~cards.c.silent, ~answered]
        if len(card_clauses) > 1:
            clauses.append(exists().where(and_(*card_clauses)))
        return clauses


def day_range(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """Inclusive dates as a half-open datetime range."""
    start = datetime.combine(since, datetime.min.time()) if since else None
    end = datetime.combine(until + timedelta(days=1), datetime.min.time()) if until else None
    return start, end


def list_calls(db: Connection, flt: CallFilter, before: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    query: Select[Any] = select(calls.c.id, calls.c.received_at, calls.c.service_id, calls.c.hook, calls.c.status,
                                calls.c.card_count, calls.c.silent_count, calls.c.latency_ms, calls.c.hook_instance,
                                calls.c.error, calls.c.partial).where(*flt.where())
    if before is not None:
        query = query.where(calls.c.id < before)
    rows = [as_dict(r) for r in db.execute(query.order_by(calls.c.id.desc()).limit(limit))]
    criteria = _criteria_of(db, [r["id"] for r in rows])
    for row in rows:
        row["criteria"] = criteria.get(row["id"], [])
    return rows


def _criteria_of(db: Connection, call_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    if call_ids:
        query = select(cards.c.call_id, cards.c.criterion_id, cards.c.silent).where(cards.c.call_id.in_(call_ids))
        for call_id, criterion, silent in db.execute(query.order_by(cards.c.id)):
            out.setdefault(call_id, []).append(criterion + (" (silent)" if silent else ""))
    return out


def call_detail(db: Connection, call_id: int) -> dict[str, Any] | None:
    row = db.execute(select(calls).where(calls.c.id == call_id)).first()
    if row is None:
        return None
    call = as_dict(row)
    call["cards"] = [as_dict(r) for r in db.execute(
        select(cards).where(cards.c.call_id == call_id).order_by(cards.c.id))]
    uuids = [c["uuid"] for c in call["cards"]]
    answers: dict[str, list[dict[str, Any]]] = {}
    if uuids:
        for fb in db.execute(select(feedback).where(feedback.c.card_uuid.in_(uuids)).order_by(feedback.c.id)):
            answers.setdefault(fb.card_uuid, []).append(as_dict(fb))
    for card in call["cards"]:
        card["feedback"] = answers.get(card["uuid"], [])
    return call


def dashboard(db: Connection, since: datetime, until: datetime) -> dict[str, Any]:
    in_range = and_(cards.c.received_at >= since, cards.c.received_at < until)
    call_range = and_(calls.c.received_at >= since, calls.c.received_at < until)
    day = func.date(cards.c.received_at)
    per_day = [(str(d), c, n) for d, c, n in db.execute(
        select(day, cards.c.criterion_id, func.count()).where(in_range, ~cards.c.silent)
        .group_by(day, cards.c.criterion_id).order_by(day))]
    answered = select(feedback.c.card_uuid, feedback.c.outcome).distinct().subquery()
    rates = db.execute(
        select(cards.c.criterion_id,
               func.count(func.distinct(case((~cards.c.silent, cards.c.id)))),
               func.count(func.distinct(case((answered.c.outcome == "accepted", cards.c.id)))),
               func.count(func.distinct(case((answered.c.outcome == "overridden", cards.c.id)))),
               func.count(func.distinct(case((cards.c.silent, cards.c.id)))))
        .select_from(cards.outerjoin(answered, answered.c.card_uuid == cards.c.uuid))
        .where(in_range).group_by(cards.c.criterion_id).order_by(cards.c.criterion_id)).all()
    reasons = db.execute(
        select(feedback.c.override_code, feedback.c.override_display, func.count())
        .select_from(feedback.join(cards, cards.c.uuid == feedback.c.card_uuid))
        .where(in_range, feedback.c.outcome == "overridden")
        .group_by(feedback.c.override_code, feedback.c.override_display)
        .order_by(func.count().desc()).limit(10)).all()
    totals = db.execute(select(
        func.count(), func.sum(case((calls.c.card_count == 0, 1), else_=0)),
        func.sum(case((calls.c.status != 200, 1), else_=0))).where(call_range)).one()
    latencies = list(db.scalars(select(calls.c.latency_ms).where(call_range).order_by(calls.c.latency_ms)))
    unknown = db.scalar(select(func.count()).select_from(feedback).where(
        ~feedback.c.card_known, feedback.c.received_at >= since, feedback.c.received_at < until))
    return {
        "per_day": per_day,
        "criteria": [{"criterion": c, "shown": shown, "accepted": acc, "overridden": over, "silent": silent,
                      "acceptance_rate": _rate(acc, shown), "override_rate": _rate(over, shown)}
                     for c, shown, acc, over, silent in rates],
        "override_reasons": [{"code": code, "display": display, "count": n} for code, display, n in reasons],
        "calls": totals[0] or 0, "zero_card_calls": totals[1] or 0, "error_calls": totals[2] or 0,
        "latency_ms": {f"p{p}": _percentile(latencies, p) for p in (50, 95, 99)},
        "unknown_card_feedback": unknown or 0,
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _percentile(ordered: list[float], p: int) -> float | None:
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))], 2)

