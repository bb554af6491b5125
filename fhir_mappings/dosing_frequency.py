"""How many times a day a dosage's Timing.code says to take a medicine ('TID', 'Q8H', text 'TDS'), when the
Timing has no repeat: the table and its sources are `dosing_frequencies.json` (HL7 GTSAbbreviation codes, the
abbreviations of British prescribing)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

FREQUENCIES_FILE = Path(__file__).with_name("dosing_frequencies.json")


@cache
def frequency_table() -> dict[str, Any]:
    return json.loads(FREQUENCIES_FILE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def per_day_of_code(code: Any) -> float | None:
    """Administrations a day of a Timing.code (a CodeableConcept model): a GTSAbbreviation coding, else its
    text as a whole abbreviation ('TDS', 'bd'); None when it names none."""
    if code is None:
        return None
    table = frequency_table()
    for coding in code.coding or []:
        if coding.system == table["system"] and coding.code in table["perDay"]:
            return float(table["perDay"][coding.code])
    text = (code.text or "").strip().lower()
    value = table["textPerDay"].get(text)
    return float(value) if value is not None else None
