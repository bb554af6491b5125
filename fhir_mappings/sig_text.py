"""What a medication order's sig says only in words: the dose in tablets or capsules ('1 tab'), how many times
a day ('TDS', 'tid prn', 'twice daily': the abbreviations of `dosing_frequencies.json`, whole words), and the
quantity dispensed ('#42', 'x 30 tabs', 'disp 30'). Read for an analgesic's course from the quantity dispensed
when its Timing and dose are not coded (HAM-05: 'ibuprofen 400 mg, 1 tab TDS, #42' is 14 days); where each
quantity is written, and whether it is also in words ('#40 (forty)'), for a fix to rewrite it
(fhir_mappings/sig_quantity_edits.py).

Only counted forms are a dose: '400 mg' is the strength of each tablet, not how many are taken. A sig that
names several frequencies ('BD, may increase to TDS') is read at the most frequent, and a dose range ('1-2 tabs',
'one to two tablets', '1 or 2 caps') at its highest dose: the check is a maximum. A frequency is also read as
a count a day ('three times a day', '3x daily'). A maximum a day ('max 6 tabs/day', 'not more than 8 tablets in
24 hours', 'max daily dose 6 tabs') is read apart (`max_per_day_in`) and is never a dose.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from fhir_mappings.dosing_frequency import frequency_table

COUNTED_FORMS = {
    "tab": "tablet",
    "tabs": "tablet",
    "tablet": "tablet",
    "tablets": "tablet",
    "tbl": "tablet",
    "caps": "capsule",
    "cap": "capsule",
    "capsule": "capsule",
    "capsules": "capsule",
}
_FORM = "|".join(sorted(COUNTED_FORMS, key=len, reverse=True))
_AMOUNT = r"\d+(?:\.\d+)?|one|two|three|half"
AMOUNT_WORDS = {"one": 1.0, "two": 2.0, "three": 3.0, "half": 0.5}
# The quantity dispensed: '#42', 'disp: 30', 'qty 30 tabs', 'x 30 tabs' (after 'x' only with its form:
# 'x 10 days' is a length; not after 'supply': 'days supply: 30' is a length too).
QUANTITY = re.compile(
    rf"(?:#\s*|\b(?:disp|dispense|qty|quantity)\s*[:#]?\s*)(?P<n>\d+)(?:\s*(?P<form>{_FORM}))?\b"
    rf"|\bx\s*(?P<nx>\d+)\s*(?P<formx>{_FORM})\b",
    re.IGNORECASE,
)
# A number spelled out ('forty', 'twenty-eight'): a dispensed quantity in words cannot be rewritten with its digits.
_UNIT_WORDS = ("one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen"
               "|sixteen|seventeen|eighteen|nineteen")
_NUMBER_WORD = (rf"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s-]*(?:{_UNIT_WORDS}))?"
                rf"|(?:{_UNIT_WORDS})|(?:a\s+|one\s+)?hundred)")
# A quantity to dispense in words: after a dispensing mark ('disp forty tabs', 'x thirty tabs') or spelled
# out in brackets after its digits ('#40 (forty)', 'disp 30 tabs (thirty)').
QUANTITY_IN_WORDS = re.compile(
    rf"(?:#\s*|\b(?:disp|dispense|qty|quantity)\s*[:#]?\s*)(?:{_NUMBER_WORD})\b"
    rf"|\bx\s*(?:{_NUMBER_WORD})\s*(?:{_FORM})\b",
    re.IGNORECASE,
)
SPELLED_AFTER = re.compile(rf"\s*(?:{_FORM})?\s*[(\[]\s*(?:{_NUMBER_WORD})\s*[)\]]", re.IGNORECASE)
# A dose, or a dose range read at its highest ('1-2 tabs', 'one to two tablets', '1 or 2 caps').
DOSE = re.compile(rf"(?<![\w.#])(?:(?P<low>{_AMOUNT})\s*(?:-|\u2013|to|or)\s*)?(?P<n>{_AMOUNT})\s*(?P<form>{_FORM})\b",
                  re.IGNORECASE)
# How many times a day as a count ('three times a day', '3x daily', 'twice a day', '4 times per day').
TIMES_A_DAY = re.compile(r"\b(?:(?P<n>\d+|one|two|three|four|five|six)\s*(?:x|times)|(?P<w>once|twice|thrice))\s*"
                         r"(?:(?:a|per|each|every)\s+|/\s*)?(?:day|daily)\b", re.IGNORECASE)
_TIMES = {"once": 1.0, "twice": 2.0, "thrice": 3.0, "four": 4.0, "five": 5.0, "six": 6.0}
# The most to take in a day: a cap, not a dose ('max 6 tabs/day', 'no more than 8 tablets in 24 hours',
# 'up to 6 a day', 'max daily dose: 6 tabs'); the form unnamed is the dose's own.
_DAY = r"(?:/\s*|\s+(?:per|a|in|each|every)\s+|\s+)(?:day|24\s*h(?:ours?|rs?)?|daily)\b"
MAX_PER_DAY = re.compile(
    rf"\b(?:max(?:imum)?\.?(?:\s+of)?|(?:do\s+)?not\s+(?:to\s+)?exceed|(?:not|no)\s+more\s+than|up\s+to)"
    rf"\s*:?\s*(?P<n>\d+(?:\.\d+)?)\s*(?P<form>{_FORM})?{_DAY}"
    rf"|\bmax(?:imum)?\.?\s+(?:daily|per\s+day)(?:\s+dose)?\s*:?\s*(?P<nd>\d+(?:\.\d+)?)\s*(?P<formd>{_FORM})?",
    re.IGNORECASE)


@cache
def _frequency_words() -> re.Pattern[str]:
    words = sorted(frequency_table()["textPerDay"], key=len, reverse=True)
    return re.compile(r"(?<![\w/])(?:" + "|".join(re.escape(w) for w in words) + r")(?![\w/])", re.IGNORECASE)


def counted_form(unit: Any) -> str | None:
    """'tablet' for 'TAB', 'tabs', 'tablet', UCUM's '{tbl}'; 'capsule' likewise; None for any other unit."""
    return COUNTED_FORMS.get(unit.strip().strip("{}").lower()) if isinstance(unit, str) else None


def per_day_in(texts: Iterable[Any]) -> float | None:
    """How many times a day the first text naming a frequency says ('1 tab TDS': 3), the most frequent when
    it names several."""
    table = frequency_table()["textPerDay"]
    for text in texts:
        if isinstance(text, str):
            found = [float(table[m.group(0).lower()]) for m in _frequency_words().finditer(text)]
            found += [_count(m.group("n") or m.group("w")) for m in TIMES_A_DAY.finditer(text)]
            if found:
                return max(found)
    return None


def dose_in(texts: Iterable[Any]) -> tuple[float, str] | None:
    """The tablets or capsules a dose is ('1 tab', 'two caps'), from the first text stating one; a count
    after a dispensing mark ('x 30 tabs', '#42', 'Dispense 40 tablets') is the quantity, not the dose."""
    for text in texts:
        if not isinstance(text, str):
            continue
        quantities = {m.start("n") if m.group("n") else m.start("nx") for m in QUANTITY.finditer(text)}
        caps = [m.span() for m in MAX_PER_DAY.finditer(text)]
        for match in DOSE.finditer(text):
            if match.start("n") not in quantities and not any(a <= match.start("n") < b for a, b in caps):
                return _count(match.group("n")), COUNTED_FORMS[match.group("form").lower()]  # a range's high
    return None


def _count(number: str) -> float:
    word = number.lower()
    return AMOUNT_WORDS.get(word) or _TIMES.get(word) or float(word)


def max_per_day_in(texts: Iterable[Any]) -> tuple[float, str | None] | None:
    """The most the sig allows in a day ('max 6 tabs/day': 6 tablets) and its form when named, from the first
    text stating one (the lowest when it states several)."""
    for text in texts:
        found = [m for m in MAX_PER_DAY.finditer(text)] if isinstance(text, str) else []
        if found:
            match = min(found, key=lambda m: float(m.group("n") or m.group("nd")))
            form = match.group("form") or match.group("formd")
            return float(match.group("n") or match.group("nd")), COUNTED_FORMS[form.lower()] if form else None
    return None


def quantity_in(texts: Iterable[Any]) -> tuple[float, str | None] | None:
    """The quantity the sig says to dispense ('#42', 'x 30 tabs') and its form when named."""
    for text in texts:
        match = QUANTITY.search(text) if isinstance(text, str) else None
        if match is not None:
            form = match.group("form") or match.group("formx")
            return float(match.group("n") or match.group("nx")), COUNTED_FORMS[form.lower()] if form else None
    return None


@dataclass(frozen=True)
class WrittenQuantity:
    """A quantity to dispense written in a text: its digits' value and place, the form it names, and whether
    the text also spells it out in words ('#40 (forty)')."""

    value: int
    start: int
    end: int
    form: str | None
    spelled: bool


def written_quantities(text: str) -> list[WrittenQuantity]:
    """Every quantity to dispense `text` writes in digits ('#42', 'disp: 28', 'x 30 tabs', 'Dispense 40 tablets')."""
    found = []
    for match in QUANTITY.finditer(text):
        group = "n" if match.group("n") else "nx"
        form = match.group("form") or match.group("formx")
        found.append(WrittenQuantity(int(match.group(group)), match.start(group), match.end(group),
                                     COUNTED_FORMS[form.lower()] if form else None,
                                     SPELLED_AFTER.match(text, match.end()) is not None))
    return found


def quantity_in_words(text: str) -> bool:
    """`text` writes a quantity to dispense in words ('disp forty tabs', 'x thirty tabs', '#40 (forty)')."""
    return QUANTITY_IN_WORDS.search(text) is not None or any(q.spelled for q in written_quantities(text))
