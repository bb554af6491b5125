"""A fifth adversarial clinical pass over how stops are read: one test per class of error, on the mapper that
makes it. Whole requests for each case are scenario fixtures (tests/fixtures/hooks/: 'Stopped Nordics,
bridges, RDLs', 'Stopped due to pain, now resolved', a reasonCode 'Nordics stopped due to pain' ...).

- a stop written BEFORE a list of short items stops every item ('Stopped Nordics, bridges, RDLs', 'D/C'd NHE,
  glute bridges and planks', 'Hold Nordic curls, RDLs, bridges': HAM-03, HAM-04); an item with a predicate,
  dose or '-ed' word of its own is a clause that keeps it ('Stop sprinting, Nordics ok', 'Stopped Nordics,
  continue bridges and RDLs');
- a stop for pain stays a stop for pain when the pain resolves later ('Stopped due to pain, now resolved',
  'held for pain x1 wk - pain now resolved': HAM-07); medspaCy's 'now resolved' no longer cancels the stop
  word. Pain resolved given AS the reason ('Nordics stopped - no more pain') is still no stop for pain;
- a stop verb does not negate its own cause: a reasonCode that is a sentence ('Nordics stopped due to pain')
  gives pain as the reason, and what follows 'due to', '2/2', 'because of' after a stop is affirmed.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cds_service import create_app
from fhir_mappings.terminology import concept_set
from fhir_mappings.therapy_stops import says_stop, stopped_for_pain, stops_therapy
from tests import builders as b

FIXTURES = Path(__file__).parent / "fixtures" / "hooks"
ECC = "eccentric-strengthening"
HIP = "hip-trunk-strengthening"


@pytest.mark.parametrize(
    ("text", "eccentric", "hip_trunk"),
    [
        # a stop before a list: every item is stopped
        ("Stopped Nordics, bridges, RDLs", False, False),
        ("D/C'd NHE, glute bridges and planks", False, False),
        ("Hold Nordic curls, RDLs, bridges", False, False),
        ("Discontinue Nordic hamstring curls, side planks, single leg bridges", False, False),
        ("Ceased: Nordics, bridges, planks", False, False),
        ("stop NHE, SL bridges & side planks", False, False),
        ("DC'd Nordics, RDLs, glute bridges due to pain", False, False),
        ("Pause Nordics, copenhagen planks + bridges", False, False),
        ("D/C Nordics, bridges and RDLs 2/2 pain", False, False),
        ("Stopped due to pain: Nordics, bridges, RDLs", False, False),
        ("D/C'd 2/2 pain - Nordics, bridges", False, False),
        ("Avoid Nordics, bridges, RDLs for now", False, False),
        # an item with a predicate, dose or '-ed' word of its own: a clause, kept
        ("Stopped Nordics, continue bridges and RDLs", False, True),
        ("Stopped Nordics, bridges and RDLs continue", False, True),
        ("D/C'd Nordics, bridges 3x10, RDLs 3x8", False, True),
        ("Hold Nordics, start bridges and side planks", False, True),
        ("Stopped Nordics, bridges fine", False, True),
        ("Stop sprinting, Nordics ok", True, False),
        ("Stop sprinting, Nordic curls 3x5", True, False),
        ("Stop sprinting, Nordics progressed", True, False),
        ("No sprinting, Nordics continue", True, False),
        ("avoid stretching into pain, Nordics 3x5", True, False),
        # a sentence end or a semicolon ends the stop
        ("Stopped Nordics. Bridges, RDLs", False, True),
        ("Stopped Nordics; bridges, RDLs as tolerated", False, True),
    ],
)
def test_a_stop_before_a_list_stops_every_item(text: str, eccentric: bool, hip_trunk: bool) -> None:
    assert (concept_set(ECC).has_text(text), concept_set(HIP).has_text(text)) == (eccentric, hip_trunk)


@pytest.mark.parametrize(
    "note",
    [
        "Stopped due to pain, now resolved",
        "Nordics d/c'd 2/2 pain, which has since settled",
        "held for pain x1 wk - pain now resolved",
        "PT d/c'd due to pain, now resolved",
        "D/C PT d/t increased hamstring pain, now resolved",
        "Discontinued because of pain - now resolved, back at training",
        "Nordics stopped for soreness; soreness now resolved",
        "Stopped 2/2 pain, pain has since settled",
        "PT ceased d/t pain, now pain-free",
        "Physio stopped due to pain (now resolved)",
    ],
)
def test_a_stop_for_pain_stays_one_when_the_pain_resolves_later(note: str) -> None:
    order = b.stop_order(note=note)
    assert (says_stop(order), stopped_for_pain(order), stops_therapy(order)) == (True, True, True)


@pytest.mark.parametrize(
    ("note", "therapy_stop"),
    [
        # pain resolved given as the reason: a stop, not for pain (a PT draft naming an exercise: no therapy stop)
        ("Nordics stopped - no more pain", False),
        ("PT discontinued, pain resolved, goals met", True),
        ("D/C PT, pain now resolved", True),
        ("Discharged - pain resolved, goals met", True),
        ("Stopped, pain-free now", True),
        ("pain resolved so PT d/c'd", True),
    ],
)
def test_pain_resolved_as_the_reason_is_still_no_stop_for_pain(note: str, therapy_stop: bool) -> None:
    order = b.stop_order(note=note)
    assert (says_stop(order), stopped_for_pain(order), stops_therapy(order)) == (True, False, therapy_stop)


@pytest.mark.parametrize(
    "text",
    ["Bridges held 30 s x 5", "Single leg bridge hold 30 s, Nordics 3x5", "PT for hamstring pain, 2x/wk"],
)
def test_held_is_a_stop_only_with_the_reason_it_gives(text: str) -> None:
    assert not says_stop(b.stop_order(note=text))


@pytest.mark.parametrize(
    ("reason", "for_pain"),
    [
        # a sentence stating pain as the cause of a stop
        ("Nordics stopped due to pain", True),
        ("exercise discontinued because of increased pain", True),
        ("Stopped d/t hamstring pain", True),
        ("D/C'd 2/2 increased posterior thigh pain", True),
        ("PT ceased secondary to pain", True),
        ("Held owing to discomfort", True),
        ("Stopped as a result of soreness", True),
        ("Nordics stopped due to pain, now resolved", True),
        # pain resolved, absent or no worse; no pain at all
        ("Pain resolved", False),
        ("Stopped, pain now resolved", False),
        ("Discontinued - no pain", False),
        ("Goals met", False),
        ("Stopped - pain-free", False),
        ("Completed, no increase in pain", False),
        ("Hamstring pain, now resolved", False),
    ],
)
def test_a_reason_code_sentence_giving_pain_as_the_cause_is_a_stop_for_pain(reason: str, for_pain: bool) -> None:
    assert stopped_for_pain(b.stop_order(note="D/C PT", reason=reason)) is for_pain


@pytest.mark.parametrize(
    ("concept", "text", "named"),
    [
        # the cause of a stop is affirmed
        ("pain-or-intolerance", "Nordics stopped due to pain", True),
        ("pain-or-intolerance", "d/c'd 2/2 increased pain", True),
        ("hamstring-injury", "Exercise discontinued 2/2 hamstring strain", True),
        ("sport-movement-pain", "stopped due to pain with sprinting", True),
        ("eccentric-strengthening", "Sprinting stopped due to Nordics soreness", True),
        # what the stop stops is still stopped, before its cause or listed after a mark
        ("eccentric-strengthening", "Stopped Nordic curls due to pain", False),
        ("eccentric-strengthening", "Stopped due to pain: Nordics", False),
        ("eccentric-strengthening", "Stopped due to pain - Nordics and RDLs", False),
        ("pain-or-intolerance", "Stop. Pain resolved", False),
    ],
)
def test_a_stop_verb_does_not_negate_its_own_cause(concept: str, text: str, named: bool) -> None:
    assert concept_set(concept).has_text(text) is named


def _summaries(settings: dict[str, Any], fixture: str) -> list[str]:
    scenario = json.loads((FIXTURES / f"{fixture}.json").read_text(encoding="utf-8"))
    client = create_app(settings, today=lambda: date.fromisoformat(scenario["asOf"])).test_client()
    cards = client.post(f"/cds-services/{scenario['service']}", json=scenario["request"]).get_json()["cards"]
    return [c["summary"] for c in cards]


@pytest.mark.parametrize(
    "fixture",
    ["ham07-dc-pt-reason-code-nordics-stopped-due-to-pain-order-sign",
     "ham07-physio-draft-stopped-due-to-pain-now-resolved-order-sign",
     "ham07-completed-held-for-pain-x1-wk-pain-now-resolved-patient-view"],
)
def test_the_card_says_stopped_because_of_pain(settings: dict[str, Any], fixture: str) -> None:
    assert _summaries(settings, fixture) == ["Physical therapy stopped because of pain or intolerance before 3 "
                                             "months of rehabilitation; consider resuming at a reduced load."]
