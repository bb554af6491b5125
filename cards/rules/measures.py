"""Small helpers the monitoring criteria (HAM-08..13) share to read dated measurements."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import TypeVar

from cards.facts import Measurement

M = TypeVar("M", bound=Measurement)


def shown(value: float | None) -> int | float | str:
    """A value as a clinician reads it: 7 rather than 7.0; 'not recorded' for None."""
    if value is None:
        return "not recorded"
    return int(value) if float(value).is_integer() else round(value, 1)


def within(items: Sequence[M], end: date, days: int) -> list[M]:
    """The items dated from `days` days before `end` up to `end`, both included, oldest first."""
    start = end - timedelta(days=days)
    return [m for m in items if start <= m.when <= end]


def latest(items: Sequence[M]) -> M | None:
    return items[-1] if items else None
