"""Daily rollups of the audit trail: what the dashboard, the analytics, the report and the monitor read,
so a 90-day page reads a few thousand rows instead of every call.

Three tables (cds_service/audit/models.py), each row keyed by a hash of its dimensions: `audit_rollup`
(per day, guideline version, service, hook, issuer, tenant and criterion: calls, in-population calls,
cards shown and silent, criterion failures, cards answered, accepted and overridden), `audit_rollup_feedback`
(feedback items per accepted suggestion or override reason) and `audit_rollup_latency` (a latency
histogram per day and service). A card's feedback counts on the card's day, whenever it arrives.

The repository adds each committed batch's counts in the batch's own transaction, for the records it
newly stored only, so a spool replayed twice counts once (the record id and the feedback item are the
idempotency keys). `rebuild` recounts from the calls, cards and feedback still stored; the same `Tally`
does both, so the two agree by construction (a test checks it).
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Table, and_, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from cds_service.audit.models import calls, cards, feedback, rollup, rollup_feedback, rollup_latency

COUNTS = ("calls", "in_population", "error_calls", "zero_card_calls", "partial_calls", "skipped_calls",
          "skipped_resources", "shown", "silent", "failed", "answered", "accepted", "overridden")
CALL = ""  # criterion_id of a call's own row
Dims = tuple[date, str, str, str, str, str]  # day, guideline version, service, hook, issuer, tenant
LATENCY_STEPS_PER_DECADE = 20
WRITE_CHUNK = 500


def latency_bucket(ms: float) -> int:
    return max(-40, min(100, math.ceil(LATENCY_STEPS_PER_DECADE * math.log10(max(ms, 0.01)))))


def bucket_ms(bucket: int) -> float:
    """The upper bound of a latency bucket."""
    return 10 ** (bucket / LATENCY_STEPS_PER_DECADE)


def dims_of(received_at: datetime | date | str, version: str, service: str, hook: str | None, issuer: str | None,
            tenant: str | None) -> Dims:
    day = received_at.date() if isinstance(received_at, datetime) else received_at
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    return (day, version[:40], service[:100], (hook or "")[:40], (issuer or "")[:255], (tenant or "")[:255])


def _key(day: date, *parts: Any) -> str:
    """The day, then a hash of the other dimensions: rows written in key order lie in day order, so a
    range of days reads neighbouring pages."""
    digest = hashlib.blake2b("\x1f".join(str(p) for p in parts).encode(), digest_size=24).hexdigest()
    return f"{day.isoformat()}:{digest}"


@dataclass
class CardInfo:
    """What a feedback item needs of its card: where to count it and its suggestions' labels."""

    dims: Dims
    criterion_id: str
    suggestions: dict[str, str]  # suggestion uuid -> label


@dataclass
class Tally:
    counts: dict[tuple[Dims, str], dict[str, int]] = field(default_factory=dict)
    items: dict[tuple[Any, ...], int] = field(default_factory=lambda: defaultdict(int))
    latency: dict[tuple[date, str, int], int] = field(default_factory=lambda: defaultdict(int))
    # Which cards already have an answer, an acceptance, an override (cards counted once per outcome).
    seen: set[tuple[str, str]] = field(default_factory=set)

    def _row(self, dims: Dims, criterion: str) -> dict[str, int]:
        row = self.counts.get((dims, criterion))
        if row is None:
            row = self.counts[(dims, criterion)] = dict.fromkeys(COUNTS, 0)
        return row

    def call(self, dims: Dims, *, status: int, in_population: bool | None, card_count: int, partial: bool | None,
             skipped: int, failed: Iterable[str], latency_ms: float) -> None:
        row = self._row(dims, CALL)
        row["calls"] += 1
        row["in_population"] += bool(in_population)
        row["error_calls"] += status != 200
        row["zero_card_calls"] += card_count == 0
        row["partial_calls"] += bool(partial)
        row["skipped_calls"] += skipped > 0
        row["skipped_resources"] += skipped
        for criterion in set(failed):
            self._row(dims, str(criterion)[:20])["failed"] += 1
        self.latency[(dims[0], dims[2], latency_bucket(latency_ms))] += 1

    def card(self, dims: Dims, criterion: str, silent: bool) -> None:
        self._row(dims, criterion)["silent" if silent else "shown"] += 1

    def feedback(self, card_uuid: str, card: CardInfo, outcome: str, accepted: list[str],
                 reason: tuple[str, str, str, str]) -> None:
        """One feedback item for a known card; `reason` is (system, code, display, standard code)."""
        row = self._row(card.dims, card.criterion_id)
        for mark, counter in (("any", "answered"), (outcome, outcome)):
            if (card_uuid, mark) not in self.seen and counter in ("answered", "accepted", "overridden"):
                self.seen.add((card_uuid, mark))
                row[counter] += 1
        base = (card.dims, card.criterion_id, outcome)
        if outcome == "accepted":
            for suggestion in accepted:
                self.items[(*base, card.suggestions.get(suggestion, "")[:255], "", "", "", "")] += 1
        else:
            system, code, display, standard = reason
            self.items[(*base, "", system[:255], code[:100], display[:255], standard[:100])] += 1

    def write(self, db: Connection) -> None:
        dialect = postgresql if db.dialect.name == "postgresql" else sqlite
        dims = ("day", "guideline_version", "service_id", "hook", "issuer", "tenant", "criterion_id")
        counted = [{"key": _key(*d, criterion), **dict(zip(dims, (*d, criterion), strict=True)), **row}
                   for (d, criterion), row in self.counts.items() if any(row.values())]
        _upsert(db, dialect, rollup, counted, COUNTS)
        names = (*dims, "outcome", "suggestion", "reason_system", "reason_code", "reason_display", "standard_code")
        items = [{"key": _key(*k[0], *k[1:]), **dict(zip(names, (*k[0], *k[1:]), strict=True)), "item_count": n}
                 for k, n in self.items.items()]
        _upsert(db, dialect, rollup_feedback, items, ("item_count",))
        latency = [{"key": _key(*k), "day": k[0], "service_id": k[1], "bucket": k[2], "calls": n}
                   for k, n in self.latency.items()]
        _upsert(db, dialect, rollup_latency, latency, ("calls",))


def _upsert(db: Connection, dialect: Any, table: Table, rows: list[dict[str, Any]], add: tuple[str, ...]) -> None:
    """Add the counts to the rows with the same key (inserted when new); in key order, so concurrent
    writers on PostgreSQL lock rows in the same order and never deadlock."""
    rows.sort(key=lambda r: r["key"])
    for start in range(0, len(rows), WRITE_CHUNK):
        statement = dialect.insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=["key"], set_={name: table.c[name] + statement.excluded[name] for name in add})
        db.execute(statement, rows[start:start + WRITE_CHUNK])


def rebuild(db: Connection, since: date | None = None) -> dict[str, int]:
    """Recount the rollups of every day from `since` (default: all) from the stored calls, cards and
    feedback. Days before `since` keep their rollups (also those of calls already pruned)."""
    start = datetime.combine(since, datetime.min.time()) if since else None
    for table in (rollup, rollup_feedback, rollup_latency):
        db.execute(delete(table).where(table.c.day >= since) if since else delete(table))
    tally = Tally()
    in_range = [calls.c.received_at >= start] if start else []
    call_dims = (calls.c.received_at, calls.c.guideline_version, calls.c.service_id, calls.c.hook, calls.c.jwt_iss,
                 calls.c.tenant)

    def stream(query: Any) -> Any:  # server-side cursor on PostgreSQL: rows in batches, not all at once
        return db.execute(query.execution_options(yield_per=20_000))

    counted = {"calls": 0, "cards": 0, "feedback": 0}
    for row in stream(select(*call_dims, calls.c.status, calls.c.in_population, calls.c.card_count,
                                     calls.c.partial, calls.c.skipped_resources, calls.c.failed_criteria,
                                     calls.c.latency_ms).where(*in_range)):
        tally.call(dims_of(*row[:6]), status=row.status, in_population=row.in_population,
                   card_count=row.card_count, partial=row.partial, skipped=len(row.skipped_resources or []),
                   failed=row.failed_criteria or [], latency_ms=row.latency_ms)
        counted["calls"] += 1
    card_call = cards.join(calls, calls.c.id == cards.c.call_id)
    for card in stream(select(*call_dims, cards.c.criterion_id, cards.c.silent)
                              .select_from(card_call).where(*in_range)):
        tally.card(dims_of(*card[:6]), card.criterion_id, card.silent)
        counted["cards"] += 1
    for item in stream(
            select(*call_dims, cards.c.criterion_id, cards.c.uuid, cards.c.suggestion_uuids,
                   cards.c.suggestion_labels, feedback.c.outcome, feedback.c.accepted_suggestions,
                   feedback.c.override_system, feedback.c.override_code, feedback.c.override_display,
                   feedback.c.standard_code)
            .select_from(feedback.join(cards, cards.c.uuid == feedback.c.card_uuid).join(
                calls, calls.c.id == cards.c.call_id))
            .where(*in_range).order_by(feedback.c.id)):
        tally.feedback(item.uuid, card_info(item, dims_of(*item[:6])), item.outcome,
                       item.accepted_suggestions or [], reason_of(item))
        counted["feedback"] += 1
    tally.write(db)
    return counted


def card_info(row: Any, dims: Dims) -> CardInfo:
    labels = row.suggestion_labels or []
    return CardInfo(dims, row.criterion_id, dict(zip(row.suggestion_uuids or [], labels, strict=False)))


def reason_of(item: Any) -> tuple[str, str, str, str]:
    return (item.override_system or "", item.override_code or "", item.override_display or "",
            item.standard_code or "")


def days_in(table: Table, since: date, until: date) -> Any:
    """The rows of a rollup table for days since..until (inclusive)."""
    return and_(table.c.day >= since, table.c.day <= until)
