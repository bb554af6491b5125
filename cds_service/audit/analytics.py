"""Feedback analytics from the daily rollups (cds_service/audit/rollup.py): per criterion, for a date range
and optionally per guideline version, service, hook, issuer or tenant, the in-population calls, cards
shown, firing rate, accepted (and which suggestion), overridden (and why, with the HL7 non-adherence
reason code), no feedback received, with rates beside their counts; a series per period; and the
free-text override comments of the range. What each figure means: docs/quality-review.md.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from cds_service.audit.models import calls, cards, feedback, rollup, rollup_feedback
from cds_service.audit.reasons import ReasonCoder
from cds_service.audit.rollup import CALL, COUNTS, days_in

GROUPS = ("guideline_version", "service_id", "hook", "issuer", "tenant")
PERIODS = ("day", "week", "month")
COMMENTS_PER_CRITERION = 50


@dataclass(frozen=True)
class Scope:
    since: date
    until: date  # inclusive
    guideline_version: str | None = None
    service_id: str | None = None
    hook: str | None = None
    issuer: str | None = None
    tenant: str | None = None

    def where(self, table: Any) -> list[Any]:
        clauses = [days_in(table, self.since, self.until)]
        clauses += [table.c[name] == value for name in GROUPS if (value := getattr(self, name)) is not None]
        return clauses

    def filters(self) -> dict[str, str]:
        return {name: value for name in GROUPS if (value := getattr(self, name)) is not None}


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def per_100(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def figures(counts: dict[str, int], in_population: int) -> dict[str, Any]:
    """A criterion's counts with their rates. Accepted, overridden and no feedback are shares of the cards
    shown; the firing rate is cards (shown and silent) per 100 in-population calls."""
    shown, fired = counts["shown"], counts["shown"] + counts["silent"]
    no_feedback = shown - counts["answered"]
    return {"in_population": in_population, "fired": fired, "shown": shown, "silent": counts["silent"],
            "failed": counts["failed"], "accepted": counts["accepted"], "overridden": counts["overridden"],
            "answered": counts["answered"], "no_feedback": no_feedback,
            "firing_rate": per_100(fired, in_population), "acceptance_rate": rate(counts["accepted"], shown),
            "override_rate": rate(counts["overridden"], shown), "no_feedback_rate": rate(no_feedback, shown)}


def _sums(db: Connection, scope: Scope, extra: list[Any]) -> list[Any]:
    return list(db.execute(select(*extra, rollup.c.criterion_id, *[func.sum(rollup.c[c]).label(c) for c in COUNTS])
                      .where(*scope.where(rollup)).group_by(*extra, rollup.c.criterion_id)))


def report(db: Connection, scope: Scope, reasons: ReasonCoder, by: str | None = None) -> dict[str, Any]:
    """Per group (one group unless `by` names a dimension) and criterion: figures, accepted suggestions
    and override reasons."""
    extra = [rollup.c[by]] if by else []
    groups: dict[str, dict[str, Any]] = {}
    for row in _sums(db, scope, extra):
        name = str(row[0]) if by else ""
        group = groups.setdefault(name, {"group": name, "calls": {}, "criteria": {}})
        counts = {c: int(getattr(row, c) or 0) for c in COUNTS}
        if row.criterion_id == CALL:
            group["calls"] = counts
        else:
            group["criteria"][row.criterion_id] = counts
    details = _feedback_details(db, scope, reasons, by)
    out = []
    for name, group in sorted(groups.items()):
        totals = group["calls"] or dict.fromkeys(COUNTS, 0)
        criteria = [{"criterion": cid, **figures(counts, totals["in_population"]),
                     "accepted_suggestions": details["accepted"].get((name, cid), []),
                     "override_reasons": details["overridden"].get((name, cid), [])}
                    for cid, counts in sorted(group["criteria"].items())]
        out.append({"group": name, "calls": totals["calls"], "in_population": totals["in_population"],
                    "error_calls": totals["error_calls"], "partial_calls": totals["partial_calls"],
                    "skipped_calls": totals["skipped_calls"], "criteria": criteria})
    return {"since": scope.since.isoformat(), "until": scope.until.isoformat(), "filters": scope.filters(),
            "by": by, "groups": out}


def _feedback_details(db: Connection, scope: Scope, reasons: ReasonCoder, by: str | None) -> dict[str, Any]:
    t = rollup_feedback
    extra = [t.c[by]] if by else []
    rows = db.execute(select(*extra, t.c.criterion_id, t.c.outcome, t.c.suggestion, t.c.reason_code,
                             t.c.reason_display, t.c.standard_code, func.sum(t.c.item_count).label("n"))
                      .where(*scope.where(t))
                      .group_by(*extra, t.c.criterion_id, t.c.outcome, t.c.suggestion, t.c.reason_code,
                                t.c.reason_display, t.c.standard_code)).all()
    out: dict[str, dict[tuple[str, str], list[dict[str, Any]]]] = {"accepted": defaultdict(list),
                                                                   "overridden": defaultdict(list)}
    for row in sorted(rows, key=lambda r: -int(r.n)):
        where = (str(row[0]) if by else "", row.criterion_id)
        if row.outcome == "accepted":
            out["accepted"][where].append({"suggestion": row.suggestion or None, "count": int(row.n)})
        else:
            standard = row.standard_code or None
            out["overridden"][where].append({
                "code": row.reason_code or None,  # the display sent, else the configured one for a local code
                "display": row.reason_display or reasons.local_display.get(row.reason_code or "") or None,
                "standard_code": standard, "standard_display": reasons.standard_display(standard),
                "category": reasons.category(standard), "count": int(row.n)})
    return out


def period_of(day: date, period: str) -> str:
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return day.strftime("%Y-%m") if period == "month" else day.isoformat()


def series(db: Connection, scope: Scope, period: str = "day") -> dict[str, list[dict[str, Any]]]:
    """Per criterion, per period: figures over time (the denominator is the period's in-population calls)."""
    rows = _sums(db, scope, [rollup.c.day])
    population: dict[str, int] = defaultdict(int)
    counts: dict[str, dict[str, dict[str, int]]] = defaultdict(dict)
    for row in rows:
        key = period_of(_day(row.day), period)
        if row.criterion_id == CALL:
            population[key] += int(row.in_population or 0)
            continue
        slot = counts[row.criterion_id].setdefault(key, dict.fromkeys(COUNTS, 0))
        for c in COUNTS:
            slot[c] += int(getattr(row, c) or 0)
    return {cid: [{"period": key, **figures(by_period[key], population[key])} for key in sorted(by_period)]
            for cid, by_period in sorted(counts.items())}


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class Comment:
    criterion: str
    call_id: int
    day: str
    code: str | None
    display: str | None
    standard_code: str | None
    comment: str
    patient_pseudonym: str | None


def comments(db: Connection, scope: Scope, limit: int = COMMENTS_PER_CRITERION) -> dict[str, list[dict[str, Any]]]:
    """The free-text override comments of the range's cards, newest first, per criterion (the patient as
    its pseudonym, as everywhere in the audit trail). Read from the feedback first (its received_at index:
    feedback comes after its card), then their cards and calls by key, so no plan walks the card table."""
    start = datetime.combine(scope.since, datetime.min.time())
    end = datetime.combine(scope.until + timedelta(days=1), datetime.min.time())
    notes = db.execute(select(feedback.c.card_uuid, feedback.c.override_code, feedback.c.override_display,
                              feedback.c.standard_code, feedback.c.override_comment)
                       .where(feedback.c.received_at >= start, feedback.c.override_comment.is_not(None),
                              feedback.c.outcome == "overridden").order_by(feedback.c.id.desc())).all()
    dims = {"guideline_version": calls.c.guideline_version, "service_id": calls.c.service_id, "hook": calls.c.hook,
            "issuer": calls.c.jwt_iss, "tenant": calls.c.tenant}
    uuids = sorted({n.card_uuid for n in notes if n.override_comment.strip()})
    shown: dict[str, Any] = {}
    for first in range(0, len(uuids), 500):
        shown.update((row.uuid, row) for row in db.execute(
            select(cards.c.uuid, cards.c.criterion_id, cards.c.received_at, calls.c.id, calls.c.patient_pseudonym)
            .select_from(cards.join(calls, calls.c.id == cards.c.call_id))
            .where(cards.c.uuid.in_(uuids[first:first + 500]),
                   *[dims[name] == value for name, value in scope.filters().items()])))
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for note in notes:
        card = shown.get(note.card_uuid)  # the card's day checked here: in SQL it made plans walk the range
        if card is not None and start <= card.received_at < end and len(out[card.criterion_id]) < limit:
            out[card.criterion_id].append(asdict(Comment(
                card.criterion_id, card.id, card.received_at.date().isoformat(), note.override_code,
                note.override_display, note.standard_code, note.override_comment, card.patient_pseudonym)))
    return dict(sorted(out.items()))


def analytics(db: Connection, scope: Scope, reasons: ReasonCoder, by: str | None = None,
              period: str = "day") -> dict[str, Any]:
    """What /review/analytics, /review/api/analytics and `audit report` show."""
    return {**report(db, scope, reasons, by), "period": period, "series": series(db, scope, period),
            "comments": comments(db, scope)}


def chart_points(series_of_criterion: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    """A criterion's daily series as (day, line, count) for cds_service/review_chart.py."""
    return [(point["period"], line, point[key]) for point in series_of_criterion
            for line, key in (("shown", "shown"), ("accepted", "accepted"), ("overridden", "overridden"),
                              ("no feedback", "no_feedback"))]
