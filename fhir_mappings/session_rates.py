"""Sessions an order's text states: a count ("12 sessions", "8-16 visits": the lower bound), or sessions a week,
whole or a fraction: a count a week ("2x/wk", "2 x per week", "3
times a week", "2 visits weekly", "2-3x/week": the lower bound, the checks are minimums; "twice weekly"; the
Latin-style abbreviations of order entry, QW, BIW, TIW, which ISMP's list of error-prone abbreviations names as
written in practice), or an interval of weeks between sessions ("weekly", "q1wk", "every week": one a week;
"q2 weeks", "every other week", "every 2nd week", "fortnightly": one every two weeks, 0.5 a week; "every 2-3
weeks": the longer interval, again the lower bound). An interval that times something else ('reassess every 2
weeks', 'f/u weekly': the rules file's OTHER_TIMING) is not the sessions'. "Biweekly" is left unread: it is
written for both twice a week and every two weeks.
"""

from __future__ import annotations

import re
from functools import cache

from fhir_mappings.text_assertion import TextConcept, counted_mentions, not_affirmed

# Words that may stand between a number and its unit ("x 6 more wks", "6 additional visits").
MORE = r"(?:(?P<more>more|additional|add'?l|further|extra)\s+)?"
INTERVAL_LABEL = "stated-interval"  # what the assertion rules call the interval between sessions (allowed_types)
PER_WEEK_WORDS = {"once": 1, "twice": 2, "thrice": 3, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
                  "qw": 1, "qwk": 1, "biw": 2, "tiw": 3}
_WEEK = r"(?:/|per|a|an|each|every)?\s*(?:wk|wks|week|weekly)\b"
_COUNTED = r"(?:sessions?|visits?|treatments?|appts?)"
PER_WEEK = re.compile(
    rf"(?<![\w/])(?:(?P<n>\d+)(?:\s*(?:-|to)\s*\d+)?\s*(?:(?:x|×|times)\s*|{_COUNTED}\s*){_WEEK}"
    rf"|(?P<n2>\d+)\s*/\s*(?:wk|week)\b"
    rf"|(?P<word>once|twice|thrice|(?:one|two|three|four|five)\s+times)\s+{_WEEK}|(?P<abbr>qw|qwk|biw|tiw)\b)",
    re.IGNORECASE)
# Weeks between sessions, in digits, words or ordinals ("q2 weeks", "every two weeks", "every 3rd week").
EVERY_WORDS = {"other": 2, "second": 2, "alternate": 2, "two": 2, "three": 3, "third": 3, "four": 4, "fourth": 4}
_EVERY_N = r"\d+|" + "|".join(EVERY_WORDS)
WEEK_INTERVAL = re.compile(
    rf"(?<![\w/-])(?:(?:q|every|each)\s*(?:(?P<every>{_EVERY_N})(?:\s*(?:-|to)\s*(?P<high>\d+))?(?:st|nd|rd|th)?\s*)?"
    rf"(?:wks?|weeks?|w(?=\s|$|[,.;)]))\b|alternate\s+weeks\b|(?P<fortnight>(?:every\s+)?fortnight(?:ly)?)\b"
    rf"|weekly\b)", re.IGNORECASE)


@cache
def _intervals() -> TextConcept:
    """Intervals for the assertion step: one that times a review or follow-up is not the sessions'."""
    return TextConcept(INTERVAL_LABEL, WEEK_INTERVAL, not_affirmed() - {"HISTORICAL", "OTHER_TIMING"})


def stated_sessions_per_week(text: str | None) -> float | None:
    """The sessions a week a text states ("PT 2x/wk x 6 wks": 2, "BIW x 8 weeks": 2, "PT q2 weeks x 12 weeks":
    0.5, "PT weekly x 6 weeks": 1), the first it states; None when it states none."""
    found = stated_rate(text)
    return found[0] if found else None


def stated_rate(text: str | None) -> tuple[float, tuple[int, int]] | None:
    """The sessions a week a text states and where it states them (the span a fix rewrites), or None."""
    text = text or ""
    counted = PER_WEEK.search(text)
    own = counted_mentions(text, _intervals()) if WEEK_INTERVAL.search(text) else []
    interval = next((m for m in WEEK_INTERVAL.finditer(text) if any(s <= m.start() < e for s, e in own)), None)
    if counted is not None and (interval is None or counted.start() <= interval.start()):
        number = counted.group("n") or counted.group("n2")
        word = counted.group("word") or counted.group("abbr")
        return (int(number) if number else PER_WEEK_WORDS[word.lower().split()[0]]), counted.span()
    if interval is None:
        return None
    if interval.group("fortnight") or interval.group(0).lower().startswith("alternate"):
        return 0.5, interval.span()
    every = (interval.group("every") or "1").lower()
    weeks = max(int(interval.group("high") or 0), EVERY_WORDS.get(every) or int(every))
    return (1 / weeks, interval.span()) if weeks > 0 else None


def with_rate(text: str, per_week: int) -> str | None:
    """`text` with the sessions a week it states rewritten to `per_week` ('PT q2 weeks x 12 weeks' -> 'PT 1x/wk x
    12 weeks'), the rest as written; None when it states none."""
    found = stated_rate(text)
    if found is None:
        return None
    start, end = found[1]
    return f"{text[:start]}{per_week}x/wk{text[end:]}"


# A count of sessions ("12 sessions", "8-16 visits": the lower bound, the check is a minimum), not a weekly rate.
SESSIONS = re.compile(rf"(?<![\w./])(?P<n>\d+)(?:\s*(?:-|–|to)\s*\d+)?\s*{MORE}"
                      r"(?:sessions?|visits?|treatments?|appts?)\b"
                      r"(?!\s*(?:/|per\b|a\b|an\b|each\b|every\b|weekly\b|wk\b|week\b))", re.IGNORECASE)


def stated_sessions(text: str | None) -> int | None:
    """The sessions a text states as a count ('PT x 12 sessions', '8-16 visits over 10-14 weeks': 8), or None."""
    match = SESSIONS.search(text or "")
    return int(match.group("n")) if match else None


def with_sessions(text: str, sessions: int) -> str | None:
    """`text` with the count of sessions it states (a range whole) rewritten to `sessions` ('PT x 8 visits' ->
    'PT x 12 visits'), the rest as written; None when it states no count."""
    match = SESSIONS.search(text)
    if match is None:
        return None
    unit = re.sub(r"^\s*(?:(?:-|–|to)\s*\d+\s*)?", "", match.string[match.end("n"):match.end()])
    return f"{text[:match.start()]}{sessions} {unit}{text[match.end():]}"
