"""The criteria registry: one module per guideline criterion, listed explicitly (no import magic)."""

from __future__ import annotations

from cards.rules import (
    ham00_unreadable_order,
    ham01_program_duration,
    ham02_supervised_sessions,
    ham03_eccentric_strengthening,
    ham04_hip_trunk_motor_control,
    ham05_analgesic_duration,
    ham06_complete_rest,
    ham07_therapy_stopped_early,
    ham08_outcome_monitoring,
    ham09_return_to_activity,
    ham10_no_improvement,
    ham11_high_grade_tear,
    ham12_persistent_weakness,
    ham13_pain_flare,
)
from cards.rules.base import Criterion

ALL_CRITERIA: dict[str, Criterion] = {
    c.id: c
    for c in (
        ham00_unreadable_order.CRITERION,
        ham01_program_duration.CRITERION,
        ham02_supervised_sessions.CRITERION,
        ham03_eccentric_strengthening.CRITERION,
        ham04_hip_trunk_motor_control.CRITERION,
        ham05_analgesic_duration.CRITERION,
        ham06_complete_rest.CRITERION,
        ham07_therapy_stopped_early.CRITERION,
        ham08_outcome_monitoring.CRITERION,
        ham09_return_to_activity.CRITERION,
        ham10_no_improvement.CRITERION,
        ham11_high_grade_tear.CRITERION,
        ham12_persistent_weakness.CRITERION,
        ham13_pain_flare.CRITERION,
    )
}

__all__ = ["ALL_CRITERIA", "Criterion"]
