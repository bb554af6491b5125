"""The guideline's lifecycle ([lifecycle] in `cards/guideline.toml`): status, approval and review dates, and the
period in which it is in force; what the service says about it on a given day.

- `retired`: the service refuses to start on it (serve, the app factory, `evaluate`): `refuse_retired`.
- `draft`: the service starts (to pilot or test it) and warns at start-up and on /readyz that it is not approved.
- `active`: warnings only when the next review date has passed or the day is outside the effective period.

The clock is the caller's (the service's `today()`), never `date.today()`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator


class LifecycleError(ValueError):
    """A retired guideline was given to a service that would use it; the message names the file."""


class Lifecycle(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    status: Literal["draft", "active", "retired"]
    approval_date: date | None = None  # the committee's approval (none yet for a draft)
    last_review_date: date
    next_review_date: date
    effective_start: date
    effective_end: date | None = None  # open-ended when absent

    @model_validator(mode="after")
    def _dates_in_order(self) -> Lifecycle:
        if self.next_review_date <= self.last_review_date:
            raise ValueError("next_review_date must come after last_review_date")
        if self.effective_end is not None and self.effective_end < self.effective_start:
            raise ValueError("effective_end must not come before effective_start")
        if self.status != "draft" and self.approval_date is None:
            raise ValueError(f"an {self.status} guideline needs its approval_date")
        return self


def lifecycle_warnings(lifecycle: Lifecycle, today: date) -> list[str]:
    """What a quality team should act on today; empty for an active guideline in force and reviewed in time."""
    warnings = []
    if lifecycle.status == "draft":
        warnings.append("the guideline is a draft (status = \"draft\"): not approved for clinical use")
    if lifecycle.next_review_date < today:
        warnings.append(f"the guideline's review is overdue: next review was due on {lifecycle.next_review_date}")
    if today < lifecycle.effective_start:
        warnings.append(f"the guideline is not yet in force: its effective period starts on "
                        f"{lifecycle.effective_start}")
    elif lifecycle.effective_end is not None and today > lifecycle.effective_end:
        warnings.append(f"the guideline is no longer in force: its effective period ended on "
                        f"{lifecycle.effective_end}")
    return warnings


def refuse_retired(lifecycle: Lifecycle, version: str, path: Path | str) -> None:
    if lifecycle.status == "retired":
        raise LifecycleError(f"{path}: guideline version {version} is retired (status = \"retired\" in "
                             "[lifecycle]); the service refuses to run a retired guideline: configure the "
                             "guideline in force (CDS_GUIDELINE_FILE)")
