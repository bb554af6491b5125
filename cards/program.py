"""The whole program a physical-therapy order belongs to (HAM-01, HAM-02).

Payers authorise physical therapy in blocks: a continuation or re-certification order is one block of a
longer program, so the program is judged as a whole, what was delivered plus what is ordered now. The
program is the order and everything on record that reaches back from its start without a break longer
than `gap_days` (a threshold in guideline.toml): delivered sessions and the recorded orders, active or
completed, each within the gap of the next. An order after delivered sessions is a continuation whether or
not it says so; one that says so ("continuation", "recert", or `replaces`/`basedOn` naming a physical-therapy
order on record: fhir_mappings/facts.py) also reaches the block before it across a longer break, but not
back past the onset of the injury. A program stopped (revoked) lends its sessions,
not its plan. An ended program is the last such run of sessions and orders; a program stopped today
has run from the start of the run reaching today (HAM-07).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from cards.facts import ClinicalFacts, TherapyPlan

RECORDED_PROGRAM_STATUSES = ("active", "completed")


@dataclass(frozen=True)
class Reach:
    """What reaches back from a day without a longer break: the first day, session days and recorded orders."""

    start: date
    session_days: int = 0
    plans: tuple[TherapyPlan, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not (self.session_days or self.plans)


@dataclass(frozen=True)
class Program:
    """The program an order belongs to. `earlier_sessions`: delivered before the order (a completed order
    without sessions on record counts its planned ones), plus those still to come on a recorded order
    running into it."""

    start: date
    end: date | None
    order_start: date
    earlier_sessions: int = 0
    continues: bool = False

    @property
    def days(self) -> int | None:
        return (self.end - self.start).days + 1 if self.end is not None else None

    @property
    def days_before_order(self) -> int:
        return (self.order_start - self.start).days


def program_of(plan: TherapyPlan, facts: ClinicalFacts, gap_days: int) -> Program:
    anchor = plan.start or facts.as_of  # a draft without a start starts when it is signed
    order_end = None if plan.planned_days is None else anchor + timedelta(days=plan.planned_days - 1)
    earlier = reach_back(anchor, facts, gap_days, _bridge_from(plan, facts, anchor),
                         [p for p in facts.therapy_plans if p.ref != plan.ref])
    last = None if order_end is None else max([order_end, *(p.end for p in earlier.plans if p.end is not None)])
    sessions = earlier.session_days + sum(_credited_sessions(p, facts) for p in earlier.plans)
    return Program(start=earlier.start, end=last, order_start=anchor, earlier_sessions=sessions,
                   continues=not earlier.empty)


@dataclass(frozen=True)
class DeliveredBlock:
    """An ended program: the last run of delivered sessions and recorded orders without a longer break."""

    start: date
    end: date
    sessions: int

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def delivered_block(facts: ClinicalFacts, gap_days: int) -> DeliveredBlock | None:
    dates = [d for d in facts.therapy_sessions.dates if d <= facts.as_of]
    if not dates:
        return None
    last = dates[-1]
    earlier = reach_back(last, facts, gap_days, None, facts.therapy_plans)
    return DeliveredBlock(start=earlier.start, end=last, sessions=earlier.session_days + 1)


def days_so_far(facts: ClinicalFacts, gap_days: int) -> int | None:
    """How long the program under way has run, counting its first day and `as_of`: the sessions and recorded
    orders reaching back to today without a longer break (None when there are none)."""
    so_far = reach_back(facts.as_of + timedelta(days=1), facts, gap_days, None, facts.therapy_plans)
    return None if so_far.empty else (facts.as_of - so_far.start).days + 1


def reach_back(day: date, facts: ClinicalFacts, gap_days: int, bridge_from: date | None,
               plans: Iterable[TherapyPlan]) -> Reach:
    """Sessions and recorded orders before `day` that reach it, each within `gap_days` of the next; the first
    may be further when `bridge_from` is given and it ends on or after that day."""
    items: list[tuple[date, date, TherapyPlan | None]] = [
        (d, d, None) for d in facts.therapy_sessions.dates if d < day and d <= facts.as_of]
    items += [(p.start, _last_day(p, p.start, facts.as_of), p) for p in plans
              if _recorded_block(p, day) and p.start is not None]
    start, session_days = day, 0
    linked: list[TherapyPlan] = []
    for first, last, recorded in sorted(items, key=lambda item: item[1], reverse=True):
        bridged = not (session_days or linked) and bridge_from is not None and last >= bridge_from
        if (start - last).days > gap_days and not bridged:
            break  # ends come in decreasing order: nothing further back reaches the program either
        start = min(start, first)
        if recorded is None:
            session_days += 1
        else:
            linked.append(recorded)
    return Reach(start=start, session_days=session_days, plans=tuple(linked))


def _bridge_from(plan: TherapyPlan, facts: ClinicalFacts, anchor: date) -> date | None:
    """How far back an order that says it continues the program reaches across a longer break: to the
    onset of the injury (a new injury starts a new program), without limit when no onset is recorded."""
    if not plan.states_continuation:
        return None
    onsets = [i.onset for i in facts.hamstring_injuries if i.onset is not None and i.onset <= anchor]
    return max(onsets, default=date.min)


def _recorded_block(plan: TherapyPlan, before: date) -> bool:
    return (not plan.is_draft and plan.status in RECORDED_PROGRAM_STATUSES and not plan.stopped
            and plan.start is not None and plan.start < before)


def _last_day(plan: TherapyPlan, start: date, as_of: date) -> date:
    """A recorded order's last planned day; an active one of unknown length runs until today."""
    if plan.end is not None:
        return plan.end
    return max(start, as_of) if plan.status == "active" else start


def _credited_sessions(plan: TherapyPlan, facts: ClinicalFacts) -> int:
    """Sessions a recorded order adds to those on record: the rest of its plan while it is still running, all
    of it when none of its sessions is on record (delivered as recorded)."""
    if plan.planned_sessions is None or plan.start is None:
        return 0
    last = plan.end or plan.start
    on_record = sum(1 for d in facts.therapy_sessions.dates if plan.start <= d <= last)
    if plan.status == "active" and last >= facts.as_of:
        return max(0, plan.planned_sessions - on_record)
    return plan.planned_sessions if on_record == 0 else 0
