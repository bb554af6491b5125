"""`hamstring-cds replay`: what a threshold change would have done to past calls.

Needs request capture (`CDS_AUDIT_CAPTURE_REQUESTS=true`): each captured call (context and resolved
prefetch, no token) is evaluated again under another guideline config, on the date it was first
evaluated, and the criteria that fire (returned or silent) are compared with the ones recorded.
Nothing is fetched from a FHIR server and nothing is written.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import Engine, select

from cds_service.audit.models import calls, captures, cards
from cds_service.pipeline import Pipeline

CHUNK = 200


@dataclass
class CriterionChange:
    newly_fire: list[int] = field(default_factory=list)  # call ids
    stop_firing: list[int] = field(default_factory=list)
    still_fire: int = 0


@dataclass
class ReplayReport:
    replayed: int = 0
    not_replayable: int = 0  # the other config answered with an error (e.g. data it needs was not captured)
    criteria: dict[str, CriterionChange] = field(default_factory=dict)

    def change(self, criterion: str) -> CriterionChange:
        return self.criteria.setdefault(criterion, CriterionChange())

    def as_dict(self) -> dict[str, Any]:
        return {"replayed": self.replayed, "notReplayable": self.not_replayable,
                "criteria": {c: {"newlyFire": len(v.newly_fire), "stopFiring": len(v.stop_firing),
                                 "stillFire": v.still_fire, "newlyFireCalls": v.newly_fire[:20],
                                 "stopFiringCalls": v.stop_firing[:20]}
                             for c, v in sorted(self.criteria.items())}}


def captured_calls(engine: Engine, since: datetime, until: datetime | None) -> Iterator[tuple[Any, set[str]]]:
    last_id = 0
    with engine.connect() as db:
        while True:
            query = (select(calls.c.id, calls.c.service_id, calls.c.as_of, captures.c.request)
                     .join(captures, captures.c.call_id == calls.c.id)
                     .where(calls.c.received_at >= since, calls.c.id > last_id))
            if until is not None:
                query = query.where(calls.c.received_at < until)
            chunk = db.execute(query.order_by(calls.c.id).limit(CHUNK)).all()
            if not chunk:
                return
            fired: dict[int, set[str]] = {row.id: set() for row in chunk}
            for call_id, criterion in db.execute(select(cards.c.call_id, cards.c.criterion_id)
                                                 .where(cards.c.call_id.in_(fired))):
                fired[call_id].add(criterion)
            for row in chunk:
                yield row, fired[row.id]
            last_id = chunk[-1].id


def count_captured(engine: Engine, since: datetime, until: datetime | None) -> int:
    from sqlalchemy import func

    query = (select(func.count()).select_from(captures.join(calls, captures.c.call_id == calls.c.id))
             .where(calls.c.received_at >= since))
    if until is not None:
        query = query.where(calls.c.received_at < until)
    with engine.connect() as db:
        return int(db.scalar(query) or 0)


def replay(engine: Engine, pipeline: Pipeline, since: datetime, until: datetime | None = None,
           progress: Callable[[int], None] | None = None) -> ReplayReport:
    report = ReplayReport()
    for done, (row, before) in enumerate(captured_calls(engine, since, until), 1):
        outcome = pipeline.run(row.service_id, row.request, as_of=row.as_of)
        if progress:
            progress(done)
        if outcome.status != 200 or outcome.evaluation is None:
            report.not_replayable += 1
            continue
        report.replayed += 1
        after = {f.criterion_id for f in outcome.evaluation.findings + outcome.evaluation.silent}
        for criterion in after - before:
            report.change(criterion).newly_fire.append(row.id)
        for criterion in before - after:
            report.change(criterion).stop_firing.append(row.id)
        for criterion in before & after:
            report.change(criterion).still_fire += 1
    return report


class ProgressBar:
    """A one-line bar on stderr: `replay [#######.......] 140/300`."""

    def __init__(self, total: int, out: TextIO | None = None, width: int = 30):
        self.total, self.out, self.width = total, out or sys.stderr, width

    def __call__(self, done: int) -> None:
        if done != self.total and done % max(1, self.total // 100):
            return
        filled = self.width * done // max(1, self.total)
        self.out.write(f"\rreplay [{'#' * filled}{'.' * (self.width - filled)}] {done}/{self.total}")
        if done >= self.total:
            self.out.write("\n")
        self.out.flush()


def print_report(report: ReplayReport, out: TextIO) -> None:
    out.write(f"Replayed {report.replayed} captured calls ({report.not_replayable} could not be replayed).\n")
    out.write(f"{'criterion':<10} {'newly fire':>10} {'stop firing':>11} {'still fire':>10}\n")
    for criterion, change in sorted(report.criteria.items()):
        out.write(f"{criterion:<10} {len(change.newly_fire):>10} {len(change.stop_firing):>11} "
                  f"{change.still_fire:>10}\n")
