"""Orders that stop physical therapy, and the reason they give (HAM-07).

A draft stops therapy when it revokes the PT order, names the therapy it stops however abbreviated ('D/C
PT', 'PT - discontinue', 'cancel remaining physio': concept set therapy-discontinuation), or is itself a
physical-therapy order that plans no sessions and says to stop ('D/C', 'discontinue': discontinuation-wording)
giving pain or intolerance as the reason, or naming nothing else the stop could be about (an exercise, an
activity, rest: 'Discontinue - goals met' stops the therapy, 'stop sprinting' does not). The reason is read
as stated ('d/t pain', 'not tolerating': stopped-for-pain), never from a bare pain word: 'pain-free' and 'PT
for hamstring pain' are no reason to stop, nor is pain resolved, absent or no worse ('Nordics stopped - no more
pain', 'PT discontinued, pain resolved, goals met': ConText's RESOLVED rules, assertion/context-rules.json).
A stop for pain stays one when the pain resolved later ('Stopped due to pain, now resolved', 'held for pain x1
wk - pain now resolved'), and a reasonCode written as a sentence states its reason ('Nordics stopped due to pain').
"""

from __future__ import annotations

from typing import Any

from fhir_mappings.order_text import is_physical_therapy, names, order_concepts, order_notes
from fhir_mappings.terminology import concept_set

STOPPED_STATUSES = {"revoked", "entered-in-error"}
# What else a stop word on a physical-therapy order may be about (its exercises, activities, rest, clearance).
STOP_OBJECT_SETS = ("eccentric-strengthening", "hip-trunk-strengthening", "motor-control", "sport-movement-pain",
                    "complete-rest", "return-to-activity")


def stops_therapy(raw: dict[str, Any]) -> bool:
    """A draft that discontinues physical therapy: the PT order revoked; an order naming the therapy it
    stops, however abbreviated ('D/C PT', 'PT - discontinue', 'cancel remaining physio'); or a PT order that
    plans no sessions and says to stop ('D/C', 'discontinue') giving pain or intolerance as the reason, or
    naming nothing else it could stop ('Discontinue - goals met', 'Stop. Pain 8/10 after sessions')."""
    if raw.get("resourceType") == "ServiceRequest" and is_physical_therapy(raw):
        if raw.get("status") in STOPPED_STATUSES:
            return True
        if not plans_sessions(raw) and names(raw, "discontinuation-wording") and (
                stopped_for_pain(raw) or not _names_what_it_stops(raw)):
            return True
    return names(raw, "therapy-discontinuation")


def _names_what_it_stops(raw: dict[str, Any]) -> bool:
    """The order's text names something a stop word could be about other than the therapy itself (an exercise,
    an activity, rest, a clearance: 'stop Nordics', 'D/C sprinting'), whatever is said of it."""
    texts = [*(_concept_text(c) for c in order_concepts(raw)), *order_notes(raw)]
    return any(concept_set(s).occurs_in(t) for s in STOP_OBJECT_SETS for t in texts if isinstance(t, str))


def stopped_for_pain(raw: dict[str, Any], read_reason_code: bool = True) -> bool:
    """Pain or intolerance stated as the reason in the order's text ('d/t pain', 'not tolerating'), or given
    as its reasonCode (a draft's own reason; a recorded order's reasonCode is its indication), as a word
    ('Increased pain') or a sentence stating it ('Nordics stopped due to pain, now resolved')."""
    if names(raw, "stopped-for-pain"):
        return True
    reasons = raw.get("reasonCode") if read_reason_code else None
    concepts, stated = concept_set("pain-or-intolerance"), concept_set("stopped-for-pain")
    return isinstance(reasons, list) and any(concepts.matches_concept(r) or stated.matches_concept(r)
                                             for r in reasons)


def stop_reason(raw: dict[str, Any]) -> str | None:
    """The reason a stop gives: the first note or order text stating pain or intolerance ('D/C PT d/t pain'),
    else its reasonCode, else its first note."""
    reasons = raw.get("reasonCode")
    stated = concept_set("stopped-for-pain")
    texts = [*(n for n in _notes(raw) if stated.has_text(n)),
             *(t for t in map(_concept_text, order_concepts(raw)) if stated.has_text(t)),
             *(_concept_text(r) for r in (reasons if isinstance(reasons, list) else [])), *_notes(raw)]
    return next((t.strip() for t in texts if isinstance(t, str) and t.strip()), None)


def _concept_text(concept: Any) -> str | None:
    if not isinstance(concept, dict):
        return None
    codings = concept.get("coding")
    displays = [c.get("display") for c in codings if isinstance(c, dict)] if isinstance(codings, list) else []
    return next((t for t in [concept.get("text"), *displays] if isinstance(t, str) and t.strip()), None)


def plans_sessions(raw: dict[str, Any]) -> bool:
    """The order plans sessions or a length: a Timing, a quantity, or a period with an end."""
    period = raw.get("occurrencePeriod")
    return bool(raw.get("occurrenceTiming") or raw.get("quantityQuantity")
                or (isinstance(period, dict) and period.get("end")))


def says_stop(raw: dict[str, Any]) -> bool:
    """The order's text says therapy was stopped, with the therapy named or not ('D/C'd d/t pain')."""
    return names(raw, "therapy-discontinuation") or names(raw, "discontinuation-wording")


def first_note(raw: dict[str, Any]) -> str | None:
    return next((n.strip() for n in _notes(raw) if n.strip()), None)


def _notes(raw: dict[str, Any]) -> list[str]:
    notes = raw.get("note")
    texts = [n.get("text") for n in (notes if isinstance(notes, list) else []) if isinstance(n, dict)]
    return [t for t in texts if isinstance(t, str)]
