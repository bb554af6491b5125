"""ClinicalFacts: what the criteria know about a patient, in clinical words.

Built from FHIR by `fhir_mappings`; read by `cards.rules`. Frozen so that one criterion can never
change what another sees. Dates are plain `date`s; `as_of` is the evaluation date (injected clock).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class HamstringInjury(Frozen):
    """An active hamstring condition (strain, tear, avulsion) on the problem list."""

    ref: str
    label: str
    onset: date | None = None
    is_high_grade: bool = False


class TherapyPlan(Frozen):
    """A planned physical-therapy program: a draft or recorded ServiceRequest."""

    ref: str
    is_draft: bool
    status: str
    start: date | None = None
    planned_days: int | None = None
    planned_sessions: int | None = None
    duration_form: str | None = None
    sessions_form: str | None = None


class TherapySessions(Frozen):
    """Supervised physical-therapy sessions delivered (completed Procedures), one date per session day."""

    dates: tuple[date, ...] = ()

    @property
    def count(self) -> int:
        return len(self.dates)

    @property
    def span_days(self) -> int | None:
        """Days from the first to the last session, counting both (as periods are counted)."""
        if not self.dates:
            return None
        return (self.dates[-1] - self.dates[0]).days + 1


class ClinicalFacts(Frozen):
    """Everything the criteria may read for one hook call."""

    as_of: date
    hook: str
    age_years: int | None = None
    hamstring_injuries: tuple[HamstringInjury, ...] = ()
    therapy_plans: tuple[TherapyPlan, ...] = ()
    therapy_sessions: TherapySessions = TherapySessions()
    program_ended: bool = False

    @property
    def draft_therapy_plans(self) -> tuple[TherapyPlan, ...]:
        return tuple(p for p in self.therapy_plans if p.is_draft)

    @property
    def current_therapy_plans(self) -> tuple[TherapyPlan, ...]:
        """The plans a check should judge: the drafts on order hooks, the active ones otherwise."""
        drafts = self.draft_therapy_plans
        if drafts:
            return drafts
        return tuple(p for p in self.therapy_plans if p.status == "active")
