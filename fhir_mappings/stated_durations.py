"""Durations an order states in its own words ("1 tab PO BID x 14 days", "NWB for 2 weeks", "two-week
course"), brought in line when a suggestion shortens the order, so the order the clinician signs never
contradicts itself.

Only a stated duration longer than the new length is rewritten, to the new length in the unit of the
order's own timing (days, or hours under 2 days); shorter ones and everything else are left as written.
A text that names a longer duration in a form this module does not read (a range, "until review") is not
touched: the caller reports it to the clinician as a field to change by hand.

A range ("x 10-14 wks", "for 10 to 14 weeks", "8-16 visits") is read at the bound its check needs, as a
structured Timing.boundsRange is: its upper bound against a maximum (an analgesic course, rest: "x 5-7 days"
is 7 days), its lower bound against a minimum (`low`: a program's length and sessions, "10-14 wks" is 10
weeks). Ranges of other things ("RPE 6-8", "3x10-12 reps") state no length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

from fhir_mappings.session_rates import MORE as _MORE
from fhir_mappings.text_assertion import TextConcept, counted_mentions, not_affirmed

# Unit words as clinicians and order-entry systems abbreviate them, in days; "/7" and "/52" are the British
# and Australian clinical fractions ("NWB x 2/52": two weeks, "bed rest 5/7": five days). "/12" (months) is
# left out: "3/12" is as often a date.
UNIT_DAYS = {"h": 1 / 24, "hr": 1 / 24, "hrs": 1 / 24, "hour": 1 / 24, "hours": 1 / 24,
             "d": 1, "day": 1, "days": 1, "wk": 7, "wks": 7, "week": 7, "weeks": 7,
             "mo": 30, "mos": 30, "month": 30, "months": 30, "fortnight": 14, "fortnights": 14, "/7": 1, "/52": 7}
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fourteen": 14, "twenty-one": 21, "thirty": 30,
                "a": 1, "an": 1}
_UNIT = "|".join(sorted(UNIT_DAYS, key=len, reverse=True))
# A renewal's length counts on from the block before it, said between number and unit: "x 6 more wks", "6
# additional weeks", "for 4 further weeks", "an extra week" (kept when a fix rewrites the length: `_with_more`).
# "a" and "an" count one only before a whole unit word ("for a fortnight", "for a week"), never "a d" or "a h".
_NUMBER = (r"\d+(?:\.\d+)?|" + "|".join(sorted(set(NUMBER_WORDS) - {"a", "an"}, key=len, reverse=True))
           + r"|a(?=\s+(?:(?:more|further|extra)\s+)?(?:day|week|fortnight|month)\b)"
           + r"|an(?=\s+(?:(?:additional|extra)\s+(?:day|week|fortnight|month)|hour)\b)")
# (not followed by "/": "5/7/2026" is a date)
DURATION = re.compile(rf"(?:(?<=[x×])|(?<![\w.]))(?P<n>{_NUMBER})\s*-?\s*{_MORE}(?P<unit>{_UNIT})\b(?!/)",
                      re.IGNORECASE)
# The lower bound of a range a duration ends ("10-" or "10 to " before "14 wks"); a spaced dash is no range
# ("phase 2 - 6 weeks").
RANGE_LOW = re.compile(rf"(?:(?<=[x×])|(?<![\w./]))(?P<n>{_NUMBER})(?:[-–]|\s+to\s+)$", re.IGNORECASE)
# A duration in a form not rewritten here: a range ("10-14 days").
UNREAD_RANGE = re.compile(rf"\d+\s*(?:-|to)\s*\d+\s*{_MORE}(?:{_UNIT})\b(?!/)", re.IGNORECASE)


# A dosing or care interval ("every 8 hours", "q6h", "20 min per hour", "3 times a day", "twice a week"), not
# how long the order runs.
INTERVAL_BEFORE = re.compile(r"(?:\bevery|\beach|\bper|\bq|/|\btimes|\bonce|\btwice|\bthrice)\s*$", re.IGNORECASE)
ONE_AFTER_TIMES = re.compile(r"\d\s*[x×]\s*$", re.IGNORECASE)  # "2x a day": "a day" is the interval


def is_interval(match: re.Match[str]) -> bool:
    """The duration is a dosing or care interval: 'every 8 hours', '3 times a day', '2x a day'."""
    before = match.string[:match.start()]
    return bool(INTERVAL_BEFORE.search(before)
                or (match.group("n").lower() in ("a", "an") and ONE_AFTER_TIMES.search(before)))


def longest_stated_days(texts: Iterable[Any], low: bool = False) -> float | None:
    """The longest duration the texts state ("x10d", "for 2 weeks", "Bed rest x 10 days"), dosing intervals
    and durations of something else (`is_not_its_own`) aside: how long an order runs when it says so only in
    words. None when none states one.
    A range counts its upper bound, or its lower bound when `low` (see the module docstring)."""
    found = [stated_days(m, low) for text in texts if isinstance(text, str) for m in DURATION.finditer(text)
             if not is_interval(m) and not is_not_its_own(m)]
    return max(found, default=None)


DURATION_LABEL = "stated-duration"  # what the assertion rules call a stated duration (allowed_types)


@cache
def _durations() -> TextConcept:
    """Stated durations for the assertion step: only an earlier course's and another event's timing keep one
    from counting."""
    return TextConcept(DURATION_LABEL, DURATION, not_affirmed() - {"HISTORICAL", "OTHER_TIMING"})


def is_not_its_own(match: re.Match[str]) -> bool:
    """The duration is not the order's own length, read with its assertion status (fhir_mappings/
    text_assertion.py): an earlier course's or order's ('previous 2-week course finished; now 5 days': rule
    'earlier course'), or the timing of another event: a review or follow-up ('Review in 2 weeks', 'f/u 2/52'),
    how long ago ('strain 3 weeks ago'), how long symptoms have lasted ('symptoms for 3 weeks'): category
    OTHER_TIMING. A fix leaves them as written."""
    current = counted_mentions(match.string, _durations())
    start = match.start()
    return not any(s <= start < e or start <= s < match.end() for s, e in current)


def stated_days(match: re.Match[str], low: bool = False) -> float:
    """The duration in days; at the lower bound of the range it ends when `low` ('10-14 wks': 70)."""
    bound = RANGE_LOW.search(match.string, 0, match.start()) if low else None
    value = min(_number(bound.group("n")), _number(match.group("n"))) if bound else _number(match.group("n"))
    return value * UNIT_DAYS[match.group("unit").lower()]


def _number(text: str) -> float:
    return NUMBER_WORDS[text.lower()] if text.lower() in NUMBER_WORDS else float(text)


def shortened(text: str, limit_days: float, phrase: str) -> tuple[str, bool]:
    """`text` with each stated duration longer than `limit_days` replaced by `phrase`; and whether the text
    still states a longer duration in a form not rewritten (to be changed by hand)."""
    unread = any(_range_days(m.group(0)) > limit_days + 1e-9 for m in UNREAD_RANGE.finditer(text))
    masked = UNREAD_RANGE.sub(lambda m: "\0" * len(m.group(0)), text)

    def replace(match: re.Match[str]) -> str:
        same = DURATION.match(text, match.start())  # the text's own, not the masked copy's
        other = same is not None and is_not_its_own(same)  # an earlier course's length, a review: as written
        return _with_more(phrase, match) if stated_days(match) > limit_days + 1e-9 and not other else match.group(0)

    out, start = [], 0
    for match in DURATION.finditer(masked):
        out += [text[start:match.start()], replace(match)]
        start = match.end()
    out.append(text[start:])
    return "".join(out), unread


def _range_days(text: str, low: bool = False) -> float:
    found = list(DURATION.finditer(text))
    stated = text[:found[-1].start("unit")] if found else text  # the unit's own digits ("/52") are no number
    numbers = [float(n) for n in re.findall(r"\d+(?:\.\d+)?", stated)]
    bound = min if low else max
    return bound(numbers) * UNIT_DAYS[found[-1].group("unit").lower()] if found and numbers else 0.0


def lengthened(text: str, at_least_days: float, phrase: str) -> str:
    """`text` with its longest stated duration or range (at its lower bound, as the minimum reads it), when
    shorter than `at_least_days`, replaced by `phrase` (a program extended: 'PT 2x/wk x 6 wks' or 'x 8-14 wks'
    becomes 'PT 2x/wk x 12 weeks'). Shorter ones say something else ('2/7', 'hold 10 s') and dosing intervals
    are left as written."""
    longest = longest_stated_days([text], low=True)
    if longest is None or longest >= at_least_days - 1e-9:
        return text

    def longer(match: re.Match[str]) -> str:
        same = abs(_range_days(match.group(0), low=True) - longest) < 1e-9
        return _with_more(phrase, match) if same else match.group(0)

    def duration(match: re.Match[str]) -> str:
        same = abs(stated_days(match) - longest) < 1e-9
        return _with_more(phrase, match) if same and not is_interval(match) else match.group(0)

    return DURATION.sub(duration, UNREAD_RANGE.sub(longer, text))


def _with_more(phrase: str, match: re.Match[str]) -> str:
    """`phrase` ('12 weeks') saying 'more' as the length it replaces did ('x 6 more wks': 'x 12 more weeks')."""
    number, _, unit = phrase.partition(" ")
    return f"{number} {match.group('more')} {unit}" if match.group("more") and unit else phrase


def text_fields(resource: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(name, holder, key) of each free-text member an order states its duration in."""
    for member in ("medicationCodeableConcept", "code"):  # order entry often writes the sig in the name
        concept = resource.get(member)
        if isinstance(concept, dict) and isinstance(concept.get("text"), str):
            yield f"{member}.text", concept, "text"
    for i, dosage in enumerate(resource.get("dosageInstruction") or []):
        if isinstance(dosage, dict):
            for key in ("text", "patientInstruction"):
                if isinstance(dosage.get(key), str):
                    yield f"dosageInstruction[{i}].{key}", dosage, key
    if isinstance(resource.get("patientInstruction"), str):
        yield "patientInstruction", resource, "patientInstruction"
    for i, note in enumerate(resource.get("note") or []):
        if isinstance(note, dict) and isinstance(note.get("text"), str):
            yield f"note[{i}].text", note, "text"
    for i, detail in enumerate(resource.get("orderDetail") or []):
        if isinstance(detail, dict) and isinstance(detail.get("text"), str):
            yield f"orderDetail[{i}].text", detail, "text"


def shorten_stated(resource: dict[str, Any], limit_days: float, phrase: str) -> list[str]:
    """Rewrite, in place, every stated duration longer than `limit_days`; the fields left to change by hand."""
    by_hand = []
    for name, holder, key in text_fields(resource):
        new, unread = shortened(holder[key], limit_days, phrase)
        holder[key] = new
        if unread:
            by_hand.append(name)
    return by_hand
