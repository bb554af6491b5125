"""HAM-12: persistent hamstring weakness after 3 months (84 days, 12 sessions) of rehab."""

from __future__ import annotations

import pytest

from cards.rules.ham12_persistent_weakness import persistent_weakness
from tests.clinical import GUIDELINE, ended_program, facts, referral, rehab, symmetry

T = GUIDELINE.thresholds["HAM-12"]
WEAK = (symmetry(0, 80),)


@pytest.mark.parametrize(("days", "fires"), [(83, False), (84, True), (85, True)])
def test_program_duration_threshold(days: int, fires: bool) -> None:
    assert (persistent_weakness(facts(**rehab(days, sessions=13), strength_symmetry=WEAK), T) is not None) is fires


@pytest.mark.parametrize(("sessions", "fires"), [(11, False), (12, True), (13, True)])
def test_session_threshold(sessions: int, fires: bool) -> None:
    members = rehab(100, sessions=sessions)
    assert (persistent_weakness(facts(**members, strength_symmetry=WEAK), T) is not None) is fires


@pytest.mark.parametrize(("percent", "fires"), [(89.5, True), (89, True), (90, False), (95, False)])
def test_limb_symmetry_threshold(percent: float, fires: bool) -> None:
    finding = persistent_weakness(facts(**rehab(100, sessions=14), strength_symmetry=(symmetry(2, percent),)), T)
    assert (finding is not None) is fires
    if fires:
        assert finding.observed == {"weakness": "measured", "symmetry_percent": percent, "program_days": 100,
                                    "sessions": 14}
        assert finding.fixes[0].change["order"] == "orthopedic-surgeon-referral"


def test_a_measurement_before_day_84_does_not_count() -> None:
    members = rehab(100, sessions=14)  # day 84 is 16 days ago
    assert persistent_weakness(facts(**members, strength_symmetry=(symmetry(16, 80),)), T) is not None
    assert persistent_weakness(facts(**members, strength_symmetry=(symmetry(17, 80),)), T) is None


def test_coded_weakness_counts_when_strength_was_not_measured_after_3_months() -> None:
    finding = persistent_weakness(facts(**rehab(100, sessions=14), weakness_findings=("Muscle weakness",)), T)
    assert finding.observed["weakness"] == "finding" and finding.observed["weakness_finding"] == "Muscle weakness"
    measured_normal = facts(**rehab(100, sessions=14), weakness_findings=("Muscle weakness",),
                            strength_symmetry=(symmetry(1, 96),))
    assert persistent_weakness(measured_normal, T) is None


def test_ended_program_is_judged_on_its_delivered_span() -> None:
    assert persistent_weakness(facts(**ended_program(95, 13), weakness_findings=("Weak hamstring",)), T) is not None
    assert persistent_weakness(facts(**ended_program(80, 13), weakness_findings=("Weak hamstring",)), T) is None


def test_no_weakness_data_is_no_card() -> None:
    assert persistent_weakness(facts(**rehab(100, sessions=14)), T) is None


def test_exclusion_surgical_referral_or_repair() -> None:
    members = {**rehab(100, sessions=14), "strength_symmetry": WEAK}
    assert persistent_weakness(facts(**members, referrals=(referral(surgical=True),)), T) is None
    assert persistent_weakness(facts(**members, hamstring_repair_done=True), T) is None
    assert persistent_weakness(facts(**members, referrals=(referral(surgical=False),)), T) is not None
