"""Population gate: young to middle-aged adults with a current hamstring condition.

A hamstring condition is current when it has an active clinical status, is an encounter diagnosis
without one dated within `[population] encounter_diagnosis_days`, or is the reason given by a draft or
active physical-therapy order (fhir_mappings/conditions.py, order_reasons.py decide which count).

No card is shown outside it; when the data needed to decide is missing (no birth date), no card
rather than a guess.
"""

from __future__ import annotations

from cards.config import Population
from cards.facts import ClinicalFacts


def in_population(facts: ClinicalFacts, population: Population) -> bool:
    if facts.age_years is None:
        return False
    if not population.min_age_years <= facts.age_years <= population.max_age_years:
        return False
    return bool(facts.hamstring_injuries)
