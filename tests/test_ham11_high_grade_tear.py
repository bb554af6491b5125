"""HAM-11: high-grade hamstring tear or proximal avulsion without a surgical consult."""

from __future__ import annotations

import pytest

from cards.facts import HamstringInjury, Referral
from cards.rules.ham11_high_grade_tear import high_grade_tear_without_surgical_consult as check
from tests.clinical import GUIDELINE, HIGH_GRADE, INJURY, draft_plan, facts, referral

T = GUIDELINE.thresholds["HAM-11"]


def test_fires_on_a_high_grade_injury_with_an_urgent_surgeon_referral_fix() -> None:
    finding = check(facts(injuries=(INJURY, HIGH_GRADE)), T)
    assert finding is not None and finding.about_ref == "Condition/cond-2"
    assert finding.observed == {"injury": "Proximal hamstring avulsion", "evidence": "recorded", "plan": "none"}
    (fix,) = finding.fixes
    assert fix.action == "create"
    assert fix.change == {"order": "orthopedic-surgeon-referral", "reason_ref": "Condition/cond-2",
                          "priority": "urgent"}


@pytest.mark.parametrize("evidence", ["diagnosis", "stage", "note", "severity"])
def test_the_card_names_what_records_the_grade(evidence: str) -> None:
    injury = HIGH_GRADE.model_copy(update={"high_grade_evidence": evidence})
    assert check(facts(injuries=(injury,)), T).observed["evidence"] == evidence


def test_on_order_hooks_it_names_physical_therapy_drafts() -> None:
    finding = check(facts(hook="order-sign", injuries=(HIGH_GRADE,), therapy_plans=(draft_plan(),)), T)
    assert finding.observed["plan"] == "therapy"
    assert finding.about_ref == "ServiceRequest/pt-draft"


def test_a_non_surgical_referral_being_signed_is_named_as_such_not_as_conservative_care() -> None:
    sports_medicine = Referral(ref="ServiceRequest/sm", is_draft=True, is_surgical=False, is_orthopaedic=False)
    finding = check(facts(hook="order-sign", injuries=(HIGH_GRADE,), therapy_plans=(draft_plan(),),
                          referrals=(sports_medicine,)), T)
    assert finding.observed["plan"] == "referral"


def test_not_high_grade_is_no_card() -> None:
    assert check(facts(injuries=(INJURY,)), T) is None


@pytest.mark.parametrize("draft", [False, True])
def test_exclusion_surgical_referral(draft: bool) -> None:
    assert check(facts(injuries=(HIGH_GRADE,), referrals=(referral(surgical=True, draft=draft),)), T) is None


@pytest.mark.parametrize(("draft", "fires"), [(True, False), (False, True)])
def test_an_orthopaedic_referral_counts_when_it_is_being_signed_with_the_tear(draft: bool, fires: bool) -> None:
    """On record it may predate the tear; being signed now, orthopaedics receives the tear."""
    ortho = Referral(ref="ServiceRequest/ortho", is_draft=draft, is_surgical=False, is_orthopaedic=True)
    assert (check(facts(hook="order-sign", injuries=(HIGH_GRADE,), referrals=(ortho,)), T) is not None) is fires


def test_a_non_surgical_referral_on_record_is_not_a_surgical_consult() -> None:
    assert check(facts(injuries=(HIGH_GRADE,), referrals=(referral(surgical=False),)), T) is not None


def test_exclusion_repair_already_done() -> None:
    assert check(facts(injuries=(HIGH_GRADE,), hamstring_repair_done=True), T) is None


def test_the_first_high_grade_injury_is_the_one_named() -> None:
    second = HamstringInjury(ref="Condition/c3", label="Left hamstring avulsion", is_high_grade=True,
                             high_grade_evidence="diagnosis")
    finding = check(facts(injuries=(INJURY, HIGH_GRADE, second)), T)
    assert finding.observed["injury"] == "Proximal hamstring avulsion"


def test_every_key_the_rule_returns_has_reviewed_wording() -> None:
    phrases = GUIDELINE.criterion("HAM-11").phrases
    assert {"therapy", "referral", "none"} <= set(phrases["plan"])
    assert {"diagnosis", "stage", "note", "severity", "recorded"} <= set(phrases["evidence"])
    assert not any("conservative only" in text for text in phrases["plan"].values())
