"""`hamstring-cds audit pilot-report`: how silent (pilot) criteria would have behaved, so a committee can decide
whether to promote one (docs/quality-review.md).

Per criterion evaluated silently in the date range, from the audit trail's cards and calls (not the rollups:
distinct patients and co-firing need the records themselves): the calls it would have fired on, the distinct
patients (pseudonyms), how many of those calls also showed active cards and which criteria those were, and its
would-fire rate per 100 in-population calls. Criteria silent in the configuration that never fired are listed
with zeros.
"""

from __future__ import annotations

import csv
from datetime import date
from typing import Any, TextIO

import orjson
from sqlalchemy import Connection, and_, case, distinct, func, select

from cds_service.audit.analytics import per_100
from cds_service.audit.models import calls, cards
from cds_service.audit.queries import day_range

FORMATS = ("text", "json", "csv")
CSV_COLUMNS = ["criterion", "title", "silent_in_configuration", "calls", "patients", "with_active_cards",
               "without_active_cards", "calls_per_100", "silent_cards", "alongside", "guideline_versions"]


def pilot_report(db: Connection, since: date, until: date, titles: dict[str, str],
                 silent_now: set[str]) -> dict[str, Any]:
    """`until` is inclusive; `titles` and `silent_now` come from the configuration in force."""
    start, end = day_range(since, until)
    in_range = [cards.c.silent, cards.c.received_at >= start, cards.c.received_at < end]
    totals = db.execute(select(func.count(), func.count(distinct(calls.c.patient_pseudonym))).where(
        calls.c.in_population, calls.c.received_at >= start, calls.c.received_at < end)).one()
    rows: dict[str, dict[str, Any]] = {}
    for cid, n_calls, patients, with_active, n_cards in db.execute(
            select(cards.c.criterion_id, func.count(distinct(cards.c.call_id)),
                   func.count(distinct(calls.c.patient_pseudonym)),
                   func.count(distinct(case((calls.c.card_count > 0, calls.c.id)))), func.count())
            .join(calls, calls.c.id == cards.c.call_id).where(*in_range).group_by(cards.c.criterion_id)):
        rows[cid] = {"calls": n_calls, "patients": patients, "with_active_cards": with_active,
                     "without_active_cards": n_calls - with_active, "silent_cards": n_cards}
    for cid in silent_now - set(rows):
        rows[cid] = {"calls": 0, "patients": 0, "with_active_cards": 0, "without_active_cards": 0, "silent_cards": 0}
    alongside, versions = _alongside(db, in_range), _versions(db, in_range)
    criteria = []
    for cid in sorted(rows):
        row = {"criterion": cid, "silent_in_configuration": cid in silent_now, **rows[cid],
               "alongside": alongside.get(cid, []), "guideline_versions": versions.get(cid, [])}
        if cid in titles:
            row["title"] = titles[cid]
        if (share := per_100(row["calls"], totals[0])) is not None:
            row["calls_per_100"] = share
        criteria.append(row)
    return {"since": since.isoformat(), "until": until.isoformat(), "calls_in_population": totals[0],
            "patients_in_population": totals[1], "criteria": criteria}


def _alongside(db: Connection, in_range: list[Any]) -> dict[str, list[dict[str, Any]]]:
    """Silent criterion -> the active criteria shown in the same calls, most frequent first."""
    active = cards.alias("active")
    out: dict[str, list[dict[str, Any]]] = {}
    query = (select(cards.c.criterion_id, active.c.criterion_id, func.count(distinct(cards.c.call_id)))
             .join(active, and_(active.c.call_id == cards.c.call_id, ~active.c.silent)).where(*in_range)
             .group_by(cards.c.criterion_id, active.c.criterion_id))
    for silent_id, active_id, n in sorted(db.execute(query), key=lambda r: (r[0], -r[2], r[1])):
        out.setdefault(silent_id, []).append({"criterion": active_id, "calls": n})
    return out


def _versions(db: Connection, in_range: list[Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    query = (select(cards.c.criterion_id, calls.c.guideline_version).distinct()
             .join(calls, calls.c.id == cards.c.call_id).where(*in_range))
    for cid, version in sorted(db.execute(query)):
        out.setdefault(cid, []).append(version)
    return out


def write_pilot_report(data: dict[str, Any], fmt: str, out: TextIO) -> None:
    if fmt == "json":
        out.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")
    elif fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in data["criteria"]:
            writer.writerow({**row, "alongside": "; ".join(f"{a['criterion']}: {a['calls']}" for a in row["alongside"]),
                             "guideline_versions": "; ".join(row["guideline_versions"])})
    else:
        _text(data, out)


def _text(data: dict[str, Any], out: TextIO) -> None:
    print(f"Silent (pilot) criteria, {data['since']} to {data['until']}: {_n(data['calls_in_population'], 'call')} in "
          f"population, {_n(data['patients_in_population'], 'patient')}", file=out)
    if not data["criteria"]:
        print("no criterion was evaluated silently in this range, and none is silent in the configuration", file=out)
    for row in data["criteria"]:
        state = "silent now" if row["silent_in_configuration"] else "no longer silent"
        share = f", {row['calls_per_100']} per 100 calls" if "calls_per_100" in row else ""
        fired = f"would have fired on {_n(row['calls'], 'call')}{share} for {_n(row['patients'], 'patient')}"
        print(f"{row['criterion']} {row.get('title', '')} ({state}): {fired}; {row['with_active_cards']} of those "
              "calls also showed active cards", file=out)
        if row["alongside"]:
            print("    alongside " + ", ".join(f"{a['criterion']} ({a['calls']})" for a in row["alongside"]), file=out)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
