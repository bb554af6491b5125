"""A sixth adversarial clinical pass, on monitoring and escalation (HAM-08..HAM-13): how outcome scores, pain
ratings, imaging wording, referrals and clearances are read, as a sports-medicine physician would read them.

- outcome monitoring (HAM-08): a PROM by code or by name counts, a pain rating or a withdrawn score does not;
- return to activity (HAM-09): the latest pain rated during sport-specific movement decides, not pain at rest,
  and a clearance written as a condition ('return to play once pain-free') is no clearance;
- no improvement (HAM-10): a referral done counts, one planned on a condition ('refer to ortho if no better in
  2 weeks'), revoked, or to physiotherapy does not;
- high-grade tear (HAM-11): imaging wording ('near-complete', 'full-thickness', 'retracted 3 cm', 'conjoint
  tendon avulsion', 'BAMIC 3c', 'Grade III') counts where affirmed, not negated, hedged, historical or on the
  other side or another muscle;
- persistent weakness (HAM-12): strength measured after 3 months, of the hamstring;
- pain flare (HAM-13): pain 7/10 or more or a rise of 3 points within 7 days, whatever the value's shape
  (valueInteger, valueQuantity, valueString '7/10', a component), the bundle's order or an amended score;
  not a score withdrawn, of another body site, or outside rehabilitation;
- patient-view and order-sign see the same record.

Every case runs a whole hook request through the app (tests/conftest.py) at AS_OF 2026-11-23; only the cards
HAM-08..HAM-13 are compared (the program criteria have their own passes).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests import builders as b

SIGN = "/cds-services/hamstring-rehab-order-sign"
VIEW = "/cds-services/hamstring-rehab-patient-view"
SCOPE = {f"HAM-{n:02d}" for n in range(8, 14)}
MSK = "http://example.org/fhir/CodeSystem/msk-measure"


def fired(client: FlaskClient, body: dict[str, Any], service: str = VIEW) -> set[str]:
    response = client.post(service, json=body)
    assert response.status_code == 200, response.get_json()
    return {card["source"]["topic"]["code"] for card in response.get_json()["cards"]} & SCOPE


def ago(days: int) -> str:
    return (b.AS_OF - timedelta(days=days)).isoformat()


def program(days: int = 70) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """An active 16-week PT order on record started `days` ago, with weekly sessions since."""
    start = b.AS_OF - timedelta(days=days - 1)
    timing = b.weekly(16, 2)
    timing["occurrenceTiming"]["repeat"]["boundsPeriod"] = {"start": start.isoformat()}
    order = b.pt_order("pt-rec", status="active", authoredOn=start.isoformat(), **timing)
    return order, b.sessions(start.isoformat(), (days - 1) // 7 + 1)


def view(*observations: dict[str, Any], days: int | None = 70, requests: tuple[dict[str, Any], ...] = (),
         conditions: tuple[dict[str, Any], ...] | None = None, procedures: tuple[dict[str, Any], ...] = (),
         hook: str = "patient-view", drafts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A hook request for a patient `days` into rehabilitation (None: not in rehab) with a recent PROM unless
    the case is about PROMs, and the given observations, requests and conditions."""
    prefetch: dict[str, Any] = {}
    recorded = list(requests)
    performed = list(procedures)
    if days is not None:
        order, done = program(days)
        recorded.insert(0, order)
        performed = done + performed
    if recorded:
        prefetch["serviceRequests"] = b.bundle(*recorded)
    if performed:
        prefetch["procedures"] = b.bundle(*performed)
    if observations:
        prefetch["observations"] = b.bundle(*observations)
    if conditions is not None:
        prefetch["conditions"] = b.bundle(*conditions)
    return b.hook_request(hook, drafts=drafts, **prefetch)


def recent_prom() -> dict[str, Any]:
    return b.outcome(ago(5), 60)


def note(text: str) -> list[dict[str, str]]:
    return [{"text": text}]


# ---------------------------------------------------------------- HAM-08 outcome monitoring

def test_ham08_eight_weeks_of_rehab_without_a_prom(client: FlaskClient) -> None:
    assert fired(client, view(days=56)) == {"HAM-08"}


def test_ham08_three_weeks_of_rehab_is_too_early(client: FlaskClient) -> None:
    assert fired(client, view(days=21)) == set()


@pytest.mark.parametrize("text", ["Lower Extremity Functional Scale (LEFS)", "HAGOS Sport/Rec subscale",
                                  "iHOT-12 total", "Perth Hamstring Assessment Tool"])
def test_ham08_a_prom_named_only_in_text_is_monitoring(client: FlaskClient, text: str) -> None:
    obs = b.outcome(ago(10), 55, code=None, text=text)
    assert fired(client, view(obs, days=56)) == set()


def test_ham08_a_prom_older_than_four_weeks_is_not_recent(client: FlaskClient) -> None:
    assert fired(client, view(b.outcome(ago(40), 55), days=56)) == {"HAM-08"}


def test_ham08_a_prom_entered_in_error_does_not_count(client: FlaskClient) -> None:
    obs = {**b.outcome(ago(10), 55), "status": "entered-in-error"}
    assert fired(client, view(obs, days=56)) == {"HAM-08"}


def test_ham08_a_pain_rating_is_not_an_outcome_measure(client: FlaskClient) -> None:
    assert fired(client, view(b.pain_score(ago(3), 2), days=56)) == {"HAM-08"}


def test_ham08_a_prom_from_the_local_prom_code_system(client: FlaskClient) -> None:
    obs = b.outcome(ago(10), 70, system=b.SITE_PROM, code="hagos-sport-rec", text="HAGOS Sport and recreation")
    assert fired(client, view(obs, days=56)) == set()


# ---------------------------------------------------------------- HAM-09 return to activity

def rts(text: str = "Return to sport clearance", **extra: Any) -> dict[str, Any]:
    return b.return_to_sport(text=text, **extra)


def test_ham09_clearance_while_sprinting_still_hurts(client: FlaskClient) -> None:
    body = view(recent_prom(), b.sport_pain(ago(1), 3), hook="order-sign", drafts=[rts()])
    assert fired(client, body, SIGN) == {"HAM-09"}


def test_ham09_clearance_when_sport_movement_is_pain_free(client: FlaskClient) -> None:
    body = view(recent_prom(), b.sport_pain(ago(1), 0), hook="order-sign", drafts=[rts()])
    assert fired(client, body, SIGN) == set()


def test_ham09_the_latest_sport_pain_decides_whatever_the_bundle_order(client: FlaskClient) -> None:
    later_free = view(recent_prom(), b.sport_pain(ago(1), 0), b.sport_pain(ago(14), 4), hook="order-sign",
                      drafts=[rts()])
    later_hurts = view(recent_prom(), b.sport_pain(ago(1), 3), b.sport_pain(ago(14), 0), hook="order-sign",
                       drafts=[rts()])
    assert (fired(client, later_free, SIGN), fired(client, later_hurts, SIGN)) == (set(), {"HAM-09"})


def test_ham09_pain_at_rest_is_not_pain_with_sport_movement(client: FlaskClient) -> None:
    body = view(recent_prom(), b.pain_score(ago(1), 2, text="Current pain at rest"), hook="order-sign",
                drafts=[rts()])
    assert fired(client, body, SIGN) == set()


def test_ham09_sport_pain_as_value_string(client: FlaskClient) -> None:
    obs = b.pain_score(ago(1), None, text="Pain with sprinting (NPRS)", valueString="2/10")
    assert fired(client, view(recent_prom(), obs, hook="order-sign", drafts=[rts()]), SIGN) == {"HAM-09"}


def test_ham09_a_withdrawn_sport_pain_is_not_read(client: FlaskClient) -> None:
    obs = {**b.sport_pain(ago(1), 4), "status": "entered-in-error"}
    assert fired(client, view(recent_prom(), obs, hook="order-sign", drafts=[rts()]), SIGN) == set()


@pytest.mark.parametrize("text", ["Return to play once pain-free with sprinting",
                                  "Graded return to running, stage 2",
                                  "Return to sport testing (isokinetic, hop tests)"])
def test_ham09_a_conditional_or_graded_return_is_no_clearance(client: FlaskClient, text: str) -> None:
    body = view(recent_prom(), b.sport_pain(ago(1), 3), hook="order-sign", drafts=[rts(text)])
    assert fired(client, body, SIGN) == set()


def test_ham09_an_active_clearance_on_record_on_patient_view(client: FlaskClient) -> None:
    body = view(recent_prom(), b.sport_pain(ago(1), 3), requests=(rts(status="active", authored=ago(3)),))
    assert fired(client, body) == {"HAM-09"}


# ---------------------------------------------------------------- HAM-10 no improvement

def flat_pain(first: float = 6, latest: float = 6, days: int = 28) -> tuple[dict[str, Any], ...]:
    return b.pain_score(ago(days - 1), first), b.pain_score(ago(1), latest)


def test_ham10_no_improvement_after_four_weeks(client: FlaskClient) -> None:
    assert fired(client, view(recent_prom(), *flat_pain(), days=28)) == {"HAM-10"}


def test_ham10_a_two_point_fall_is_improvement(client: FlaskClient) -> None:
    assert fired(client, view(recent_prom(), *flat_pain(6, 4), days=28)) == set()


def test_ham10_pain_in_mixed_value_shapes_is_compared(client: FlaskClient) -> None:
    first = b.pain_score(ago(27), 6, as_quantity=True)
    latest = b.pain_score(ago(1), None, code="38208-5", valueString="6/10")
    assert fired(client, view(recent_prom(), first, latest, days=28)) == {"HAM-10"}


@pytest.mark.parametrize(("code", "text"), [("183545006", None), (None, "Referral to sports medicine"),
                                            ("308481009", "Ortho surgeon - R hamstring")])
def test_ham10_a_specialist_referral_on_record(client: FlaskClient, code: str | None, text: str | None) -> None:
    ref = b.referral(code=code, text=text, authored=ago(5))
    assert fired(client, view(recent_prom(), *flat_pain(), days=28, requests=(ref,))) == set()


@pytest.mark.parametrize("text", ["Refer to ortho if no better in 2 weeks",
                                  "Sports medicine referral should pain persist",
                                  "Consider orthopaedic referral if not improving"])
def test_ham10_a_referral_planned_on_a_condition_is_not_done(client: FlaskClient, text: str) -> None:
    ref = b.referral(code=None, text=text, authored=ago(5))
    assert fired(client, view(recent_prom(), *flat_pain(), days=28, requests=(ref,))) == {"HAM-10"}


def test_ham10_a_conditional_referral_in_the_pt_order_note_is_not_done(client: FlaskClient) -> None:
    body = view(recent_prom(), *flat_pain(), days=28)
    order = body["prefetch"]["serviceRequests"]["entry"][0]["resource"]
    order["note"] = note("Refer to ortho if no better in 2/52")
    assert fired(client, body) == {"HAM-10"}


def test_ham10_a_revoked_referral_is_not_a_referral(client: FlaskClient) -> None:
    ref = b.referral(status="revoked", authored=ago(5))
    assert fired(client, view(recent_prom(), *flat_pain(), days=28, requests=(ref,))) == {"HAM-10"}


def test_ham10_a_referral_to_physiotherapy_is_not_a_specialist_referral(client: FlaskClient) -> None:
    ref = b.referral(code="308447003", authored=ago(5))
    assert fired(client, view(recent_prom(), *flat_pain(), days=28, requests=(ref,))) == {"HAM-10"}


def test_ham10_a_draft_sports_medicine_referral_on_order_sign(client: FlaskClient) -> None:
    draft = b.referral("ref-new", code=None, text="Sports medicine consult", status="draft")
    assert fired(client, view(recent_prom(), *flat_pain(), days=28, hook="order-sign", drafts=[draft]),
                 SIGN) == set()


# ---------------------------------------------------------------- HAM-11 high-grade tear

def hamstring(text: str = "Right hamstring strain", notes: str | None = None, **extra: Any) -> dict[str, Any]:
    resource = b.condition(text=text, **extra)
    if notes:
        resource["note"] = note(notes)
    return resource


@pytest.mark.parametrize("report", [
    "MRI R thigh: near-complete tear of the proximal biceps femoris long head",
    "MRI: full-thickness tear of the conjoint tendon at the ischial origin",
    "MRI: semimembranosus tendon torn, retracted 3 cm from the ischial tuberosity",
    "MRI: conjoint tendon avulsion from the ischial tuberosity",
    "MRI: BAMIC 3c injury of the biceps femoris long head",
    "MRI: Grade III hamstring strain",
    "US: no retraction of the semitendinosus. Complete avulsion of the conjoint tendon",
])
def test_ham11_imaging_wording_of_a_high_grade_tear(client: FlaskClient, report: str) -> None:
    body = view(recent_prom(), conditions=(hamstring(notes=report),))
    assert fired(client, body) == {"HAM-11"}


@pytest.mark.parametrize("report", [
    "MRI: grade 2 strain of the biceps femoris, no retraction",
    "? avulsion - awaiting MRI",
    "Cannot exclude proximal avulsion; MRI requested",
    "Previous avulsion repaired 2019; now grade 1 strain",
    "Contralateral proximal hamstring avulsion 2021; right grade 1 strain",
    "Complete tear of the adductor longus; hamstring grade 1",
    "MRI: tendon intact, not retracted, BAMIC 2b",
    "MRI: near-complete tear ruled out, grade 2 strain",
    "Suspected high-grade tear; US to follow",
])
def test_ham11_negated_hedged_historical_or_other_site_is_not_high_grade(client: FlaskClient, report: str) -> None:
    body = view(recent_prom(), conditions=(hamstring(notes=report),))
    assert fired(client, body) == set()


def test_ham11_grade_iii_in_the_diagnosis_text(client: FlaskClient) -> None:
    body = view(recent_prom(), conditions=(hamstring("Grade III R hamstring strain"),))
    assert fired(client, body) == {"HAM-11"}


def test_ham11_a_surgeon_referral_on_record_is_the_consult(client: FlaskClient) -> None:
    body = view(recent_prom(), conditions=(hamstring("Proximal hamstring avulsion"),),
                requests=(b.referral(code="308481009", authored=ago(3)),))
    assert fired(client, body) == set()


def test_ham11_an_ortho_referral_on_record_is_not_a_surgical_consult(client: FlaskClient) -> None:
    body = view(recent_prom(), conditions=(hamstring("Proximal hamstring avulsion"),),
                requests=(b.referral(code="183545006", authored=ago(3)),))
    assert fired(client, body) == {"HAM-11"}


def test_ham11_an_ortho_referral_being_signed_is_the_consult(client: FlaskClient) -> None:
    draft = b.referral("ref-new", code="183545006", status="draft")
    body = view(recent_prom(), conditions=(hamstring("Proximal hamstring avulsion"),), hook="order-sign",
                drafts=[draft])
    assert fired(client, body, SIGN) == set()


def test_ham11_after_the_repair_no_consult_is_asked(client: FlaskClient) -> None:
    body = view(recent_prom(), conditions=(hamstring("Proximal hamstring avulsion"),),
                procedures=(b.repair(ago(60)),))
    assert fired(client, body) == set()


def test_ham11_patient_view_and_order_sign_agree(client: FlaskClient) -> None:
    conditions = (hamstring(notes="MRI: near-complete tear of the proximal biceps femoris"),)
    draft = b.pt_order("pt-new", **b.weekly(12, 2))
    on_view = fired(client, view(recent_prom(), conditions=conditions))
    on_sign = fired(client, view(recent_prom(), conditions=conditions, hook="order-sign", drafts=[draft]), SIGN)
    assert on_view == on_sign == {"HAM-11"}


# ---------------------------------------------------------------- HAM-12 persistent weakness

def test_ham12_weakness_after_three_months(client: FlaskClient) -> None:
    assert fired(client, view(recent_prom(), b.strength(ago(2), 80), days=100)) == {"HAM-12"}


def test_ham12_weakness_measured_early_in_rehab_is_not_persistent(client: FlaskClient) -> None:
    assert fired(client, view(recent_prom(), b.strength(ago(80), 70), days=100)) == set()


def test_ham12_recovered_strength(client: FlaskClient) -> None:
    assert fired(client, view(recent_prom(), b.strength(ago(2), 95), days=100)) == set()


def test_ham12_quadriceps_symmetry_is_not_hamstring_strength(client: FlaskClient) -> None:
    obs = {**b.strength(ago(2), 75), "code": {"text": "Quadriceps strength limb symmetry index"}}
    assert fired(client, view(recent_prom(), obs, days=100)) == set()


def test_ham12_a_surgeon_referral_on_record(client: FlaskClient) -> None:
    body = view(recent_prom(), b.strength(ago(2), 80), days=100,
                requests=(b.referral(code="308481009", authored=ago(3)),))
    assert fired(client, body) == set()


# ---------------------------------------------------------------- HAM-13 pain flare

@pytest.mark.parametrize("shape", [
    {"valueInteger": 8}, {"valueQuantity": {"value": 7, "unit": "{score}", "system": b.UCUM, "code": "{score}"}},
    {"valueString": "7/10"}, {"valueString": "8 out of 10"},
])
def test_ham13_a_high_rating_in_any_value_shape(client: FlaskClient, shape: dict[str, Any]) -> None:
    obs = {**b.pain_score(ago(1), None), **shape}
    assert fired(client, view(recent_prom(), obs)) == {"HAM-13"}


def test_ham13_six_out_of_ten_is_no_flare(client: FlaskClient) -> None:
    assert fired(client, view(recent_prom(), b.pain_score(ago(1), 6))) == set()


@pytest.mark.parametrize("code", ["72514-3", "38208-5"])
def test_ham13_a_rise_of_three_points_within_a_week(client: FlaskClient, code: str) -> None:
    body = view(recent_prom(), b.pain_score(ago(1), 6, code=code), b.pain_score(ago(6), 3, code=code))
    assert fired(client, body) == {"HAM-13"}


def test_ham13_a_rise_spread_over_more_than_a_week(client: FlaskClient) -> None:
    body = view(recent_prom(), b.pain_score(ago(1), 6), b.pain_score(ago(11), 3))
    assert fired(client, body) == set()


def test_ham13_an_old_flare_that_settled(client: FlaskClient) -> None:
    body = view(recent_prom(), b.pain_score(ago(1), 3), b.pain_score(ago(14), 8))
    assert fired(client, body) == set()


def test_ham13_the_latest_rating_by_date_not_by_bundle_order(client: FlaskClient) -> None:
    settled = view(recent_prom(), b.pain_score(ago(1), 2), b.pain_score(ago(3), 8))
    flaring = view(recent_prom(), b.pain_score(ago(1), 8), b.pain_score(ago(3), 2))
    assert (fired(client, settled), fired(client, flaring)) == (set(), {"HAM-13"})


def test_ham13_a_rating_entered_in_error(client: FlaskClient) -> None:
    obs = {**b.pain_score(ago(1), 9), "status": "entered-in-error"}
    assert fired(client, view(recent_prom(), obs)) == set()


@pytest.mark.parametrize(("value", "flare"), [(3, False), (8, True)])
def test_ham13_an_amended_score_is_read_at_its_amended_value(client: FlaskClient, value: int, flare: bool) -> None:
    obs = {**b.pain_score(ago(1), value), "status": "amended", "note": note("Amended: value corrected")}
    assert fired(client, view(recent_prom(), obs)) == ({"HAM-13"} if flare else set())


def test_ham13_pain_of_another_body_site(client: FlaskClient) -> None:
    shoulder = {**b.pain_score(ago(1), 8), "bodySite": {"text": "Left shoulder"}}
    low_back = b.pain_score(ago(1), 8, text="Low back pain score")
    assert (fired(client, view(recent_prom(), shoulder)), fired(client, view(recent_prom(), low_back))) == (
        set(), set())


def test_ham13_pain_of_the_hamstring_body_site(client: FlaskClient) -> None:
    obs = {**b.pain_score(ago(1), 8), "bodySite": {"text": "Right posterior thigh"}}
    assert fired(client, view(recent_prom(), obs)) == {"HAM-13"}


def test_ham13_a_pain_component_of_a_panel(client: FlaskClient) -> None:
    panel = {"resourceType": "Observation", "id": "panel-1", "status": "final", "subject": b.SUBJECT,
             "code": {"text": "Pain assessment"}, "effectiveDateTime": ago(1),
             "component": [{"code": {"coding": [{"system": b.LOINC, "code": "72514-3"}]}, "valueInteger": 8}]}
    assert fired(client, view(recent_prom(), panel)) == {"HAM-13"}


def test_ham13_worst_pain_in_the_past_week(client: FlaskClient) -> None:
    obs = b.pain_score(ago(1), 8, code="75893-8", text="Worst pain in the past week")
    assert fired(client, view(recent_prom(), obs)) == {"HAM-13"}


def test_ham13_not_in_rehabilitation(client: FlaskClient) -> None:
    assert fired(client, view(b.pain_score(ago(1), 9), days=None)) == set()


def test_ham13_on_order_sign_too(client: FlaskClient) -> None:
    draft = b.pt_order("pt-new", **b.weekly(12, 2))
    body = view(recent_prom(), b.pain_score(ago(1), 8), hook="order-sign", drafts=[draft])
    assert fired(client, body, SIGN) == {"HAM-13"}


def test_ham13_a_rating_dated_in_the_future_is_not_read(client: FlaskClient) -> None:
    future = (b.AS_OF + timedelta(days=3)).isoformat()
    assert fired(client, view(recent_prom(), b.pain_score(future, 9))) == set()


def test_ham13_a_rating_with_only_an_issued_time(client: FlaskClient) -> None:
    obs = b.without(b.pain_score(ago(1), 8), "effectiveDateTime")
    obs["issued"] = f"{ago(1)}T10:00:00Z"
    assert fired(client, view(recent_prom(), obs)) == {"HAM-13"}


def test_dates_are_real_dates() -> None:
    assert date.fromisoformat(ago(0)) == b.AS_OF


# ---------------------------------------------------------------- found in this pass and fixed (classes)

@pytest.mark.parametrize("report", [
    "MRI: semitendinosus tendon avulsed from the ischial tuberosity",
    "US: avulsed conjoint tendon with haematoma",
    "MRI: completely torn proximal semimembranosus tendon",
    "MRI: biceps femoris tendon torn completely at the MTJ",
    "MRI: conjoint tendon torn through, 2 cm gap",
])
def test_ham11_a_tear_written_as_a_participle(client: FlaskClient, report: str) -> None:
    """high-grade-hamstring-injury: 'avulsed', 'completely torn', 'torn completely', 'torn through'."""
    assert fired(client, view(recent_prom(), conditions=(hamstring(notes=report),))) == {"HAM-11"}


@pytest.mark.parametrize("report", [
    "Avulsion is not identified", "Complete tear not demonstrated", "MRI: avulsion - not seen",
    "Complete tear is not seen", "Checklist: complete tear: negative; retraction - absent",
    "Avulsion cannot be excluded", "A complete tear can't be ruled out", "Avulsion is possible",
    "Complete tear remains equivocal", "Appearances could represent an avulsion", "May reflect a near-complete tear",
])
def test_ham11_a_finding_denied_or_hedged_after_it_is_named(client: FlaskClient, report: str) -> None:
    """context-rules.json: 'not seen (after)', ': negative', 'cannot be excluded (after)', 'is possible (after)',
    'could represent'."""
    assert fired(client, view(recent_prom(), conditions=(hamstring(notes=report),))) == set()


@pytest.mark.parametrize("value", ["NPRS 7/10", "VAS 8", "pain 8", "8/10 today", "8/10 (worst)", "7-8/10", "8-9",
                                   "7/10 with sprinting"])
def test_ham13_one_score_among_words_in_a_value_string(client: FlaskClient, value: str) -> None:
    """observations._score_in_text: one score (a range at its upper bound) with words around it."""
    obs = {**b.pain_score(ago(1), None), "valueString": value}
    assert fired(client, view(recent_prom(), obs)) == {"HAM-13"}


@pytest.mark.parametrize("value", ["8/10, 3/10 at rest", "3/10 at rest, 8/10 with running", "severe", "-3",
                                   "8 out of 100", "v2 8/10"])
def test_ham13_a_value_string_with_no_single_score_is_not_read(client: FlaskClient, value: str) -> None:
    obs = {**b.pain_score(ago(1), None), "valueString": value}
    assert fired(client, view(recent_prom(), obs)) == set()


@pytest.mark.parametrize(("mm", "flare"), [(80, True), (60, False), (150, False)])
def test_ham13_a_visual_analogue_scale_in_mm(client: FlaskClient, mm: int, flare: bool) -> None:
    obs = {**b.pain_score(ago(1), None), "valueQuantity": {"value": mm, "unit": "mm", "system": b.UCUM, "code": "mm"}}
    assert fired(client, view(recent_prom(), obs)) == ({"HAM-13"} if flare else set())


def test_ham09_sport_context_in_the_value_string(client: FlaskClient) -> None:
    obs = {**b.pain_score(ago(1), None), "valueString": "2/10 with sprinting"}
    assert fired(client, view(recent_prom(), obs, hook="order-sign", drafts=[rts()]), SIGN) == {"HAM-09"}


def test_ham12_a_strength_symmetry_with_its_label(client: FlaskClient) -> None:
    obs = b.without(b.strength(ago(2), 80), "valueQuantity")
    weak, range_ = {**obs, "valueString": "LSI 80%"}, {**obs, "valueString": "LSI 80-85%"}
    assert (fired(client, view(recent_prom(), weak, days=100)),
            fired(client, view(recent_prom(), range_, days=100))) == ({"HAM-12"}, set())


@pytest.mark.parametrize("text", ["Referral to Sport & Exercise Medicine", "SEM referral - hamstring",
                                  "Referral to T&O", "MSK physician referral", "Musculoskeletal physician review"])
def test_ham10_specialist_services_by_their_uk_names(client: FlaskClient, text: str) -> None:
    """specialist-referral: 'Sport & Exercise Medicine', 'SEM', 'T&O', 'MSK physician'."""
    ref = b.referral(code=None, text=text, authored=ago(5))
    assert fired(client, view(recent_prom(), *flat_pain(), days=28, requests=(ref,))) == set()


def test_ham11_a_t_and_o_referral_being_signed_is_the_consult(client: FlaskClient) -> None:
    draft = b.referral("ref-new", code=None, text="Referral to T&O - proximal avulsion", status="draft")
    body = view(recent_prom(), conditions=(hamstring("Proximal hamstring avulsion"),), hook="order-sign",
                drafts=[draft])
    assert fired(client, body, SIGN) == set()


@pytest.mark.parametrize("extra", [{"doNotPerform": True}, {"intent": "proposal"}])
def test_ham10_a_referral_not_to_be_done_or_only_proposed(client: FlaskClient, extra: dict[str, Any]) -> None:
    """escalation._service_requests: doNotPerform and intent 'proposal' are no referral."""
    ref = {**b.referral(authored=ago(5)), **extra}
    assert fired(client, view(recent_prom(), *flat_pain(), days=28, requests=(ref,))) == {"HAM-10"}


def test_ham09_a_do_not_perform_clearance_is_no_clearance(client: FlaskClient) -> None:
    draft = {**rts(), "doNotPerform": True}
    body = view(recent_prom(), b.sport_pain(ago(1), 3), hook="order-sign", drafts=[draft])
    assert fired(client, body, SIGN) == set()


def test_ham10_a_referral_to_be_considered_is_not_done(client: FlaskClient) -> None:
    ref = b.referral(code=None, text="Ortho referral to be considered", authored=ago(5))
    assert fired(client, view(recent_prom(), *flat_pain(), days=28, requests=(ref,))) == {"HAM-10"}


@pytest.mark.parametrize("text", ["Return to full match play", "Return to competitive football",
                                  "OK to return to competitive football", "Fit for full training",
                                  "Full training - cleared", "Cleared: return to full contact"])
def test_ham09_a_full_return_in_team_words(client: FlaskClient, text: str) -> None:
    """return-to-activity: full match play, contact and training; other-body-site's 'foot' no longer reads
    'football' as a foot (so 'competitive football' is the hamstring's return, not another problem's)."""
    body = view(recent_prom(), b.sport_pain(ago(1), 3), hook="order-sign", drafts=[rts(text)])
    assert fired(client, body, SIGN) == {"HAM-09"}


@pytest.mark.parametrize("text", ["Return to modified training", "Return to football training drills, graded",
                                  "Return to full weight bearing"])
def test_ham09_a_graded_step_or_weight_bearing_is_no_full_return(client: FlaskClient, text: str) -> None:
    body = view(recent_prom(), b.sport_pain(ago(1), 3), hook="order-sign", drafts=[rts(text)])
    assert fired(client, body, SIGN) == set()


@pytest.mark.parametrize(("site", "other"), [("L foot", True), ("Right foot.", True), ("Left hand", True),
                                             ("Head", True), ("Football training load", False),
                                             ("Handball session", False)])
def test_body_sites_named_after_a_sport_are_not_a_site(client: FlaskClient, site: str, other: bool) -> None:
    obs = {**b.pain_score(ago(1), 8), "bodySite": {"text": site}}
    assert fired(client, view(recent_prom(), obs)) == (set() if other else {"HAM-13"})


def questionnaire(status: str) -> dict[str, Any]:
    return {"resourceType": "QuestionnaireResponse", "id": f"qr-{status}", "status": status, "subject": b.SUBJECT,
            "authored": ago(5), "questionnaire": "http://example.org/Questionnaire/lefs",
            "item": [{"linkId": "total", "text": "Lower Extremity Functional Scale total",
                      "answer": [{"valueInteger": 55}]}]}


@pytest.mark.parametrize(("status", "monitored"), [("completed", True), ("amended", True), ("in-progress", False),
                                                   ("entered-in-error", False)])
def test_ham08_a_questionnaire_counts_once_completed(client: FlaskClient, status: str, monitored: bool) -> None:
    body = view(days=56)
    body["prefetch"]["questionnaireResponses"] = b.bundle(questionnaire(status))
    assert fired(client, body) == (set() if monitored else {"HAM-08"})


def test_ham08_a_prom_dated_in_the_future_is_not_recent(client: FlaskClient) -> None:
    future = (b.AS_OF + timedelta(days=5)).isoformat()
    assert fired(client, view(b.outcome(future, 50), days=56)) == {"HAM-08"}


def test_ham08_on_order_sign_too(client: FlaskClient) -> None:
    body = view(days=56, hook="order-sign", drafts=[b.pt_order("pt-new", **b.weekly(6, 2))])
    assert fired(client, body, SIGN) == {"HAM-08"}


def weakness(clinical: str = "active") -> dict[str, Any]:
    return b.condition("713514005", system=b.SNOMED, text="Muscle weakness of limb", cid="cond-w", clinical=clinical)


@pytest.mark.parametrize(("clinical", "fires"), [("active", True), ("resolved", False)])
def test_ham12_a_weakness_finding_after_three_months(client: FlaskClient, clinical: str, fires: bool) -> None:
    body = view(recent_prom(), days=100, conditions=(b.condition(), weakness(clinical)))
    assert fired(client, body) == ({"HAM-12"} if fires else set())


def test_ham12_a_ratio_with_the_dimensionless_unit(client: FlaskClient) -> None:
    assert fired(client, view(recent_prom(), b.strength(ago(2), 0.8, unit="1"), days=100)) == {"HAM-12"}


def test_ham12_an_orthopaedic_service_referral_is_not_a_surgical_evaluation(client: FlaskClient) -> None:
    body = view(recent_prom(), b.strength(ago(2), 80), days=100,
                requests=(b.referral(code="183545006", authored=ago(3)),))
    assert fired(client, body) == {"HAM-12"}


# ---------------------------------------------------------------- found in this pass, not fixed yet

def test_ham10_a_coded_referral_made_conditional_in_its_note(client: FlaskClient) -> None:
    ref = {**b.referral(authored=ago(5)), "note": note("Only if no improvement in 2 weeks")}
    assert fired(client, view(recent_prom(), *flat_pain(), days=28, requests=(ref,))) == {"HAM-10"}


@pytest.mark.parametrize(("text", "deferred"), [
    ("Return to play after next review", True), ("RTS pending repeat MRI", True),
    ("Return to sport pending MRI", True), ("Full training awaiting MRI", True),
    ("Cleared for return to sport following final testing", False),
    ("Return to sport: cleared after review today", False),
])
def test_ham09_a_return_deferred_to_an_assessment_still_to_come(client: FlaskClient, text: str, deferred: bool) -> None:
    """context-rules.json 'pending review (after)': a clearance waiting on a review, scan or test is no clearance."""
    body = view(recent_prom(), b.sport_pain(ago(1), 3), hook="order-sign", drafts=[rts(text)])
    assert fired(client, body, SIGN) == (set() if deferred else {"HAM-09"})


def test_a_rest_order_until_review_still_runs_its_length(client: FlaskClient) -> None:
    """The deferral rule is for clearances only: 'NWB until review in 2 weeks' is still two weeks of rest (HAM-06)."""
    rest = {"resourceType": "ServiceRequest", "id": "rest-1", "status": "draft", "intent": "order",
            "subject": b.SUBJECT, "code": {"text": "Non-weight bearing R leg, crutches, until review in 2 weeks"}}
    response = client.post(SIGN, json=view(recent_prom(), hook="order-sign", drafts=[rest]))
    assert "HAM-06" in {card["source"]["topic"]["code"] for card in response.get_json()["cards"]}


@pytest.mark.xfail(strict=True, reason="fhir_mappings/observations.py _pain(): a negated sport mention in the code "
                                       "('Pain at rest (no pain with sprinting)') still marks the rating as sport pain")
def test_ham09_pain_at_rest_with_sprinting_denied(client: FlaskClient) -> None:
    obs = b.pain_score(ago(1), 2, text="Pain at rest (no pain with sprinting)")
    assert fired(client, view(recent_prom(), obs, hook="order-sign", drafts=[rts()]), SIGN) == set()


def test_ham13_worst_pain_in_a_panel_after_current_pain(client: FlaskClient) -> None:
    pain = {"coding": [{"system": b.LOINC, "code": "72514-3"}]}
    panel = {"resourceType": "Observation", "id": "panel-2", "status": "final", "subject": b.SUBJECT,
             "code": {"text": "Pain assessment"}, "effectiveDateTime": ago(1),
             "component": [{"code": {**pain, "text": "Current pain"}, "valueInteger": 3},
                           {"code": {**pain, "text": "Worst pain last 24 h"}, "valueInteger": 8}]}
    assert fired(client, view(recent_prom(), panel)) == {"HAM-13"}


@pytest.mark.parametrize(("text", "other"), [
    ("Pain in left shoulder after fall", True), ("Rated for the R knee", True), ("L shoulder and R hamstring", False),
    ("No knee pain", False), ("Posterior thigh pain after sprint session", False),
])
def test_ham13_a_rating_whose_note_names_another_site(client: FlaskClient, text: str, other: bool) -> None:
    """observations.is_other_site: with no bodySite and a code naming no site, the notes say where it hurts."""
    obs = {**b.pain_score(ago(1), 8), "note": note(text)}
    assert fired(client, view(recent_prom(), obs)) == (set() if other else {"HAM-13"})


def test_ham11_a_tear_given_only_as_a_percentage_is_not_read(client: FlaskClient) -> None:
    """No card: neither the guideline, cards/guideline.toml nor terminology.md gives an extent in percent that
    makes a tear near-complete, so a percentage alone is not read (tear_grade.py); the words are
    (tests/test_monitoring_shapes.py)."""
    body = view(recent_prom(), conditions=(hamstring(notes="MRI: tear involving 90% of the conjoint tendon width"),))
    assert fired(client, body) == set()


def test_ham12_symmetry_from_each_sides_strength(client: FlaskClient) -> None:
    def side(newtons: int, site: str, oid: str) -> dict[str, Any]:
        return {"resourceType": "Observation", "id": oid, "status": "final", "subject": b.SUBJECT,
                "code": {"text": "Eccentric knee flexor strength (NordBord)"}, "effectiveDateTime": ago(2),
                "bodySite": {"coding": [{"system": b.SNOMED, "code": site}]},
                "valueQuantity": {"value": newtons, "unit": "N", "system": b.UCUM, "code": "N"}}
    body = view(recent_prom(), side(180, "24028007", "right"), side(300, "7771000", "left"), days=100)
    assert fired(client, body) == {"HAM-12"}
