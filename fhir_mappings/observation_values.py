"""Observation values as numbers: an integer, a quantity, a score out of 10 as a ratio, or a score in text.

valueString holds "8", "8/10", "8 out of 10", "85 %", or one score among words ("NPRS 7/10", "8/10 (worst)",
"LSI 82%"); a range ("7-8/10") is read at its upper bound only where the caller asks (pain: the worse end),
and two scores ("8/10, 3/10 at rest") are not read. A pain rating in mm is on a 100-mm visual analogue scale.
"""

from __future__ import annotations

import re
from typing import Any

from fhir_mappings.timeutil import amount

NUMBER_TEXT = re.compile(r"^\s*(\d{1,6}(?:[.,]\d+)?)\s*(%|/\s*10|out\s+of\s+10)?\s*$", re.IGNORECASE)
# One score among words ("NPRS 7/10", "8/10 (worst)", "7-8/10"): a number or a range, then an optional scale.
SCORE_IN_TEXT = re.compile(r"(?<![\w.,/+-])(\d{1,6}(?:[.,]\d+)?)(?:\s*(?:-|–|to)\s*(\d{1,6}(?:[.,]\d+)?))?"
                           r"(?:\s*(?:%|/\s*10(?!\d)|out\s+of\s+10(?!\d)))?(?![\w.,/]*\d)", re.IGNORECASE)
SCORE_OUT_OF = 10.0  # a pain or rating scale sent as a Ratio: 7 : 10
VAS_OUT_OF = 100.0  # a 100-mm visual analogue scale: 80 mm is 8/10
VAS_UNITS = {"mm"}


def number(element: Any) -> float | None:
    """A number from valueInteger, valueQuantity.value, a score out of 10 sent as valueRatio (7 : 10) or
    valueString ("8", "8/10", "8 out of 10", "85 %")."""
    if element.valueInteger is not None:
        return amount(element.valueInteger, "observation value")
    quantity = element.valueQuantity
    if quantity is not None and quantity.value is not None:
        return amount(quantity.value, "observation value")
    found = ratio(element)
    if found is not None:
        return found[0] if found[1] == SCORE_OUT_OF else None
    text = element.valueString
    match = NUMBER_TEXT.match(text) if isinstance(text, str) else None
    return float(match.group(1).replace(",", ".")) if match else None


def score_in_text(text: Any, ranges: bool) -> float | None:
    """The one score written among words in a valueString (a range's upper bound when `ranges`); None when
    there is no number, more than one, or a range and not `ranges`."""
    if not isinstance(text, str):
        return None
    found = list(SCORE_IN_TEXT.finditer(text))
    if len(found) != 1 or re.search(r"\d", text[:found[0].start()] + text[found[0].end():]):
        return None
    low, high = found[0].group(1), found[0].group(2)
    if high is not None and not ranges:
        return None
    return float((high or low).replace(",", "."))


def pain_number(element: Any) -> float | None:
    """A 0-10 pain rating: as `number`, or in mm on a 100-mm visual analogue scale, or one score among words
    in a valueString (a range at its upper bound). A ratio out of 100 stays unread (which scale is unsaid)."""
    quantity = element.valueQuantity
    if quantity is not None and quantity.value is not None and (quantity.code or quantity.unit or "") in VAS_UNITS:
        value = amount(quantity.value, "observation value")
        return value / SCORE_OUT_OF if value is not None and 0 <= value <= VAS_OUT_OF else None
    value = number(element)
    return value if value is not None else score_in_text(element.valueString, ranges=True)


def ratio(element: Any) -> tuple[float, float] | None:
    """valueRatio as (numerator, denominator), both present and the denominator not zero."""
    ratio = element.valueRatio
    if ratio is None or ratio.numerator is None or ratio.denominator is None:
        return None
    top = amount(ratio.numerator.value, "ratio numerator")
    bottom = amount(ratio.denominator.value, "ratio denominator")
    return (top, bottom) if top is not None and bottom else None
