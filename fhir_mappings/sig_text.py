"""What a medication order's sig says only in words: the dose in tablets or capsules ('1 tab'), how many times
a day ('TDS', 'tid prn', 'twice daily': the abbreviations of `dosing_frequencies.json`, whole words), and the
quantity dispensed ('#42', 'x 30 tabs', 'disp 30'). Read for an analgesic's course from the quantity dispensed
when its Timing and dose are not coded (HAM-05: 'ibuprofen 400 mg, 1 tab TDS, #42' is 14 days).

Only counted forms are a dose: '400 mg' is the strength of each tablet, not how many are taken. A sig that
names several frequencies ('BD, may increase to TDS') is read at the most frequent: the check is a maximum.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import Any

from fhir_mappings.dosing_frequency import frequency_table

COUNTED_FORMS = {
    "tab": "tablet",
    "tabs": "tablet",
    "tablet": "tablet",
    "tablets": "tablet",
    "caps": "capsule",
    "cap": "capsule",
    "capsule": "capsule",
    "capsules": "capsule",
}
_FORM = "|".join(sorted(COUNTED_FORMS, key=len, reverse=True))
_AMOUNT = r"\d+(?:\.\d+)?|one|two|three|half"
AMOUNT_WORDS = {"one": 1.0, "two": 2.0, "three": 3.0, "half": 0.5}
# The quantity dispensed: '#42', 'disp: 30', 'qty 30 tabs', 'x 30 tabs' (after 'x' only with its form:
# 'x 10 days' is a length).
QUANTITY = re.compile(
    rf"(?:#\s*|\b(?:disp|dispense|qty|quantity|supply)\s*[:#]?\s*)(?P<n>\d+)(?:\s*(?P<form>{_FORM}))?\b"
    rf"|\bx\s*(?P<nx>\d+)\s*(?P<formx>{_FORM})\b",
    re.IGNORECASE,
)
DOSE = re.compile(rf"(?<![\w.#])(?P<n>{_AMOUNT})\s*(?P<form>{_FORM})\b", re.IGNORECASE)


@cache
def _frequency_words() -> re.Pattern[str]:
    words = sorted(frequency_table()["textPerDay"], key=len, reverse=True)
    return re.compile(r"(?<![\w/])(?:" + "|".join(re.escape(w) for w in words) + r")(?![\w/])", re.IGNORECASE)


def counted_form(unit: Any) -> str | None:
    """'tablet' for 'TAB', 'tabs', 'tablet'; 'capsule' likewise; None for any other unit."""
    return COUNTED_FORMS.get(unit.strip().lower()) if isinstance(unit, str) else None


def per_day_in(texts: Iterable[Any]) -> float | None:
    """How many times a day the first text naming a frequency says ('1 tab TDS': 3), the most frequent when
    it names several."""
    table = frequency_table()["textPerDay"]
    for text in texts:
        if isinstance(text, str):
            found = [float(table[m.group(0).lower()]) for m in _frequency_words().finditer(text)]
            if found:
                return max(found)
    return None


def dose_in(texts: Iterable[Any]) -> tuple[float, str] | None:
    """The tablets or capsules a dose is ('1 tab', 'two caps'), from the first text stating one; a count
    after a dispensing mark ('x 30 tabs', '#42') is the quantity, not the dose."""
    for text in texts:
        if not isinstance(text, str):
            continue
        quantities = {m.start("nx") for m in QUANTITY.finditer(text) if m.group("nx")}
        for match in DOSE.finditer(text):
            if match.start() not in quantities:
                number = match.group("n").lower()
                return AMOUNT_WORDS.get(number) or float(number), COUNTED_FORMS[match.group("form").lower()]
    return None


def quantity_in(texts: Iterable[Any]) -> tuple[float, str | None] | None:
    """The quantity the sig says to dispense ('#42', 'x 30 tabs') and its form when named."""
    for text in texts:
        match = QUANTITY.search(text) if isinstance(text, str) else None
        if match is not None:
            form = match.group("form") or match.group("formx")
            return float(match.group("n") or match.group("nx")), COUNTED_FORMS[form.lower()] if form else None
    return None
