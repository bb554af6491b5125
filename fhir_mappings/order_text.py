"""What an order names: its code, details, notes and instructions read against a concept set.

Codes decide first (a coding in the set matches whatever its display says); free text counts only where
the mention is affirmed (fhir_mappings/text_assertion.py), each text on its own.
"""

from __future__ import annotations

from typing import Any

from fhir_mappings.terminology import concept_set


def is_physical_therapy(raw: dict[str, Any]) -> bool:
    return concept_set("physical-therapy").matches_concept(raw.get("code"))


def order_concepts(raw: dict[str, Any]) -> list[Any]:
    """The CodeableConcepts that say what an order is: code (codeCodeableConcept on a DeviceRequest), orderDetail."""
    details = raw.get("orderDetail")
    return [raw.get("code"), raw.get("codeCodeableConcept"), *(details if isinstance(details, list) else [])]


def order_notes(raw: dict[str, Any]) -> list[Any]:
    """The order's free-text notes and patient instruction."""
    notes = raw.get("note")
    return [*(n.get("text") for n in (notes if isinstance(notes, list) else []) if isinstance(n, dict)),
            raw.get("patientInstruction")]


def names(raw: dict[str, Any], set_id: str) -> bool:
    """The order names the concept: a code in the set, or an affirmed mention in its code or detail text, a
    display, a note or the patient instruction (each text read with its assertion status on its own)."""
    concepts = concept_set(set_id)
    return any(concepts.matches_concept(c) for c in order_concepts(raw)) or concepts.mentioned_in(order_notes(raw))
