"""QuestionnaireResponse -> patient-reported outcome scores (HAGOS, iHOT-12/33, LEFS, HOOS) for HAM-08/10.

Sites record these instruments as QuestionnaireResponses as often as Observations (terminology.md 3b:
HAGOS and iHOT have no LOINC code, "store the instrument as a QuestionnaireResponse"). The instrument is
named by the response's `questionnaire` canonical, its display extension or its top-level item text,
matched against outcome-measure (codes as data: the text patterns there). Only completed or amended
responses authored on a known date count. The score is the first answer to an item whose linkId or
text says total, score or subscale; a response without one still counts as monitoring (value None).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from cards.facts import OutcomeScore
from fhir_mappings.record import Read
from fhir_mappings.terminology import concept_set
from fhir_mappings.timeutil import amount, to_date

COUNTED_STATUS = {"completed", "amended"}
DISPLAY_EXTENSION = "http://hl7.org/fhir/StructureDefinition/display"
SCORE_ITEM = re.compile(r"(?<![a-z])(total|score|subscale)", re.IGNORECASE)
SEPARATORS = re.compile(r"[-_/|.:#]+")


def questionnaire_outcomes(responses: Iterable[Read[QuestionnaireResponse]]) -> tuple[OutcomeScore, ...]:
    """Outcome scores from completed QuestionnaireResponses of an outcome-measure instrument, oldest first."""
    found = []
    for read in responses:
        if read.status not in COUNTED_STATUS or to_date(read.json.get("authored")) is None:
            continue
        name = instrument(read.json)
        if name is None:
            continue
        response = read.model_as(QuestionnaireResponse)
        when = to_date(response.authored) if response is not None else None
        if when is None or response is None:
            continue
        found.append(OutcomeScore(ref=f"QuestionnaireResponse/{response.id}", when=when,
                                  value=score(response.item or []), instrument=name))
    return tuple(sorted(found, key=lambda o: o.when))


def instrument(raw: dict[str, Any]) -> str | None:
    """The instrument's name when the response is of an outcome measure, else None."""
    members = concept_set("outcome-measure")
    canonical = raw.get("questionnaire")
    names = [_display(raw)] if _display(raw) else []
    if isinstance(canonical, str) and canonical.strip():
        names.append(canonical.split("|")[0].rstrip("/").rsplit("/", 1)[-1])
        names.append(SEPARATORS.sub(" ", canonical.split("|")[0]))
    items = raw.get("item")
    names += [i.get("text") for i in (items if isinstance(items, list) else []) if isinstance(i, dict)]
    if not any(isinstance(n, str) and members.has_text(SEPARATORS.sub(" ", n)) for n in names):
        return None
    return next(n for n in names if isinstance(n, str) and n.strip()).strip()[:60]


def _display(raw: dict[str, Any]) -> str | None:
    element = raw.get("_questionnaire")
    extensions = element.get("extension") if isinstance(element, dict) else None
    for extension in extensions if isinstance(extensions, list) else []:
        if isinstance(extension, dict) and extension.get("url") == DISPLAY_EXTENSION:
            value = extension.get("valueString")
            return value if isinstance(value, str) and value.strip() else None
    return None


def score(items: list[Any]) -> float | None:
    """The first numeric answer to a total, score or subscale item, searching nested items in order."""
    for item in _walk(items):
        label = f"{item.linkId or ''} {item.text or ''}"
        if not SCORE_ITEM.search(label):
            continue
        for answer in item.answer or []:
            quantity = answer.valueQuantity
            value = answer.valueInteger if answer.valueInteger is not None else answer.valueDecimal
            value = quantity.value if value is None and quantity is not None else value
            number = amount(value, "questionnaire score")
            if number is not None:
                return number
    return None


def _walk(items: list[Any]) -> Iterator[Any]:
    for item in items:
        yield item
        yield from _walk(item.item or [])
        for answer in item.answer or []:
            yield from _walk(answer.item or [])
