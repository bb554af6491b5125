"""Observation -> 0-10 pain ratings, patient-reported outcome scores and hamstring strength symmetry.

Selection is done on the raw JSON first (code in a concept set, status, effective date within [since, as_of]),
so a prefetch of thousands of Observations validates with fhir.resources only the few the criteria read. A
measurement is the Observation itself or, in a panel, the first component of each kind; of a panel's pain
components, each is read and the worst is the panel's rating ('current 3', 'worst in 24 h 8': 8). Values come
from valueInteger, valueQuantity.value or a number in valueString ("8", "8/10", "85 %"; with words around
one score: "NPRS 7/10", "8/10 (worst)"; a range "7-8/10" is read at its upper bound for pain, not at all for
strength; two scores, "8/10, 3/10 at rest", are not read). A pain rating on a 100-mm visual analogue scale
(unit mm) is read out of 10. A pain value outside 0-10 is skipped, and so is a pain score recorded for another
body site (other-body-site, on bodySite, else on the code's text, unless the site is in hamstring-region).
Strength symmetry is a percent, or a ratio (unit `1`, or a valueRatio of the injured side to the other) read
as a percent; a pain score sent as a valueRatio counts when out of 10. No card rather than a guess.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from fhir.resources.R4B.observation import Observation

from cards.facts import Measurement, OutcomeScore, PainScore
from fhir_mappings.observation_values import number as _number
from fhir_mappings.observation_values import pain_number as _pain_number
from fhir_mappings.observation_values import ratio as _ratio
from fhir_mappings.observation_values import score_in_text as _score_in_text
from fhir_mappings.record import Read
from fhir_mappings.terminology import ConceptSet, concept_set
from fhir_mappings.timeutil import to_date

# Not (or no longer) a result: cancelled, entered in error, or registered but not yet available.
UNUSABLE_STATUS = {"cancelled", "entered-in-error", "registered"}
PERCENT_UNITS = {"%", "percent", "pct"}
RATIO_UNITS = {"1", "{ratio}", "ratio"}  # UCUM's dimensionless unit: 0.85 is 85 %
MAX_SYMMETRY_RATIO = 3.0  # a "ratio" above this is a percent sent with the wrong unit: unusable


@dataclass(frozen=True)
class Measurements:
    pain: tuple[PainScore, ...] = ()
    outcomes: tuple[OutcomeScore, ...] = ()
    strength: tuple[Measurement, ...] = ()


# A selected measurement: when, the Observation, and which components hold it (None: itself).
Components = tuple[int, ...] | None
Selected = tuple[str, Read[Observation], Components]


def measurements(observations: Iterable[Read[Observation]], since: date, as_of: date,
                 extra_outcomes: Iterable[OutcomeScore] = ()) -> Measurements:
    """The pain, outcome and strength Observations dated from `since` to `as_of`, oldest first;
    `extra_outcomes` (read from QuestionnaireResponses) join the outcome scores in the same window."""
    kinds = {"pain": concept_set("pain-score"), "outcome": concept_set("outcome-measure"),
             "strength": concept_set("strength-symmetry")}
    selected: dict[str, list[Selected]] = {kind: [] for kind in kinds}
    for read in observations:
        raw = read.json
        if raw.get("status") in UNUSABLE_STATUS:
            continue
        found = _kinds(raw, kinds)
        when = effective(raw) if found else None
        day = to_date(when) if when is not None else None
        if when is None or day is None or not since <= day <= as_of:
            continue
        for kind, component in found.items():
            selected[kind].append((when, read, component))
    outcomes = _read(selected["outcome"], _outcome)
    extra = tuple(o for o in extra_outcomes if since <= o.when <= as_of)
    return Measurements(
        pain=_read(selected["pain"], _pain),
        outcomes=tuple(sorted(outcomes + extra, key=lambda o: o.when)) if extra else outcomes,
        strength=_read(selected["strength"], _strength),
    )


def _kinds(raw: dict[str, Any], kinds: dict[str, ConceptSet]) -> dict[str, Components]:
    """Each kind of measurement the Observation holds: its own code (with its own value, or no component
    of that kind), else the components coded so: every pain component ('current pain 3', 'worst pain last
    24 h 8'), the first of the other kinds."""
    own = next((k for k, members in kinds.items() if members.matches_concept(raw.get("code"))), None)
    has_value = any(member.startswith("value") for member in raw)
    found: dict[str, Components] = {own: None} if own is not None and has_value else {}
    components = raw.get("component")
    for index, component in enumerate(components if isinstance(components, list) else []):
        if not isinstance(component, dict):
            continue
        for kind, members in kinds.items():
            if members.matches_concept(component.get("code")):
                held = found.get(kind, ())
                if kind not in found or (kind == "pain" and held is not None):
                    found[kind] = (*(held or ()), index)
    if own is not None and own not in found:  # a panel without a score (an outcome panel counts as one)
        found[own] = None
    return found


def _read(selected: list[Selected], reader: Any) -> tuple:
    """Each selected measurement's value, read from the Observation's model (the element: itself or the
    component), with the element's JSON for its code. Of several pain components of one panel, the worst
    is the panel's one rating (no double count: a panel's 'current 3' is no earlier rating for a rise)."""
    out = []
    for when, read, components in sorted(selected, key=lambda item: item[0]):
        observation = read.model_as(Observation)
        if observation is None:
            continue
        parts = observation.component or []
        values = []
        for component in (None,) if components is None else components:
            element = observation if component is None else parts[component] if component < len(parts) else None
            raw_element = read.json if component is None else read.json["component"][component]
            value = reader(read, to_date(when), element, raw_element) if element is not None else None
            if value is not None:
                values.append(value)
        if values:
            out.append(max(values, key=lambda v: -math.inf if v.value is None else v.value))
    return tuple(out)


def effective(raw: dict[str, Any]) -> str | None:
    """The clinically relevant time as an ISO string (sortable): effective[x], else issued."""
    period = raw.get("effectivePeriod")
    for value in (raw.get("effectiveDateTime"), raw.get("effectiveInstant"),
                  period.get("start") if isinstance(period, dict) else None, raw.get("issued")):
        if isinstance(value, str) and to_date(value) is not None:
            return value
    return None


def _ref(read: Read[Observation]) -> str:
    return f"Observation/{read.json.get('id')}"


def is_other_site(raw: dict[str, Any]) -> bool:
    """The Observation is about a body site other than the hamstring region: its bodySite, else its code's text,
    else, when neither names a site, its notes ('Pain in left shoulder after fall'), unless a note names the
    hamstring region too."""
    region, other = concept_set("hamstring-region"), concept_set("other-body-site")
    site = raw.get("bodySite")
    concept = site if isinstance(site, dict) else raw.get("code")
    if not isinstance(concept, dict) or region.matches_concept(concept):
        return False
    if other.matches_concept(concept) or isinstance(site, dict):
        return other.matches_concept(concept)
    notes = [n.get("text") for n in raw.get("note") or [] if isinstance(n, dict)]
    return other.mentioned_in(notes) and not region.mentioned_in(notes)


def _pain(read: Read[Observation], when: date, element: Any, raw_element: dict[str, Any]) -> PainScore | None:
    raw = read.json
    value = _pain_number(element)
    if value is None or not 0 <= value <= 10 or is_other_site(raw):
        return None
    sport = concept_set("sport-movement-pain")
    notes = [n.get("text") for n in raw.get("note") or [] if isinstance(n, dict)]
    notes.append(raw_element.get("valueString"))  # '7/10 with sprinting'
    with_sport = (sport.matches_concept(raw.get("code")) or sport.matches_concept(raw_element.get("code"))
                  or sport.matches_concept(raw.get("method")) or any(sport.has_text(n) for n in notes
                                                                     if isinstance(n, str)))
    return PainScore(ref=_ref(read), when=when, value=value, with_sport_movement=with_sport)


def _outcome(read: Read[Observation], when: date, element: Any, raw_element: dict[str, Any]) -> OutcomeScore:
    found = raw_element.get("code")
    code: dict[str, Any] = found if isinstance(found, dict) else {}
    return OutcomeScore(ref=_ref(read), when=when, value=_number(element),
                        instrument=instrument_name(code, concept_set("outcome-measure")),
                        higher_is_better=not concept_set("outcome-lower-is-better").matches_concept(code))


def _strength(read: Read[Observation], when: date, element: Any, raw_element: dict[str, Any]) -> Measurement | None:
    quantity = element.valueQuantity
    units = {(quantity.code or "").strip().lower(), (quantity.unit or "").strip().lower()} if quantity else set()
    ratio = _ratio(element)  # injured side : other side (180 N : 230 N)
    value = ratio[0] / ratio[1] if ratio is not None else _number(element)
    text = element.valueString if isinstance(element.valueString, str) else ""
    if value is None and text.strip().endswith("%"):  # 'LSI 82%'
        value = _score_in_text(text, ranges=False)
    if value is None or is_other_site(read.json):  # quadriceps or hip abductor symmetry is not hamstring strength
        return None
    if ratio is not None or (units & RATIO_UNITS and not units & PERCENT_UNITS):
        if value > MAX_SYMMETRY_RATIO:
            return None
        value *= 100
    elif not units & PERCENT_UNITS and not text.strip().endswith("%"):
        return None
    return Measurement(ref=_ref(read), when=when, value=round(value, 6))


def instrument_name(code: dict[str, Any], members: ConceptSet) -> str:
    """One name per instrument, so scores can be compared: the coded display (or code), else the text."""
    codings = [c for c in code.get("coding") or [] if isinstance(c, dict)]
    for coding in codings:
        if members.has_code(coding.get("system"), coding.get("code")):
            return str(coding.get("display") or coding.get("code"))
    text = code.get("text")
    if isinstance(text, str) and text.strip():
        return text.strip()
    return next((str(c["display"]) for c in codings if members.has_text(c.get("display"))), "Outcome score")
