"""Monitoring and escalation records in the shapes clinicians chart them (HAM-09..HAM-13):

- a coded referral made conditional in its note or order detail is no referral made (escalation.is_conditional);
- every pain component of a panel is read, the worst being the panel's one rating (observations._kinds, _read);
- a tear's extent as a percentage is not read without a sourced threshold; its words are (tear_grade.py);
- each side's strength, two Observations, gives the injured side's symmetry (limb_symmetry.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient

from cards.facts import HamstringInjury
from fhir_mappings.escalation import is_conditional
from fhir_mappings.limb_symmetry import injured_side, side_symmetry
from fhir_mappings.observations import measurements
from fhir_mappings.record import Read
from fhir_mappings.tear_grade import high_grade_evidence
from tests import builders as b
from tests.test_reading_adversarial_sixth import ago, fired, flat_pain, recent_prom, view

SINCE = date(2026, 1, 1)
RIGHT, LEFT = "24028007", "7771000"


# ---------------------------------------------------------------- conditional referrals (HAM-10)

@pytest.mark.parametrize(("text", "conditional"), [
    ("Only if no improvement in 2 weeks", True), ("consider ortho if no better", True),
    ("Refer if no better in 2/52", True), ("Should symptoms persist, see surgeon", True),
    ("If not improving by week 6, then refer", True), ("Unless repeat MRI is clear", True),
    ("Seen today, plan agreed", False), ("Referred today. Review if worse.", False),
    ("Referred to ortho for persistent weakness", False), ("No improvement after 6 weeks of rehab", False),
    ("Appointment booked for 3 Dec", False),
])
@pytest.mark.parametrize("field", ["note", "orderDetail"])
def test_a_referral_made_conditional_in_its_note_or_detail(text: str, conditional: bool, field: str) -> None:
    assert is_conditional({field: [{"text": text}]}) is conditional, text


@pytest.mark.parametrize(("text", "fires"), [
    ("Consider ortho if no better", True), ("Send if fails to improve by next review", True),
    ("Referred, appointment 3 Dec", False),
])
def test_ham10_with_a_coded_referral_and_its_note(client: FlaskClient, text: str, fires: bool) -> None:
    ref = {**b.referral(authored=ago(5)), "orderDetail": [{"text": text}]}
    assert fired(client, view(recent_prom(), *flat_pain(), days=28, requests=(ref,))) == (
        {"HAM-10"} if fires else set())


# ---------------------------------------------------------------- every pain component of a panel (HAM-13)

def panel(day: str, *components: tuple[str, Any], oid: str = "panel-1") -> dict[str, Any]:
    pain = {"coding": [{"system": b.LOINC, "code": "72514-3"}]}
    parts = [{"code": {**pain, "text": text}, **({"valueString": v} if isinstance(v, str) else {"valueInteger": v})}
             for text, v in components]
    return {"resourceType": "Observation", "id": oid, "status": "final", "subject": b.SUBJECT,
            "code": {"text": "Pain assessment"}, "effectiveDateTime": day, "component": parts}


@pytest.mark.parametrize(("components", "earlier", "fires"), [
    ((("Current pain", 3), ("Worst pain last 24 h", 8)), None, True),
    ((("Pain at rest", 1), ("Pain on walking", 2), ("Worst pain this week", "7/10")), None, True),
    ((("Current pain", 2), ("Worst pain last 24 h", 5)), None, False),  # no rise within one panel
    ((("Current pain", 3), ("Worst pain last 24 h", 5)), 2, True),  # 2 -> 5 over 3 days
    ((("Worst pain last 24 h", 4), ("Current pain", 2)), 3, False),
])
def test_ham13_the_worst_pain_component_is_the_panels_rating(client: FlaskClient, components: Any,
                                                             earlier: int | None, fires: bool) -> None:
    before = (b.pain_score(ago(4), earlier),) if earlier is not None else ()
    body = view(recent_prom(), *before, panel(ago(1), *components))
    assert fired(client, body) == ({"HAM-13"} if fires else set())


def test_one_rating_per_panel() -> None:
    read: Read[Any] = Read(panel("2026-11-20", ("Current pain", 3), ("Worst pain last 24 h", 8), ("At night", 6)))
    pain = measurements([read], SINCE, date(2026, 11, 23)).pain
    assert [p.value for p in pain] == [8]


def test_a_sport_component_of_a_panel_is_sport_pain(client: FlaskClient) -> None:
    """HAM-09: 'Pain at rest 1', 'Pain with sprinting 5': the worse, sprinting, rating is the panel's."""
    body = view(recent_prom(), panel(ago(1), ("Pain at rest", 1), ("Pain with sprinting", 5)), hook="order-sign",
                drafts=[b.return_to_sport(text="Return to sport clearance")])
    assert fired(client, body, "/cds-services/hamstring-rehab-order-sign") == {"HAM-09"}


# ---------------------------------------------------------------- a tear's extent (HAM-11)

@pytest.mark.parametrize(("text", "evidence"), [
    ("MRI: tear involving 90% of the conjoint tendon width", None),
    ("~75% cross-sectional tear of biceps femoris", None),
    ("Partial (30%) tear of semimembranosus", None),
    ("Tear of 95 % of the tendon's cross-section", None),
    ("Near-complete tear (90% of the tendon width)", "note"),
    ("Nearly complete rupture of the conjoint tendon", "note"),
    ("Near-total tear of the proximal tendon", "note"),
    ("Almost completely torn semitendinosus", "note"),
])
def test_a_percentage_alone_is_not_a_grade_but_the_words_are(text: str, evidence: str | None) -> None:
    """No source (guideline, guideline.toml, terminology.md) gives a percentage for 'near-complete'."""
    condition = b.condition(text="Hamstring strain", note=[{"text": text}])
    assert high_grade_evidence(condition) == evidence, text


# ---------------------------------------------------------------- each side's strength (HAM-12)

def side(value: float, day: str, site: str | None = None, text: str = "Eccentric knee flexor strength (NordBord)",
         unit: str = "N", oid: str | None = None) -> Read[Any]:
    resource: dict[str, Any] = {"resourceType": "Observation", "id": oid or f"s-{site or len(text)}-{day}-{int(value)}",
                                "status": "final", "subject": b.SUBJECT, "code": {"text": text},
                                "effectiveDateTime": day,
                                "valueQuantity": {"value": value, "unit": unit, "system": b.UCUM, "code": unit}}
    if site:
        resource["bodySite"] = {"coding": [{"system": b.SNOMED, "code": site}]}
    return Read(resource)


def symmetry(*reads: Read[Any], injured: str | None = "right") -> list[float | None]:
    return [m.value for m in side_symmetry(reads, SINCE, date(2026, 11, 23), injured)]


@pytest.mark.parametrize(("reads", "injured", "expected"), [
    ((side(180, "2026-11-20", RIGHT), side(300, "2026-11-20", LEFT)), "right", [60.0]),
    ((side(180, "2026-11-20", RIGHT), side(300, "2026-11-20", LEFT)), "left", [300 / 180 * 100]),
    ((side(150, "2026-11-20", text="Knee flexor strength R", unit="N.m"),
      side(200, "2026-11-20", text="Knee flexor strength L", unit="N.m")), "right", [75.0]),
    ((side(27, "2026-11-20", text="Hamstring strength (HHD) Rt", unit="kg"),
      side(30, "2026-11-20", text="Hamstring strength (HHD) Lt", unit="kg")), "right", [90.0]),
    ((side(180, "2026-11-19", RIGHT), side(300, "2026-11-20", LEFT)), "right", []),  # not the same day
    ((side(180, "2026-11-20", RIGHT), side(300, "2026-11-20", LEFT)), None, []),  # injured side unknown
    ((side(180, "2026-11-20", RIGHT), side(200, "2026-11-20", RIGHT), side(300, "2026-11-20", LEFT)), "right", []),
    ((side(180, "2026-11-20", RIGHT), side(30, "2026-11-20", LEFT, unit="kg")), "right", []),  # units differ
    ((side(180, "2026-11-20", RIGHT, text="Quadriceps strength"),
      side(300, "2026-11-20", LEFT, text="Quadriceps strength")), "right", []),  # not the hamstring
])
def test_symmetry_from_each_sides_strength(reads: tuple[Read[Any], ...], injured: str | None,
                                           expected: list[float]) -> None:
    assert symmetry(*reads, injured=injured) == pytest.approx(expected)


def injury(cid: str = "cond-1") -> HamstringInjury:
    return HamstringInjury(ref=f"Condition/{cid}", label="Hamstring strain")


@pytest.mark.parametrize(("condition", "expected"), [
    (b.condition(), "right"),  # S76.311A, 'Right hamstring strain'
    (b.condition(code="S76.312A", text="Hamstring strain"), "left"),
    (b.condition(code="S76.319A", text="Hamstring strain"), None),
    (b.condition(code="S76.319A", text="Hamstring strain",
                 bodySite=[{"coding": [{"system": b.SNOMED, "code": LEFT}]}]), "left"),
    (b.condition(code="S76.319A", text="L hamstring strain"), "left"),
    (b.condition(code="S76.311A", text="Left hamstring strain"), None),  # the record disagrees with itself
])
def test_the_injured_side(condition: dict[str, Any], expected: str | None) -> None:
    assert injured_side([injury()], {"Condition/cond-1": condition}) == expected


@pytest.mark.parametrize(("right", "left", "fires"), [(180, 300, True), (290, 300, False), (300, 180, False)])
def test_ham12_from_each_sides_strength(client: FlaskClient, right: int, left: int, fires: bool) -> None:
    """The injured side is the right (the default Condition, S76.311A)."""
    body = view(recent_prom(), side(right, ago(2), RIGHT, oid="r").json, side(left, ago(2), LEFT, oid="l").json,
                days=100)
    assert fired(client, body) == ({"HAM-12"} if fires else set())


@pytest.mark.parametrize("odd", [
    {"code": {"coding": "S76.311A", "text": "Right hamstring strain"}},  # a string where the Codings belong
    {"code": {"coding": {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "S76.311A"}}},  # one object
    {"code": {"coding": ["S76.311A", 7]}},
    {"code": "S76.311A"},
    {"bodySite": {"text": "right"}},  # an object where the list belongs
    {"bodySite": "right thigh", "code": {"coding": 5}},
])
def test_the_injured_side_of_a_condition_in_odd_shapes_is_read_or_left_unread_never_an_error(
        odd: dict[str, Any]) -> None:
    condition = {**b.condition(), **odd}
    assert injured_side([injury()], {"Condition/cond-1": condition}) in ("right", "left", None)


def test_each_sides_strength_in_odd_shapes_is_left_unread_never_an_error() -> None:
    odd = side(180, "2026-11-20", RIGHT)
    odd.json["code"] = {"coding": "not a list", "text": "Knee flexor strength R"}
    other = side(300, "2026-11-20", LEFT)
    other.json["code"] = "Knee flexor strength L"
    assert symmetry(odd, other) == []
