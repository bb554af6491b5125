"""HAM-11: high-grade hamstring tear or proximal avulsion without a surgical consult."""

from __future__ import annotations

import pytest

from cards.rules.ham11_high_grade_tear import high_grade_tear_without_surgical_consult as check
from tests.clinical import GUIDELINE, HIGH_GRADE, INJURY, draft_plan, facts, referral

T = GUIDELINE.thresholds["HAM-11"]


def test_fires_on_a_high_grade_injury_with_an_urgent_surgeon_referral_fix() -> None:
    finding = check(facts(injuries=(INJURY, HIGH_GRADE)), T)
    assert finding is not None and finding.about_ref == "Condition/cond-2"
    assert finding.observed == {"injury": "Proximal hamstring avulsion", "plan": "no surgical consult is on record"}
    (fix,) = finding.fixes
    assert fix.action == "create"
    assert fix.change == {"order": "orthopedic-surgeon-referral", "reason_ref": "Condition/cond-2",
                          "priority": "urgent"}


def test_on_order_hooks_it_names_conservative_only_drafts() -> None:
    finding = check(facts(hook="order-sign", injuries=(HIGH_GRADE,), therapy_plans=(draft_plan(),)), T)
    assert finding.observed["plan"] == "the orders being signed are conservative only (physical therapy)"
    assert finding.about_ref == "ServiceRequest/pt-draft"


def test_not_high_grade_is_no_card() -> None:
    assert check(facts(injuries=(INJURY,)), T) is None


@pytest.mark.parametrize("draft", [False, True])
def test_exclusion_surgical_referral(draft: bool) -> None:
    assert check(facts(injuries=(HIGH_GRADE,), referrals=(referral(surgical=True, draft=draft),)), T) is None


def test_a_non_surgical_orthopaedic_referral_is_not_a_surgical_consult() -> None:
    assert check(facts(injuries=(HIGH_GRADE,), referrals=(referral(surgical=False),)), T) is not None


def test_exclusion_repair_already_done() -> None:
    assert check(facts(injuries=(HIGH_GRADE,), hamstring_repair_done=True), T) is None
