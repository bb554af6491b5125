"""Observation -> 0-10 pain ratings, patient-reported outcome scores and hamstring strength symmetry.

Selection is done on the raw JSON first (code in a concept set, status, effective date within
[since, as_of]), so a prefetch of thousands of Observations validates with fhir.resources only the
few the criteria read. Values come from valueInteger or valueQuantity.value. A pain value outside
0-10, or a strength value not in percent, is skipped: no card rather than a guess.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from fhir.resources.R4B.observation import Observation

from cards.facts import Measurement, OutcomeScore, PainScore
from fhir_mappings.parse import parse
from fhir_mappings.terminology import ConceptSet, concept_set
from fhir_mappings.timeutil import to_date

# Not (or no longer) a result: cancelled, entered in error, or registered but not yet available.
UNUSABLE_STATUS = {"cancelled", "entered-in-error", "registered"}
PERCENT_UNITS = {"%", "percent", "pct"}


@dataclass(frozen=True)
class Measurements:
    pain: tuple[PainScore, ...] = ()
    outcomes: tuple[OutcomeScore, ...] = ()
    strength: tuple[Measurement, ...] = ()


def measurements(raw_observations: Iterable[dict[str, Any]], since: date, as_of: date,
                 subject_ref: str) -> Measurements:
    """The pain, outcome and strength Observations dated from `since` to `as_of`, oldest first."""
    kinds = {"pain": concept_set("pain-score"), "outcome": concept_set("outcome-measure"),
             "strength": concept_set("strength-symmetry")}
    selected: dict[str, list[tuple[str, dict[str, Any]]]] = {kind: [] for kind in kinds}
    for raw in raw_observations:
        kind = next((k for k, members in kinds.items() if members.matches_concept(raw.get("code"))), None)
        when = _effective(raw)
        if kind is None or raw.get("status") in UNUSABLE_STATUS or when is None:
            continue
        day = to_date(when)
        if day is not None and since <= day <= as_of:
            selected[kind].append((when, raw))
    return Measurements(
        pain=_read(selected["pain"], subject_ref, _pain),
        outcomes=_read(selected["outcome"], subject_ref, _outcome),
        strength=_read(selected["strength"], subject_ref, _strength),
    )


def _read(selected: list[tuple[str, dict[str, Any]]], subject_ref: str, reader: Any) -> tuple:
    out = []
    for when, raw in sorted(selected, key=lambda item: item[0]):
        observation = parse(raw, subject_ref)
        if isinstance(observation, Observation):
            value = reader(observation, raw, to_date(when))
            if value is not None:
                out.append(value)
    return tuple(out)


def _effective(raw: dict[str, Any]) -> str | None:
    """The clinically relevant time as an ISO string (sortable): effective[x], else issued."""
    period = raw.get("effectivePeriod")
    for value in (raw.get("effectiveDateTime"), raw.get("effectiveInstant"),
                  period.get("start") if isinstance(period, dict) else None, raw.get("issued")):
        if isinstance(value, str) and to_date(value) is not None:
            return value
    return None


def _number(observation: Observation) -> float | None:
    if observation.valueInteger is not None:
        return float(observation.valueInteger)
    quantity = observation.valueQuantity
    return float(quantity.value) if quantity is not None and quantity.value is not None else None


def _ref(observation: Observation) -> str:
    return f"Observation/{observation.id}"


def _pain(observation: Observation, raw: dict[str, Any], when: date) -> PainScore | None:
    value = _number(observation)
    if value is None or not 0 <= value <= 10:
        return None
    sport = concept_set("sport-movement-pain")
    notes = [n.get("text") for n in raw.get("note") or [] if isinstance(n, dict)]
    with_sport = (sport.matches_concept(raw.get("code")) or sport.matches_concept(raw.get("method"))
                  or any(sport.has_text(n) for n in notes if isinstance(n, str)))
    return PainScore(ref=_ref(observation), when=when, value=value, with_sport_movement=with_sport)


def _outcome(observation: Observation, raw: dict[str, Any], when: date) -> OutcomeScore:
    return OutcomeScore(ref=_ref(observation), when=when, value=_number(observation),
                        instrument=_instrument(raw.get("code") or {}, concept_set("outcome-measure")),
                        higher_is_better=not concept_set("outcome-lower-is-better").matches_concept(raw.get("code")))


def _strength(observation: Observation, raw: dict[str, Any], when: date) -> Measurement | None:
    quantity = observation.valueQuantity
    units = {(quantity.code or "").strip().lower(), (quantity.unit or "").strip().lower()} if quantity else set()
    value = _number(observation)
    if value is None or value < 0 or not units & PERCENT_UNITS:
        return None
    return Measurement(ref=_ref(observation), when=when, value=value)


def _instrument(code: dict[str, Any], members: ConceptSet) -> str:
    """One name per instrument, so scores can be compared: the coded display (or code), else the text."""
    codings = [c for c in code.get("coding") or [] if isinstance(c, dict)]
    for coding in codings:
        if members.has_code(coding.get("system"), coding.get("code")):
            return str(coding.get("display") or coding.get("code"))
    text = code.get("text")
    if isinstance(text, str) and text.strip():
        return text.strip()
    return next((str(c["display"]) for c in codings if members.has_text(c.get("display"))), "Outcome score")
