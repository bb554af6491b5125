"""A referral or plan made conditional without the word 'if' is not one made: 'provided no improvement', 'in the
event of no progress', 'only when no better', 'in case of no progress', and 'refer if fails to progress' (ConText's
'unable to' matched 'fails to' and the condition was lost). HYPOTHETICAL rules in the rules file; things done
stay done ('HEP provided', 'Referred when seen today')."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from fhir_mappings.escalation import is_conditional
from tests import builders as b
from tests.test_reading_adversarial_sixth import ago, fired, flat_pain, recent_prom, view


@pytest.mark.parametrize(("text", "conditional"), [
    ("refer if fails to progress", True),
    ("Ortho if pt fails to improve by week 6", True),
    ("Refer provided no improvement by week 6", True),
    ("Surgical opinion providing symptoms persist", True),
    ("Refer only when no better after 3 weeks", True),
    ("Ortho referral in the event of no progress", True),
    ("Refer in case of no progress", True),
    ("Surgical review only once rehab has failed", True),
    # done, not conditional
    ("Referred today, HEP provided", False),
    ("Referred when seen today", False),
    ("Referral sent: fails to progress despite 8 weeks of rehab", False),
    ("Education provided; referred to ortho", False),
])
def test_a_condition_without_if_makes_a_referral_conditional(text: str, conditional: bool) -> None:
    assert is_conditional({"note": [{"text": text}]}) is conditional, text


@pytest.mark.parametrize(("text", "fires"), [
    ("Refer if fails to progress", True),
    ("Ortho provided no improvement by next review", True),
    ("Referred today, HEP provided", False),
])
def test_ham10_reads_the_condition_on_a_coded_referral(client: FlaskClient, text: str, fires: bool) -> None:
    ref = {**b.referral(authored=ago(5)), "note": [{"text": text}]}
    assert fired(client, view(recent_prom(), *flat_pain(), days=28, requests=(ref,))) == (
        {"HAM-10"} if fires else set())


@pytest.mark.parametrize("text", [
    "Nordic curls 3x5, in case of pain reduce reps",
    "Nordics 3x5; in case of flare reduce load",
    "Eccentric Nordic curls 3x6 twice weekly. In the event of pain, drop to 2 sets",
])
def test_a_condition_written_after_an_exercise_does_not_make_the_exercise_conditional(text: str) -> None:
    from fhir_mappings.terminology import concept_set

    assert concept_set("eccentric-strengthening").has_text(text)
