"""A fourth adversarial clinical pass over how records are read: one test per class of error, on the mapper
that makes it. Whole requests for each case are scenario fixtures (tests/fixtures/hooks/: 'Nordic curls,
bridges, RDLs stopped', 'Eccentric calf and hamstring raises' ...).

- a stop written after a list of three or more short items reaches its first item, with commas only or a
  final 'and'/'&' (HAM-03, HAM-04); words before a comma with a status or dose of their own stay a clause;
- eccentric work for a muscle listed with the hamstring under one exercise ('eccentric calf and hamstring
  raises') is eccentric hamstring strengthening (HAM-03); 'eccentric calf raises and hamstring stretches' is not.
"""

from __future__ import annotations

import pytest

from fhir_mappings.terminology import concept_set

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
