"""Where a MedicationRequest's drug goes: swallowed (oral) or kept where it is applied (local) (HAM-05).

Read from the most explicit statement first: the dosage route, then the product's dose form (RxNorm puts
it after the strength: 'Ibuprofen 200 MG Oral Capsule', 'Diclofenac Sodium 10 MG/ML Topical Gel'), then
the dosage text ('1 capsule by mouth', 'PO', 'apply thinly'). The words are data (`routes` in
analgesic_products.json). Oral forms are read first and take their words with them, so a liquid-filled
softgel or a gel cap is an oral capsule, not a gel. A source naming both, or neither, leaves the question
to the next; none deciding: unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from typing import Any, Literal

from fhir_mappings.medications import medication_concept, medication_form

Route = Literal["oral", "local"]


def route_of(raw: dict[str, Any], routes: Mapping[str, Sequence[str]]) -> Route | None:
    oral, local = _pattern(tuple(routes["oral"])), _pattern(tuple(routes["local"]))
    for texts in (_route_texts(raw), _product_texts(raw), _dosage_texts(raw)):
        text = " ".join(texts).lower()
        rest = oral.sub(" ", text)
        found_oral, found_local = rest != text, local.search(rest) is not None
        if found_oral != found_local:
            return "oral" if found_oral else "local"
    return None


@cache
def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """Whole words or phrases, a plural 's' allowed (longest first, so 'gel cap' wins over 'gel')."""
    alternatives = "|".join(re.escape(w.lower()) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![a-z0-9])(?:{alternatives})s?(?![a-z0-9])")


def _route_texts(raw: dict[str, Any]) -> list[str]:
    return [t for d in _dicts(raw.get("dosageInstruction")) for t in _concept_texts(d.get("route"))]


def _product_texts(raw: dict[str, Any]) -> list[str]:
    return [*_concept_texts(medication_concept(raw)), *_concept_texts(medication_form(raw))]


def _dosage_texts(raw: dict[str, Any]) -> list[str]:
    texts = [t for d in _dicts(raw.get("dosageInstruction")) for t in (d.get("text"), d.get("patientInstruction"))]
    return [t for t in texts if isinstance(t, str)]


def _concept_texts(concept: Any) -> Iterator[str]:
    if not isinstance(concept, dict):
        return
    for text in [concept.get("text"), *(c.get("display") for c in _dicts(concept.get("coding")))]:
        if isinstance(text, str):
            yield text


def _dicts(value: Any) -> list[dict[str, Any]]:
    items = value if isinstance(value, list) else [value]
    return [v for v in items if isinstance(v, dict)]
