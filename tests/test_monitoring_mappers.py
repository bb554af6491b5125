"""FHIR -> monitoring facts (HAM-08..13) on real-EHR shapes: valueQuantity or valueInteger pain,
text-only codings, missing optional members, and selection before validation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from cards.facts import ClinicalFacts
from cds_service.pipeline import data_for
from fhir_mappings import record
from fhir_mappings.facts import build_facts
from tests import builders as b
from tests.builders import AS_OF

START = (AS_OF - timedelta(days=30)).isoformat()


def facts_for(hook: str = "patient-view", drafts: tuple[dict[str, Any], ...] = (), **prefetch: Any) -> ClinicalFacts:
    values = {"patient": b.patient(), "conditions": b.bundle(b.condition()),
              "procedures": b.bundle(*b.sessions(START, 5)), **prefetch}
    return build_facts(data_for(hook=hook, patient_id=b.PATIENT_ID, draft_orders=drafts, prefetch=values), AS_OF)


def with_observations(*resources: dict[str, Any]) -> ClinicalFacts:
    return facts_for(observations=b.bundle(*resources))


def test_pain_as_value_integer_and_value_quantity() -> None:
    f = with_observations(b.pain_score("2026-11-20", 4), b.pain_score("2026-11-21", 6.5, as_quantity=True))
    assert [(s.when.isoformat(), s.value) for s in f.pain_scores] == [("2026-11-20", 4.0), ("2026-11-21", 6.5)]


def test_text_only_pain_code_and_snomed_code() -> None:
    snomed = b.pain_score("2026-11-21", 5) | {"code": {"coding": [{"system": b.SNOMED, "code": "225908003"}]}}
    f = with_observations(b.pain_score("2026-11-20", 3, code=None, text="Numeric pain rating"), snomed)
    assert [s.value for s in f.pain_scores] == [3.0, 5.0]


@pytest.mark.parametrize("resource", [
    b.pain_score("2026-11-20", 11),                       # not a 0-10 rating
    b.pain_score("2026-11-20", None),                     # no value
    b.pain_score("2026-11-20", 5, status="entered-in-error"),
    b.pain_score("2026-11-20", 5, status="cancelled"),
    b.pain_score("2026-11-24", 5),                        # after as_of
    b.pain_score("2026-09-01", 5),                        # before the look-back window
    {k: v for k, v in b.pain_score("2026-11-20", 5).items() if k != "effectiveDateTime"},  # undated
    b.pain_score("2026-11-20", 5, code="8867-4"),         # heart rate, not pain
])
def test_unusable_pain_observations_are_skipped(resource: dict[str, Any]) -> None:
    assert with_observations(resource).pain_scores == ()


def test_missing_status_and_partial_dates_are_read() -> None:
    resource = {k: v for k, v in b.pain_score("2026-11", 5).items() if k != "status"}
    assert [s.when.isoformat() for s in with_observations(resource).pain_scores] == ["2026-11-01"]


@pytest.mark.parametrize("extra", [
    {"code": {"coding": [{"system": b.LOINC, "code": "72514-3"}], "text": "Pain with sprinting"}},
    {"method": {"text": "During sport-specific movement"}},
    {"note": [{"text": "Rated after the running drill"}]},
])
def test_sport_movement_context(extra: dict[str, Any]) -> None:
    (score,) = with_observations(b.pain_score("2026-11-20", 2) | extra).pain_scores
    assert score.with_sport_movement


def test_plain_pain_is_not_sport_movement() -> None:
    (score,) = with_observations(b.pain_score("2026-11-20", 2, text="Pain severity")).pain_scores
    assert not score.with_sport_movement


def test_outcome_scores_loinc_text_only_and_panel() -> None:
    f = with_observations(b.outcome("2026-11-01", 45), b.outcome("2026-11-10", 60, code=None, text="HAGOS Sport/Rec"),
                          b.outcome("2026-11-15", None, code="72092-0"),
                          b.outcome("2026-11-16", 30, code="71962-5"))
    assert [(o.instrument, o.value, o.higher_is_better) for o in f.outcome_scores] == [
        ("72094-6", 45.0, True), ("HAGOS Sport/Rec", 60.0, True), ("72092-0", None, True), ("71962-5", 30.0, False)]


def test_a_word_inside_another_word_is_not_a_match() -> None:
    assert with_observations(b.outcome("2026-11-10", 60, code=None, text="Patient chooses exercises")
                             ).outcome_scores == ()


def test_strength_symmetry_only_in_percent() -> None:
    f = with_observations(b.strength("2026-11-10", 82), b.strength("2026-11-11", 310, unit="N"))
    assert [(m.when.isoformat(), m.value) for m in f.strength_symmetry] == [("2026-11-10", 82.0)]


def test_large_prefetch_validates_only_the_selected_observations(monkeypatch: pytest.MonkeyPatch) -> None:
    noise = [b.pain_score(f"2026-11-{1 + i % 20:02d}", 70, oid=f"hr-{i}", code="8867-4") for i in range(2000)]
    old = [b.pain_score("2025-01-01", 3, oid=f"old-{i}") for i in range(200)]
    parsed: list[str] = []
    real = record.parse  # the FHIR stage validates a resource when a mapper first reads its model
    monkeypatch.setattr(record, "parse", lambda raw, ref=None: parsed.append(raw["id"]) or real(raw, ref))
    f = with_observations(*noise, *old, b.pain_score("2026-11-20", 4), b.outcome("2026-11-20", 50))
    assert len(f.pain_scores) == 1 and len(f.outcome_scores) == 1
    assert sorted(i for i in parsed if i.startswith(("pain", "prom", "hr-", "old-"))) == [
        "pain-2026-11-20", "prom-2026-11-20"]


def test_look_back_starts_before_the_injury_onset() -> None:
    onset = b.condition(onsetDateTime="2026-08-01")
    f = facts_for(conditions=b.bundle(onset), observations=b.bundle(b.pain_score("2026-07-10", 7),
                                                                     b.pain_score("2026-06-30", 7)))
    assert [s.when.isoformat() for s in f.pain_scores] == ["2026-07-10"]


# Referrals, clearances, repairs, weakness


def test_referrals_by_code_performer_type_and_text() -> None:
    f = facts_for(serviceRequests=b.bundle(
        b.referral("ortho", "183545006"), b.referral("surgeon", "308481009"),
        b.referral("sportsmed", code=None, text="Consult", performerType={"text": "Sports medicine"}),
        b.referral("surg-text", code=None, text="Orthopaedic surgeon opinion, hamstring"),
        b.referral("revoked", "308481009", status="revoked")))
    assert [(r.ref, r.is_surgical) for r in f.referrals] == [
        ("ServiceRequest/ortho", False), ("ServiceRequest/surgeon", True), ("ServiceRequest/sportsmed", False),
        ("ServiceRequest/surg-text", True)]


def test_physical_therapy_is_never_a_referral_and_non_surgical_is_not_surgical() -> None:
    pt = b.pt_order("pt-ortho", status="active", code={"coding": [{"system": b.SNOMED, "code": "91251008"}],
                                                        "text": "Orthopedic physical therapy"})
    non_op = b.referral("nonop", code=None, text="Sports medicine: non-surgical management")
    f = facts_for(serviceRequests=b.bundle(pt, non_op))
    assert [(r.ref, r.is_surgical) for r in f.referrals] == [("ServiceRequest/nonop", False)]


def test_an_order_for_the_repair_counts_as_surgical() -> None:
    order = b.referral("repair", code=None, text="Proximal hamstring repair")
    assert facts_for(drafts=(order | {"status": "draft"},), hook="order-sign").has_surgical_referral


def test_referral_from_an_earlier_episode_is_left_out_but_an_undated_one_kept() -> None:
    onset = b.condition(onsetDateTime="2026-10-01")
    old = b.referral("old", "308481009", authored="2025-03-01")
    undated = b.referral("undated", "183545006")
    f = facts_for(conditions=b.bundle(onset), serviceRequests=b.bundle(old, undated))
    assert [r.ref for r in f.referrals] == ["ServiceRequest/undated"]


def test_draft_referral_on_order_select_counts_even_if_not_selected() -> None:
    pt = b.pt_order("pt-1", **b.weekly(13, 2))
    surgeon = b.referral("surgeon", "308481009", status="draft")
    data = data_for(hook="order-select", patient_id=b.PATIENT_ID, draft_orders=(pt, surgeon),
                    selections=frozenset({"ServiceRequest/pt-1"}),
                    prefetch={"patient": b.patient(), "conditions": b.bundle(b.condition())})
    assert build_facts(data, AS_OF).has_surgical_referral


@pytest.mark.parametrize(("resource", "draft", "found"), [
    (b.return_to_sport(), True, True),
    (b.return_to_sport(text="Return to play: full training"), True, True),
    (b.return_to_sport(text="Activity order", orderDetail=[{"text": "Return to full activity"}]), True, True),
    (b.return_to_sport(text="Return to participation: modified training"), True, False),
    (b.return_to_sport(status="active"), False, True),
    (b.return_to_sport(status="completed"), False, False),
    (b.pt_order("pt-rts", code={"text": "Physical therapy: return to sport phase"}), True, False),
])
def test_activity_clearances(resource: dict[str, Any], draft: bool, found: bool) -> None:
    f = facts_for(hook="order-sign", drafts=(resource,)) if draft else facts_for(serviceRequests=b.bundle(resource))
    assert bool(f.activity_clearances) is found
    if found:
        assert f.activity_clearances[0].is_draft is draft


def test_hamstring_repair_done() -> None:
    assert facts_for(procedures=b.bundle(b.repair())).hamstring_repair_done
    assert facts_for(procedures=b.bundle(b.repair(code="27385") | {
        "code": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "27385"}]}})).hamstring_repair_done
    assert not facts_for(procedures=b.bundle(b.repair(status="preparation"))).hamstring_repair_done


@pytest.mark.parametrize(("code", "system", "clinical", "found"), [
    ("M62.81", "http://hl7.org/fhir/sid/icd-10-cm", "active", True),
    ("M62.552", "http://hl7.org/fhir/sid/icd-10-cm", "active", True),
    ("62330004", b.SNOMED, "active", True),
    ("M62.81", "http://hl7.org/fhir/sid/icd-10-cm", "resolved", False),
    ("M79.651", "http://hl7.org/fhir/sid/icd-10-cm", "active", False),
])
def test_weakness_findings(code: str, system: str, clinical: str, found: bool) -> None:
    weakness = b.condition(code=code, system=system, clinical=clinical, text=None, cid="weak-1")
    f = facts_for(conditions=b.bundle(b.condition(), weakness))
    assert bool(f.weakness_findings) is found
