"""The shape every criterion module exports: an id, a thresholds model, an evaluate function."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from cards.facts import ClinicalFacts
from cards.findings import Finding, Scalar


class Thresholds(BaseModel):
    """Base for a criterion's thresholds; unknown keys in the config are an error, not a silent typo."""

    model_config = ConfigDict(frozen=True, extra="forbid")


@dataclass(frozen=True)
class Criterion:
    id: str
    thresholds_model: type[Thresholds]
    evaluate: Callable[[ClinicalFacts, Any], Finding | None]
    # The longest plausible observed values: start-up renders the summary with them and refuses a
    # config whose summary would reach 140 characters.
    example_observed: Mapping[str, Scalar]
