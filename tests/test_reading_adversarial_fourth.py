"""A fourth adversarial clinical pass over how records are read: one test per class of error, on the mapper
that makes it. Whole requests for each case are scenario fixtures (tests/fixtures/hooks/: 'Nordic curls,
bridges, RDLs stopped', 'Eccentric calf and hamstring raises' ...).

- a stop written after a list of three or more short items reaches its first item, with commas only or a
  final 'and'/'&' (HAM-03, HAM-04); words before a comma with a status or dose of their own stay a clause;
- eccentric work for a muscle listed with the hamstring under one exercise ('eccentric calf and hamstring
  raises') is eccentric hamstring strengthening (HAM-03); 'eccentric calf raises and hamstring stretches' is not;
- a program's length and sessions stated as a range in its name ('PT 2x/wk x 10-14 wks', '8-16 visits') are read
  at the lower bound, as a boundsRange (HAM-01, HAM-02: minimums), and its fix rewrites the range; an analgesic's
  course ('x 5-7 days') at the upper bound (HAM-05: a maximum); ranges of other things state no length;
- pain resolved, absent or no worse ('Nordics stopped - no more pain', 'PT discontinued, pain resolved, goals
  met') is no stop for pain (HAM-07: the stop's reason; a PT draft naming an exercise is then no therapy stop);
  'stopped due to pain', 'd/c'd 2/2 increased pain', 'too painful' still are.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.servicerequest import ServiceRequest

from cds_service import create_app
from fhir_mappings.program_plan import planned_days, planned_sessions
from fhir_mappings.stated_durations import lengthened, longest_stated_days
from fhir_mappings.terminology import concept_set
from fhir_mappings.therapy_stops import stopped_for_pain
from tests import builders as b

FIXTURES = Path(__file__).parent / "fixtures" / "hooks"
ECC = "eccentric-strengthening"
HIP = "hip-trunk-strengthening"


@pytest.mark.parametrize(
    ("text", "concepts", "named"),
    [
        # a stop after a list of three or more: every item is stopped
        ("Nordic curls, bridges, RDLs stopped", (ECC,), False),
        ("Nordics, glute bridges, planks d/c'd due to pain", (ECC, HIP), False),
        ("NHE, RDL, side planks held", (ECC, HIP), False),
        ("Nordic curls, bridges and RDLs stopped", (ECC,), False),
        ("Nordic curls, bridges & RDLs stopped", (ECC,), False),
        ("Nordic hamstring curls, single leg glute bridges, side planks, RDLs all stopped", (ECC, HIP), False),
        ("Nordics, bridges, RDLs on hold", (ECC,), False),
        ("Nordic curls, bridges, RDLs - stopped", (ECC,), False),
        ("Nordics, copenhagen planks, side planks + RDLs discontinued", (ECC, HIP), False),
        ("Nordics, bridges, RDLs stopped 2/2 pain", (ECC,), False),
        # a clause of its own before a comma (a status, a dose, a sentence end): not an item of the list
        ("Nordic curls continued, bridges, RDLs stopped", (ECC,), True),
        ("Nordic curls 3x5, bridges, RDLs stopped", (ECC,), True),
        ("Nordics progressing, bridges, planks held", (ECC,), True),
        ("Nordic curls ongoing, bridges, side planks d/c'd", (ECC,), True),
        ("Nordic curls continue. Bridges, planks, RDLs stopped", (ECC,), True),
        ("Nordic curls 2x/wk; bridges, planks, side planks stopped", (ECC,), True),
        ("Bridges, planks, side planks stopped, Nordics started", (ECC,), True),
        ("Nordic curls continued, stretching stopped", (ECC,), True),
        ("Nordic curls going well, bridges, RDLs stopped", (ECC,), True),
        ("Nordics tolerates well, bridges, side planks d/c'd", (ECC,), True),
        ("Nordic curls improving, RDLs stopped", (ECC,), True),
        ("Nordics, good mornings, RDLs stopped", (ECC,), False),  # an exercise's name, not a status
    ],
)
def test_a_stop_after_a_list_of_three_or_more_stops_every_item(
    text: str, concepts: tuple[str, ...], named: bool
) -> None:
    assert all(concept_set(c).has_text(text) is named for c in concepts)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        # a muscle listed with the hamstring under one eccentric exercise: the hamstring's work counts
        ("Eccentric calf and hamstring raises", True),
        ("eccentric quad and hamstring work", True),
        ("eccentric hamstring and calf loading", True),
        ("Eccentric calf & hamstring raises 3x10", True),
        ("eccentric quads/hamstrings 3x8", True),
        ("ecc. calf, quad and hamstring loading", True),
        ("hamstring and calf eccentrics", True),
        ("eccentric gastroc and HS work", True),
        ("Eccentric calf and biceps femoris loading", True),
        # eccentric qualifies another muscle's exercise only
        ("eccentric calf raises and hamstring stretches", False),
        ("Eccentric quad work and hamstring stretching", False),
        ("eccentric calf raises, hamstring stretches", False),
        ("eccentric calf and quad work", False),
        ("Eccentric gastroc/soleus loading", False),
        ("Eccentric heel drops and hamstring stretches", False),
        ("eccentric calf raises 3x15, hamstring mobility", False),
    ],
)
def test_eccentric_work_for_muscles_listed_with_the_hamstring_names_it(text: str, named: bool) -> None:
    assert concept_set(ECC).has_text(text) is named


def _named(name: str) -> ServiceRequest:
    return ServiceRequest.model_validate({"resourceType": "ServiceRequest", "status": "draft", "intent": "order",
                                          "subject": {"reference": "Patient/pat-1"}, "code": {"text": name}})


@pytest.mark.parametrize(
    ("name", "days", "sessions"),
    [
        ("PT 2x/wk x 10-14 wks", 70, 20),
        ("PT BIW for 10 to 14 weeks", 70, 20),
        ("Physio 8-16 visits over 10-14 weeks", 70, 8),
        ("PT 1x/wk x 6–8 weeks", 42, 6),
        ("Hamstring rehab two to three weeks, twice weekly", 14, 4),
        ("PT 2-3x/wk x 8-12 wks", 56, 16),
        ("PT x 12-16 weeks, 12-20 sessions", 84, 12),
        # no range: as before
        ("PT 2x/wk x 12 wks", 84, 24),
        ("Rehab phase 2 - 6 weeks", 42, None),  # a spaced dash numbers a phase
        ("PT 2x/wk x 12 wks, RPE 6-8, 3x10-12 reps", 84, 24),  # ranges of effort and reps are no length
    ],
)
def test_a_program_range_in_the_order_name_is_read_at_its_lower_bound(
    name: str, days: int, sessions: int | None
) -> None:
    request = _named(name)
    assert planned_days(request) == (days, "text")
    assert planned_sessions(request)[0] == sessions


@pytest.mark.parametrize(
    ("name", "extended"),
    [
        ("PT 2x/wk x 10-14 wks", "PT 2x/wk x 12 weeks"),
        ("PT BIW for 10 to 14 weeks", "PT BIW for 12 weeks"),
        ("Physio 8-16 visits over 10-14 weeks", "Physio 8-16 visits over 12 weeks"),
        ("PT 2x/wk x 12-16 wks", "PT 2x/wk x 12-16 wks"),  # the lower bound already meets it: as written
    ],
)
def test_the_fix_of_a_program_range_rewrites_it(name: str, extended: str) -> None:
    assert lengthened(name, 84, "12 weeks") == extended


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("Ibuprofen 400 mg TDS x 5-7 days", 7.0),
        ("naproxen 500 mg BD for 7 to 10 days", 10.0),
        ("paracetamol 1 g QDS prn x 3-5/7", 5.0),
        ("Ibuprofen 400 mg TID x 10d", 10.0),
    ],
)
def test_an_analgesic_course_range_counts_its_upper_bound(text: str, days: float) -> None:
    assert longest_stated_days([text]) == days


def test_a_range_bound_needs_its_number() -> None:
    texts: list[Any] = ["PT x 10-14 wks", None, 12]
    assert (longest_stated_days(texts), longest_stated_days(texts, low=True)) == (98.0, 70.0)


@pytest.mark.parametrize(
    ("note", "for_pain"),
    [
        # pain gone, absent or no worse: no reason to stop
        ("Nordics stopped - pain resolved", False),
        ("RDLs d/c'd - soreness gone", False),
        ("PT discontinued, pain resolved, goals met", False),
        ("PT d/c'd - pain-free now", False),
        ("Nordics stopped - no more pain", False),
        ("D/C physio: pain has now settled, back to full training", False),
        ("Discontinue PT - resolution of pain, goals met", False),
        ("Nordics ceased as pain has fully resolved", False),
        # pain as the reason, whatever came after
        ("Nordics stopped due to pain", True),
        ("d/c'd 2/2 increased pain", True),
        ("stopped, too painful", True),
        ("D/C PT d/t pain; previously pain-free", True),
        ("Discontinued due to pain, since resolved", True),
        ("PT stopped - pain, not tolerating Nordics", True),
        ("Discontinued b/c of hamstring pain - no better with rest", True),
    ],
)
def test_pain_resolved_is_no_reason_to_stop(note: str, for_pain: bool) -> None:
    assert stopped_for_pain(b.stop_order(note=note)) is for_pain


@pytest.mark.parametrize(
    ("reason", "for_pain"),
    [
        ("Pain resolved", False),
        ("No more pain", False),
        ("Pain-free, goals met", False),
        ("nil further discomfort", False),
        ("PT DC'd; nil pain, RTP achieved", False),
        ("Stopped PT, no further discomfort", False),
        ("Pain settled", False),
        ("Increased hamstring pain", True),
        ("Pain with Nordics", True),
        ("Poor tolerance", True),
        ("Flare of posterior thigh pain", True),
    ],
)
def test_a_reason_code_of_pain_resolved_is_no_stop_for_pain(reason: str, for_pain: bool) -> None:
    assert stopped_for_pain(b.stop_order(note="D/C PT", reason=reason)) is for_pain


def test_a_stop_after_pain_resolved_is_a_stop_not_for_pain(settings: dict[str, Any]) -> None:
    scenario = json.loads((FIXTURES / "ham07-dc-pt-reason-pain-resolved-order-sign.json").read_text(encoding="utf-8"))
    client = create_app(settings, today=lambda: date.fromisoformat(scenario["asOf"])).test_client()
    cards = client.post(f"/cds-services/{scenario['service']}", json=scenario["request"]).get_json()["cards"]
    assert [c["summary"] for c in cards] == [
        "Physical therapy stopped before 3 months of rehabilitation; consider resuming at a reduced load."]
