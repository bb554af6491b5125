"""Each side's strength (two Observations, right and left) -> the injured side's limb symmetry in percent.

A NordBord or dynamometer test is often charted as one Observation per side, in N, N·m or kg, with the side
in bodySite (24028007 right, 7771000 left: terminology.md) or in the code's text ('R'/'L', 'Right', 'Lt':
limb-side-right, limb-side-left). When the same measure (the same codes, else the same text but for the side)
in the same unit was taken on both sides on the same day, once each, and the injured side is known, the
symmetry is injured / uninjured x 100, dated that day and referring to the injured side's Observation.

The injured side is the one side the current hamstring injuries name: a Condition's bodySite (laterality or
text), its ICD-10-CM code's 6th character (1 right, 2 left: terminology.md 1a) or its text. No side, two sides,
a side measured twice that day, or units that differ: no symmetry (no card rather than a guess).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from fhir.resources.R4B.observation import Observation

from cards.facts import HamstringInjury, Measurement
from fhir_mappings.observation_values import number
from fhir_mappings.observations import PERCENT_UNITS, RATIO_UNITS, UNUSABLE_STATUS, effective, is_other_site
from fhir_mappings.record import Read
from fhir_mappings.terminology import ConceptSet, concept_set
from fhir_mappings.timeutil import to_date

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD_SIDE = {"1": "right", "2": "left"}  # terminology.md 1a: laterality in the 6th character
ICD_HAMSTRING_PREFIXES = ("S763", "S3261")  # hamstring strain/laceration (S76.3-), ischial avulsion (S32.61-)
SIDES = ("right", "left")


def injured_side(injuries: Sequence[HamstringInjury], conditions: Mapping[str, dict[str, Any]]) -> str | None:
    """'right' or 'left' when the current hamstring injuries on record name one side only, else None."""
    found: set[str] = set()
    for injury in injuries:
        raw = conditions.get(injury.ref or "")
        if raw is None:
            continue
        sites = [s for s in _listed(raw.get("bodySite")) if isinstance(s, dict)]
        found |= {side for concept in [*sites, raw.get("code")] for side in _sides(concept)}
        code = raw.get("code")
        codings = code.get("coding") if isinstance(code, dict) else None
        for coding in codings if isinstance(codings, list) else []:
            if not isinstance(coding, dict):  # a vendor's string or list where a Coding belongs: not read
                continue
            value = str(coding.get("code") or "").replace(".", "").upper()
            if coding.get("system") == ICD10CM and value.startswith(ICD_HAMSTRING_PREFIXES) and len(value) >= 6:
                found |= {ICD_SIDE[value[5]]} if value[5] in ICD_SIDE else set()
    return found.pop() if len(found) == 1 else None


def side_symmetry(observations: Iterable[Read[Observation]], since: date, as_of: date,
                  injured: str | None) -> tuple[Measurement, ...]:
    """The symmetries worked out from each side's strength (see the module docstring), oldest first."""
    if injured is None:
        return ()
    strength = concept_set("strength-symmetry")
    groups: dict[tuple[date, Any, str], dict[str, list[tuple[Read[Observation], float]]]] = defaultdict(
        lambda: defaultdict(list))
    for read in observations:
        raw = read.json
        quantity = raw.get("valueQuantity")
        if raw.get("status") in UNUSABLE_STATUS or raw.get("component") or not isinstance(quantity, dict):
            continue
        unit = str(quantity.get("code") or quantity.get("unit") or "").strip().lower()
        when = effective(raw)
        day = to_date(when) if when else None
        if not unit or unit in PERCENT_UNITS | RATIO_UNITS or day is None or not since <= day <= as_of:
            continue
        if not strength.matches_concept(raw.get("code")) or is_other_site(raw):
            continue
        side = _observation_side(raw)
        model = read.model_as(Observation)
        value = number(model) if side is not None and model is not None else None
        if side is not None and value is not None and value >= 0:
            groups[(day, _measure(raw.get("code")), unit)][side].append((read, value))
    found = []
    for (day, _, _), by_side in groups.items():
        mine, other = by_side.get(injured, []), by_side.get(_other(injured), [])
        if len(mine) == 1 and len(other) == 1 and other[0][1] > 0:
            ref = f"Observation/{mine[0][0].json.get('id')}"
            found.append(Measurement(ref=ref, when=day, value=round(mine[0][1] / other[0][1] * 100, 6)))
    return tuple(sorted(found, key=lambda m: m.when))


def _other(side: str) -> str:
    return SIDES[1 - SIDES.index(side)]


def _sets() -> dict[str, ConceptSet]:
    return {side: concept_set(f"limb-side-{side}") for side in SIDES}


def _listed(value: Any) -> list[Any]:
    """A repeated element as a list; anything else a vendor sends there (an object, a string) as none."""
    return value if isinstance(value, list) else []


def _sides(concept: Any) -> set[str]:
    """The sides a CodeableConcept names: a laterality code, else its text or displays."""
    if not isinstance(concept, dict):
        return set()
    codings = [c for c in _listed(concept.get("coding")) if isinstance(c, dict)]
    texts = [t for t in [concept.get("text"), *(c.get("display") for c in codings)] if isinstance(t, str)]
    sides = set()
    for side, members in _sets().items():
        if any(members.has_code(c.get("system"), c.get("code")) for c in codings) or any(
                members.occurs_in(t) for t in texts):
            sides.add(side)
    return sides


def _observation_side(raw: dict[str, Any]) -> str | None:
    """The one side an Observation is of: its bodySite, else its code's text."""
    code = raw.get("code")
    sides = _sides(raw.get("bodySite")) or _sides({"text": code.get("text") if isinstance(code, dict) else None})
    return sides.pop() if len(sides) == 1 else None


def _measure(code: Any) -> Any:
    """What is measured, the same for both sides: the codes, else the text without its side words."""
    if not isinstance(code, dict):
        return None
    codings = tuple(sorted((str(c.get("system")), str(c.get("code"))) for c in _listed(code.get("coding"))
                           if isinstance(c, dict) and c.get("code")))
    if codings:
        return codings
    text = str(code.get("text") or "").lower() + " "
    for members in _sets().values():
        concept = members._text_concept  # its phrases as one word-start regex
        text = concept.pattern.sub(" ", text) if concept is not None else text
    return re.sub(r"\W+", " ", text).strip()
