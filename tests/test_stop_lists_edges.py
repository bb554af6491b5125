"""Edges of a stop reaching a list (HAM-03, HAM-04): one test per class of error, on the reading that makes
it. Whole requests for each case are scenario fixtures (tests/fixtures/hooks/: 'Stopped weighted Nordics,
bridges, RDLs', 'Hold Nordics, glute bridges x1 wk', 'Held Nordics, bridges, RDLs', 'D/Ced Nordics ...').

- an '-ed' adjective before an exercise's name ('weighted Nordics', 'banded bridges') is no status of the
  item, so it does not cut the list; a participle AFTER an item is its status ('Nordics progressed, bridges
  stopped' keeps the Nordics);
- a duration of a day or longer closing the last item of a list a stop is written before is the stop's
  ('Hold Nordics, bridges x1 wk'); a dose there is the item's own prescription ('D/C Nordics, bridges 3x10'
  keeps the bridges), as after a clause boundary ('Nordics stopped, bridges 3x10');
- 'held' written before a list reaches every item ('Held Nordics, bridges', 'Held: Nordics, RDLs'); an
  isometric hold for seconds or minutes is dosing ('bridge held for 30 s then Nordics');
- 'D/Ced', 'DCed', 'd/c-ed', 'DC-ed' are discontinued, before or after what they stop.
"""

from __future__ import annotations

import pytest

from fhir_mappings.terminology import concept_set
from fhir_mappings.therapy_stops import says_stop, stopped_for_pain, stops_therapy
from tests import builders as b

ECC = "eccentric-strengthening"
HIP = "hip-trunk-strengthening"


def _named(text: str) -> tuple[bool, bool]:
    return concept_set(ECC).has_text(text), concept_set(HIP).has_text(text)


@pytest.mark.parametrize(
    ("text", "eccentric", "hip_trunk"),
    [
        # an '-ed' adjective before the exercise: the list goes on, every item is stopped
        ("Stopped weighted Nordics, bridges, RDLs", False, False),
        ("Nordics, weighted bridges, RDLs stopped", False, False),
        ("assisted Nordics, banded bridges d/c'd", False, False),
        ("D/C'd loaded Nordic curls, elevated glute bridges and side planks", False, False),
        ("Ceased assisted NHE, weighted single leg bridges", False, False),
        ("Discontinue banded Nordics, weighted bridges, planks", False, False),
        ("Nordic curls, banded glute bridges, weighted side planks all stopped", False, False),
        # a participle after the item is its status: a clause of its own, kept
        ("Nordic curls continued, bridges, RDLs stopped", True, False),
        ("Nordics progressed, bridges stopped", True, False),
        ("Nordics progressed today, bridges, RDLs stopped", True, False),
        ("Nordics reduced to bodyweight, bridges, planks stopped", True, False),
        ("Stopped Nordics, bridges progressed", False, True),
        ("Stop sprinting, weighted Nordics 3x5", True, False),
    ],
)
def test_an_adjective_before_an_exercise_is_no_status_of_its_own(text: str, eccentric: bool,
                                                                  hip_trunk: bool) -> None:
    assert _named(text) == (eccentric, hip_trunk)


@pytest.mark.parametrize(
    ("text", "eccentric", "hip_trunk"),
    [
        # how long the stop lasts, after the list as a whole: every item is stopped
        ("Hold Nordics, bridges x1 wk", False, False),
        ("Stop Nordic curls, glute bridges for 2 weeks", False, False),
        ("Pause Nordic curls, glute bridges x 2/52", False, False),
        ("D/C'd NHE, side planks for the next 2 weeks", False, False),
        ("Hold Nordics, bridges and planks x 1-2 wks", False, False),
        ("Stopped Nordics, glute bridges x10 days due to pain", False, False),
        ("Avoid Nordics, bridges for 1 month", False, False),
        # a dose is the item's own prescription; a duration inside the list times its own item
        ("D/C Nordics, bridges 3x10", False, True),
        ("Nordics stopped, bridges 3x10", False, True),
        ("Stop Nordics x2 wks, bridges 3x10", False, True),
        ("Hold Nordics, side plank 30 s", False, True),
        ("Stop sprinting, Nordics 3x5 for 6 weeks", True, False),
        ("Stop Nordics, bridges x1 wk, planks 3x30s", False, True),
    ],
)
def test_a_duration_closing_the_list_is_the_stops_own(text: str, eccentric: bool, hip_trunk: bool) -> None:
    assert _named(text) == (eccentric, hip_trunk)


@pytest.mark.parametrize(
    ("text", "eccentric", "hip_trunk"),
    [
        # 'held' before a list: every item is held
        ("Held Nordics, bridges", False, False),
        ("Held: Nordics, RDLs", False, False),
        ("Held NHE, glute bridges and side planks due to pain", False, False),
        ("Pain 6/10 so held Nordic curls, bridges", False, False),
        ("Held Nordic curls, SL bridges x1 wk", False, False),
        ("Nordics, bridges held", False, False),
        # an isometric hold for a time is dosing; 'held' with a word of its own reaches nothing after it
        ("bridge held for 30 s then Nordics", True, False),
        ("hold 10 s x 10 reps, Nordics 3x5", True, False),
        ("Glute bridges held for 30 s, Nordics 3x5", True, True),
        ("Side plank held for 1 min, Nordic curls 3x5", True, True),
        ("Glute bridges held for 30s, then Nordics", True, True),
        ("Nordics held for 2 weeks then glute bridges", False, True),
        ("Glute bridges held, Nordics 3x5", True, False),
    ],
)
def test_held_before_a_list_holds_every_item(text: str, eccentric: bool, hip_trunk: bool) -> None:
    assert _named(text) == (eccentric, hip_trunk)


@pytest.mark.parametrize("text", ["Held Nordics, bridges", "Glute bridge held for 30 s then Nordics"])
def test_held_exercises_are_no_therapy_stop(text: str) -> None:
    assert not says_stop(b.stop_order(note=text))


@pytest.mark.parametrize(
    ("text", "eccentric", "hip_trunk"),
    [
        ("D/Ced Nordics, bridges", False, False),
        ("Nordics, glute bridges D/Ced", False, False),
        ("DCed NHE and side planks", False, False),
        ("d/c-ed Nordics, bridges", False, False),
        ("Nordic curls, bridges DC-ed due to pain", False, False),
        ("Nordics and glute bridges d/c'ed", False, False),
        ("Nordics D/C-ed", False, False),
        # an object of its own, a clause after it: kept
        ("D/Ced stretching, Nordics 3x5", True, False),
        ("Sprinting DC-ed, Nordics continue", True, False),
    ],
)
def test_spellings_of_dced_stop(text: str, eccentric: bool, hip_trunk: bool) -> None:
    assert _named(text) == (eccentric, hip_trunk)


@pytest.mark.parametrize("note", ["PT D/Ced due to pain", "Physio DC-ed 2/2 pain", "D/C-ed d/t hamstring pain",
                                  "Physiotherapy DCed because of pain"])
def test_spellings_of_dced_stop_therapy_for_pain(note: str) -> None:
    order = b.stop_order(note=note)
    assert (says_stop(order), stopped_for_pain(order), stops_therapy(order)) == (True, True, True)
