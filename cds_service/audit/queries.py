"""What the review pages, the JSON API and the exports read: indexed, paginated queries.

Calls are listed newest first by keyset (`before` an id), never by OFFSET, so page 500 of 100,000
calls costs what page 1 does. Filters: date range, service, criterion, indicator, feedback outcome.
The dashboard reads the daily rollups (cds_service/audit/rollup.py), never the calls themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Select, and_, exists, func, select

from cds_service.audit.analytics import figures
from cds_service.audit.models import calls, cards, feedback, rollup, rollup_feedback, rollup_latency
from cds_service.audit.reasons import ReasonCoder
from cds_service.audit.rollup import CALL, COUNTS, bucket_ms, days_in

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


def dashboard(db: Connection, since: date, until: date, reasons: ReasonCoder) -> dict[str, Any]:
    """The 90-day overview, from the daily rollups (cds_service/audit/rollup.py): a few thousand rows
    whatever the number of calls. `until` is inclusive. An override reason sent without a display shows
    the configured display of that local code, as on the analytics page."""
    days = days_in(rollup, since, until)
    per_day = [(str(d)[:10], c, int(n)) for d, c, n in db.execute(
        select(rollup.c.day, rollup.c.criterion_id, func.sum(rollup.c.shown))
        .where(days, rollup.c.criterion_id != CALL).group_by(rollup.c.day, rollup.c.criterion_id)
        .having(func.sum(rollup.c.shown) > 0).order_by(rollup.c.day, rollup.c.criterion_id))]
    totals: dict[str, int] = dict.fromkeys(COUNTS, 0)
    per_criterion: dict[str, dict[str, int]] = {}
    for row in db.execute(select(rollup.c.criterion_id, *[func.sum(rollup.c[c]).label(c) for c in COUNTS])
                          .where(days).group_by(rollup.c.criterion_id)):
        counts = {c: int(getattr(row, c) or 0) for c in COUNTS}
        if row.criterion_id == CALL:
            totals = counts
        else:
            per_criterion[row.criterion_id] = counts
    top_reasons = db.execute(
        select(rollup_feedback.c.reason_code, rollup_feedback.c.reason_display, rollup_feedback.c.standard_code,
               func.sum(rollup_feedback.c.item_count))
        .where(days_in(rollup_feedback, since, until), rollup_feedback.c.outcome == "overridden")
        .group_by(rollup_feedback.c.reason_code, rollup_feedback.c.reason_display, rollup_feedback.c.standard_code)
        .order_by(func.sum(rollup_feedback.c.item_count).desc()).limit(10)).all()
    start, end = day_range(since, until)
    unknown = db.scalar(select(func.count()).select_from(feedback).where(
        ~feedback.c.card_known, feedback.c.received_at >= start, feedback.c.received_at < end))
    return {
        "per_day": per_day,
        "criteria": [{"criterion": cid, **figures(counts, totals["in_population"])}
                     for cid, counts in sorted(per_criterion.items())],
        "override_reasons": [{"code": code or None,
                              "display": display or reasons.local_display.get(code or "") or None,
                              "standard_code": standard or None, "count": int(n)}
                             for code, display, standard, n in top_reasons],
        "calls": totals["calls"], "in_population": totals["in_population"],
        "zero_card_calls": totals["zero_card_calls"], "error_calls": totals["error_calls"],
        "partial_calls": totals["partial_calls"],
        "latency_ms": latency_percentiles(db, since, until, (50, 95, 99)),
        "unknown_card_feedback": unknown or 0,
    }


def latency_percentiles(db: Connection, since: date, until: date, percentiles: tuple[int, ...]) -> dict[str, Any]:
    """Percentiles from the daily latency histograms: the upper bound of the bucket holding the rank (within
    12 % of the exact figure)."""
    buckets = db.execute(select(rollup_latency.c.bucket, func.sum(rollup_latency.c.calls))
                         .where(days_in(rollup_latency, since, until))
                         .group_by(rollup_latency.c.bucket).order_by(rollup_latency.c.bucket)).all()
    total = sum(int(n) for _, n in buckets)
    out: dict[str, Any] = {}
    for p in percentiles:
        rank, seen, value = int(round(p / 100 * (total - 1))), 0, None
        for bucket, n in buckets:
            seen += int(n)
            if seen > rank:
                value = round(bucket_ms(bucket), 2)
                break
        out[f"p{p}"] = value
    return out
