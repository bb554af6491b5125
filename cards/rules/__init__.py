"""The criteria registry: one module per guideline criterion, listed explicitly (no import magic)."""

from __future__ import annotations

from cards.rules import ham01_program_duration, ham02_supervised_sessions
from cards.rules.base import Criterion

ALL_CRITERIA: dict[str, Criterion] = {
    c.id: c
    for c in (
        ham01_program_duration.CRITERION,
        ham02_supervised_sessions.CRITERION,
    )
}

__all__ = ["ALL_CRITERIA", "Criterion"]
