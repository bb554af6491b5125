"""A third adversarial clinical pass over how records are read: one test per class of error, on the mapper
that makes it. Whole requests for each case are scenario fixtures (tests/fixtures/hooks/: 'Eccentric calf
raises 3x15', 'Nordic curls, RDLs stopped', 'ibuprofen 400 mg, 1 tab TDS, #42' ...).

- eccentric work named for another muscle or tendon (calf, Achilles heel drops, quadriceps, wrist) is not
  eccentric hamstring strengthening; a bare 'eccentric strengthening/loading' in a hamstring PT order is (the
  order's problem is the hamstring, and it is the guideline's own wording);
- the first items of a list stopped together without 'and' ('Nordic curls, RDLs stopped') are stopped;
  words before a comma with a status or dose of their own are still a clause of their own;
- an analgesic's dose, frequency or dispensed quantity stated only in the sig's words ('1 tab TDS', '#42',
  'x 30 tabs') gives its course from the quantity (dose forms counted, '400 mg' is a strength);
- an earlier course's length in the same text ('previous 2-week course finished; now 5 days') is not this
  order's, and a fix leaves it as written.
"""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B.medicationrequest import MedicationRequest

from fhir_mappings.analgesics import course_days
from fhir_mappings.course_edits import set_course_days
from fhir_mappings.stated_durations import longest_stated_days, shortened
from fhir_mappings.terminology import concept_set

ECC = "eccentric-strengthening"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        # eccentric work for another muscle or tendon
        ("Eccentric calf raises 3x15", False),
        ("eccentric quad work", False),
        ("Alfredson eccentric heel drops", False),
        ("calf eccentrics 3x15", False),
        ("eccentric wrist extensions", False),
        ("Eccentric gastroc/soleus loading", False),
        # the hamstring's, or named beside another muscle's
        ("Eccentric calf raises, Nordic curls 3x5", True),
        ("Eccentric calf raises and Nordic curls", True),
        ("calf raises and Nordics", True),
        ("Nordics, calf raises", True),
        ("eccentric quads, Nordics 3x5", True),
        ("eccentric hamstring strengthening", True),
        ("eccentric biceps femoris loading", True),
        ("Nordic curls 3x5", True),
        ("Askling L-protocol", True),
        # bare eccentric work in a hamstring order is the hamstring's (see the module docstring)
        ("eccentric strengthening", True),
        ("Progressive eccentric loading 2x/wk", True),
    ],
)
def test_eccentric_work_for_another_muscle_is_not_hamstring_strengthening(text: str, named: bool) -> None:
    assert concept_set(ECC).has_text(text) is named


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Nordic curls, RDLs stopped", False),
        ("Nordic curls, RDLs held", False),
        ("Nordics/RDLs held", False),
        ("Nordics, RDLs d/c'd", False),
        ("Nordic curls, RDLs on hold", False),
        # a clause of its own before the comma: a status, a dose, a past participle
        ("Nordic curls continued, stretching stopped", True),
        ("Nordic curls 3x5, stretching ceased", True),
        ("Nordic curls progressed, running on hold", True),
        ("Nordic curls ongoing, RDLs stopped", True),
        ("No sprinting, Nordics continue", True),
        ("Sprinting stopped, Nordic curls started", True),
    ],
)
def test_a_list_stopped_without_and_stops_every_item(text: str, named: bool) -> None:
    assert concept_set(ECC).has_text(text) is named


def _ibuprofen(sig: str, dispensed: int | None = None) -> dict[str, Any]:
    order: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": "rx-1",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": "Patient/pat-1"},
        "medicationCodeableConcept": {"text": "Ibuprofen 400 mg tablet"},
        "dosageInstruction": [{"text": sig}],
    }
    if dispensed is not None:
        order["dispenseRequest"] = {
            "quantity": {
                "value": dispensed,
                "unit": "tablet",
                "code": "TAB",
                "system": "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm",
            }
        }
    return order


@pytest.mark.parametrize(
    ("sig", "dispensed", "days", "form"),
    [
        ("1 tab TDS", 42, 14.0, "quantity"),
        ("2 tabs bd", 28, 7.0, "quantity"),
        ("1 tab po tid prn", 30, 10.0, "quantity"),  # as needed: at most three a day, so at most ten days
        ("ibuprofen 400 mg, 1 tab TDS, #42", None, 14.0, "sig quantity"),
        ("1 tab po tid prn x 30 tabs", None, 10.0, "sig quantity"),
        ("1 tab BD, may increase to TDS, #42", None, 14.0, "sig quantity"),  # the most frequent: a maximum
        # not a count of doses: a strength, another form, a length in days
        ("400 mg TDS", 42, None, None),
        ("1 cap TDS", 42, None, None),
        ("1 tab TDS x 5 days", None, 5.0, "text"),
    ],
)
def test_an_analgesic_course_from_a_sig_stated_in_words(
    sig: str, dispensed: int | None, days: float | None, form: str | None
) -> None:
    assert course_days(MedicationRequest.model_validate(_ibuprofen(sig, dispensed))) == (days, form)


def test_the_fix_of_a_course_in_words_dispenses_what_the_shortened_course_takes() -> None:
    order = _ibuprofen("1 tab TDS", 42)
    assert set_course_days(order, MedicationRequest.model_validate(order), 7)
    assert order["dispenseRequest"]["quantity"]["value"] == 21


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("previous 2-week course finished; now 5 days", 5.0),
        ("Previous 2-week course finished, now 5 days", 5.0),
        ("Completed 2 weeks of naproxen last month; now 5 days", 5.0),
        ("Had a 14 day course in October. Now ibuprofen 400 mg TDS x 5 days", 5.0),
        ("s/p 3 week course, restart x 5 days", 5.0),
        ("1 tab TDS x 5 days, prior course 10 days", 5.0),
        # the current order's own length still counts, whatever else the text says
        ("Naproxen BD x 14 days (previous course helped)", 14.0),
        ("ibuprofen TDS x 10 days", 10.0),
        ("NWB for 2 weeks", 14.0),
        ("previous 2-week course finished", None),
    ],
)
def test_an_earlier_course_length_is_not_this_orders(text: str, days: float | None) -> None:
    assert longest_stated_days([text]) == days


def test_a_fix_leaves_an_earlier_course_length_as_written() -> None:
    assert shortened("previous 2-week course finished; now 10 days", 7, "7 days") == (
        "previous 2-week course finished; now 7 days",
        False,
    )
