"""A second adversarial clinical pass over how records are read: one test per class of error, on the mapper
that makes it. Whole requests for each case are scenario fixtures (tests/fixtures/hooks/: 'Nordic curls
continued, stretching stopped', 'held if pain > 4/10', 'BAMIC 3b', 'PT 1x/wk x 8 weeks', 'PT BIW',
sessions for knee osteoarthritis ...).

- a stop written after a comma that opens a clause with its own subject is that subject's stop, and a stop
  on a condition ('held if pain > 4/10') or with an object of its own ('stopped static stretching') stops
  nothing before it; a list stopped together and a stop with no subject of its own still stop;
- BAMIC 3a/3b (extensive, incomplete tears) are not high grade; 3c, grade 4 and a plain grade 3 are;
- sessions a week stated in an order's name ('PT 2x/wk x 6 wks', 'BIW', 'twice weekly');
- 'PT IE', 'PT BIW', 'PT x 6 wks' name physical therapy, 'PT IE' an evaluation;
- completed sessions for another problem (reason knee osteoarthritis, body site a shoulder) are not counted;
- a stop for pain told in prose ('more pain after each session, so stopped'), not only as 'd/t pain'.
"""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.servicerequest import ServiceRequest

from fhir_mappings.dosing_frequency import per_day_of_code
from fhir_mappings.escalation import activity_clearances
from fhir_mappings.order_text import is_physical_therapy
from fhir_mappings.program_plan import planned_days, planned_sessions
from fhir_mappings.record import reads
from fhir_mappings.session_rates import stated_sessions_per_week
from fhir_mappings.stated_durations import longest_stated_days
from fhir_mappings.terminology import concept_set
from fhir_mappings.therapy import delivered_sessions, is_evaluation_only
from fhir_mappings.therapy_stops import stopped_for_pain
from tests.builders import pt_session

ECC, HIGH, LOWER = "eccentric-strengthening", "high-grade-hamstring-injury", "lower-grade-hamstring-injury"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Nordic curls continued, stretching stopped.", True),
        ("Nordic curls 3x5, stretching ceased", True),
        ("Nordics 3x6, sprinting declined by patient", True),
        ("Nordic curls progressed, running on hold", True),
        ("Nordics 2x/wk, held if pain > 4/10", True),
        ("Nordics 3x5, hold when pain > 4/10", True),
        ("Nordic curls 3x5, regress if pain > 3/10", True),
        ("Nordic curls 3x6, stopped static stretching", True),
        # real stops are kept
        ("Nordics stopped due to pain", False),
        ("Bridges continued, Nordics stopped", False),
        ("Nordics 3x5, stopped", False),
        ("Nordics 3x5, RPE 7, stopped due to pain", False),
        ("Nordics, RDLs and sprinting stopped", False),
        ("tried nordics but stopped", False),
        ("Nordics stopped when pain rose", False),
        ("Nordic curls held until review", False),
        ("Nordic curls stopped last week", False),
        # written before the concept: not past a comma after the modifier's own object
        ("No sprinting, Nordics continue", True),
        ("Avoid stretching into pain, Nordics 3x5", True),
        ("D/C stretching, cont Nordics 3x6", True),
        ("Avoid sprinting, jumping and Nordics", False),
        ("No sprinting, jumping or Nordic curls", False),
        ("No Nordic curls, RDLs or sprinting", False),
        ("D/C Nordics, continue hip work", False),
        ("Contraindications: sprinting, Nordic curls", False),
        ("May add eccentric loading later", False),
        # a past-tense stop before its object stops it; after a comma it is the clause before's
        ("Stopped Nordic curls due to pain", False),
        ("Discontinued Nordics last week", False),
        ("Sprinting stopped, Nordic curls started", True),
        ("Stopped sprinting, Nordics continue", True),
        ("Nordic curls 3x6, stopped hurting at week 2", True),
    ],
)
def test_a_stop_reaches_back_within_its_own_clause(text: str, named: bool) -> None:
    assert concept_set(ECC).has_text(text) is named


@pytest.mark.parametrize(
    ("text", "high", "lower"),
    [
        ("BAMIC 3a", False, True),
        ("BAMIC 3b", False, True),
        ("BAMIC grade 3b", False, True),
        ("Grade 3a hamstring strain", False, True),
        ("Gr 3b", False, True),
        ("BAMIC 3c", True, False),
        ("grade 3c", True, False),
        ("BAMIC 4b", True, False),
        ("Grade 3 hamstring strain", True, False),
        ("grade 3", True, False),
        ("Gr. 3 strain", True, False),
        ("grade III tear", True, False),
        ("High-grade R hamstring tear", True, False),  # the guideline's own words
        ("MRI: no high-grade tear", False, False),
    ],
)
def test_bamic_3a_and_3b_are_extensive_not_complete_tears(text: str, high: bool, lower: bool) -> None:
    assert concept_set(HIGH).has_text(text) is high
    assert concept_set(LOWER).has_text(text) is lower


@pytest.mark.parametrize(
    ("text", "per_week"),
    [
        ("PT 2x/wk x 6 wks", 2),
        ("PT BIW x 8 weeks", 2),
        ("PT TIW", 3),
        ("Physiotherapy twice weekly for 12 weeks", 2),
        ("3 times a week", 3),
        ("three times per week", 3),
        ("PT 2-3x/week x 6 weeks", 2),  # the lower bound: the checks are minimums
        ("PT 2/wk", 2),
        ("PT x 6 wks", None),
        ("PT for one week", None),
        ("Nordics 3x6 x 6 wks", None),
        ("NWB x 2/52", None),
    ],
)
def test_sessions_a_week_stated_in_words(text: str, per_week: int | None) -> None:
    assert stated_sessions_per_week(text) == per_week


@pytest.mark.parametrize(
    ("name", "therapy", "evaluation_only"),
    [
        ("PT IE", True, True),
        ("PT IE - R hamstring strain", True, True),
        ("PT BIW", True, False),
        ("PT x 6 wks", True, False),
        ("PT E&T", True, False),
        ("PT IEP meeting", False, False),
    ],
)
def test_physical_therapy_abbreviations(name: str, therapy: bool, evaluation_only: bool) -> None:
    raw: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": "pt-1",
        "status": "draft",
        "intent": "order",
        "code": {"text": name},
    }
    assert is_physical_therapy(raw) is therapy
    assert is_evaluation_only(raw) is evaluation_only


@pytest.mark.parametrize(
    ("extra", "counted"),
    [
        ({}, True),
        ({"reasonCode": [{"text": "Left knee osteoarthritis"}]}, False),
        ({"bodySite": [{"text": "Right shoulder"}]}, False),
        ({"bodySite": [{"text": "Right hamstring"}]}, True),
        ({"reasonReference": [{"reference": "Condition/knee"}]}, False),
    ],
)
def test_sessions_for_another_problem_are_not_counted(extra: dict[str, Any], counted: bool) -> None:
    session = pt_session("2026-10-01") | extra
    knee = {"resourceType": "Condition", "id": "knee", "code": {"text": "Primary osteoarthritis of left knee"}}
    found = delivered_sessions(reads([session], "Patient/pat-1"), {"Condition/knee": knee})
    assert len(found.dates) == (1 if counted else 0)


@pytest.mark.parametrize(
    ("note", "for_pain"),
    [
        ("More pain after each session, so stopped.", True),
        ("Hamstring pain got worse after every session so we stopped physio", True),
        ("Patient was finding the sessions increasingly painful and we stopped", True),
        ("Stopped because it hurt more after every session", True),
        (
            "After the last three sessions reported increasing posterior thigh pain, after discussion we have stopped",
            True,
        ),
        ("Physio stopped: the exercises were making the hamstring worse", True),
        ("Therapy was stopped after session 4 because the Nordic curls caused too much soreness", True),
        ("We stopped PT after week 3 because every session left her sorer", True),
        ("Discharged, goals met; no increase in pain after sessions", False),
        ("Pain increased in week 2 but settled; discharged", False),
        ("Discharged, goals met, pain-free", False),
    ],
)
def test_a_stop_for_pain_told_in_prose(note: str, for_pain: bool) -> None:
    order = {
        "resourceType": "ServiceRequest",
        "id": "pt-1",
        "status": "completed",
        "intent": "order",
        "code": {"text": "Physical therapy"},
        "note": [{"text": note}],
    }
    assert stopped_for_pain(order, read_reason_code=False) is for_pain


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("Ibuprofen 400 mg TDS for a fortnight", 14),
        ("Naproxen 250 mg twice a day for a week", 7),
        ("1 tab 3 times a day x 10 days", 10),
        ("2x a day for 10 days", 10),
        ("PT 2x a week", None),  # the frequency's week, not a length
        ("Paracetamol once a day", None),
        ("Vitamin A D3", None),
    ],
)
def test_a_course_stated_with_a_or_an(text: str, days: float | None) -> None:
    assert longest_stated_days([text]) == days


@pytest.mark.parametrize(
    ("code", "days", "sessions"),
    [
        ({"text": "PT 1x/wk x 8 weeks"}, 56, 8),
        ({"coding": [{"system": "http://example.org/orders", "code": "PT", "display": "PT BIW x 6 wks"}]}, 42, 12),
        (
            {
                "text": "Physical therapy",
                "coding": [{"system": "http://example.org", "code": "x", "display": "x 6 wks"}],
            },
            None,
            None,
        ),  # the text is the name: a display does not override it
        ({"text": "PT x 6 wks"}, 42, None),  # no sessions a week stated
    ],
)
def test_length_and_sessions_stated_in_the_order_name(
    code: dict[str, Any], days: int | None, sessions: int | None
) -> None:
    request = ServiceRequest.model_validate(
        {
            "resourceType": "ServiceRequest",
            "status": "draft",
            "intent": "order",
            "subject": {"reference": "Patient/pat-1"},
            "code": code,
        }
    )
    assert planned_days(request)[0] == days
    assert planned_sessions(request)[0] == sessions


@pytest.mark.parametrize(
    ("code", "per_day"),
    [
        ({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation", "code": "TID"}]}, 3.0),
        ({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation", "code": "Q8H"}]}, 3.0),
        ({"coding": [{"system": "http://example.org/local", "code": "TID"}]}, None),  # another system's code
        ({"text": "TDS"}, 3.0),
        ({"text": "bd"}, 2.0),
        ({"text": "as directed"}, None),
    ],
)
def test_administrations_a_day_of_a_timing_code(code: dict[str, Any], per_day: float | None) -> None:
    assert per_day_of_code(CodeableConcept.model_validate(code)) == per_day


@pytest.mark.parametrize(
    ("extra", "hamstring"),
    [
        ({"code": {"text": "Return to sport clearance"}}, True),
        ({"code": {"text": "Return to sport clearance - R shoulder"}}, False),
        ({"code": {"text": "Return to sport clearance"}, "reasonCode": [{"text": "Left knee osteoarthritis"}]}, False),
        ({"code": {"text": "Return to sport clearance"}, "bodySite": [{"text": "Right hamstring"}]}, True),
    ],
)
def test_a_clearance_for_another_problem_is_not_the_hamstrings(extra: dict[str, Any], hamstring: bool) -> None:
    draft = {"resourceType": "ServiceRequest", "id": "rts-1", "status": "draft", "intent": "order"} | extra
    found = activity_clearances(reads([draft], "Patient/pat-1", is_draft=True), [], None, {})
    assert bool(found) is hamstring
