"""What a criterion returns when it fires: the values it observed and the fixes it proposes.

A `Fix` speaks clinical words (`{"program_weeks": 13}`); `fhir_mappings.order_edits` turns it into a
FHIR action, so this package never edits FHIR resources itself.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from cards.facts import Frozen

Scalar = str | int | float | bool


class Fix(Frozen):
    """One suggestion: an order to update, create or delete, described by the change it makes."""

    action: Literal["update", "create", "delete"]
    text_key: str = "default"
    target_ref: str | None = None
    change: dict[str, Any] = Field(default_factory=dict)
    # Further actions of the same suggestion, accepted together (resume therapy: delete the draft that
    # stops it and create the new order, so the clinician never signs both).
    also: tuple[Fix, ...] = ()


class Finding(Frozen):
    """A criterion that fired: the observed values that made it fire and what to do about it."""

    criterion_id: str
    observed: dict[str, Scalar]
    about_ref: str | None = None
    fixes: tuple[Fix, ...] = ()
