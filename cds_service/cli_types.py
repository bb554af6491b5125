"""Argument types of the `hamstring-cds` command line that say what to give when a value is wrong, instead of
argparse's "invalid fromisoformat value"."""

from __future__ import annotations

import argparse
from datetime import date
from urllib.parse import urlsplit


def day(text: str) -> date:
    """A UTC day, YYYY-MM-DD."""
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day: give YYYY-MM-DD") from None
    if not date(1900, 1, 1) <= value <= date(9998, 12, 31):  # a range ends the day after --until
        raise argparse.ArgumentTypeError(f"{text} is out of range: give a day from 1900-01-01 to 9998-12-31")
    return value


def whole_days(text: str) -> int:
    """A number of days, 1 or more: `audit prune --older-than 0` (or a negative number) would delete every
    record up to now, today's included."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number of days, 1 or more")
    return value


def base_url(text: str) -> str:
    """The service's public URL (http or https, a host, no spaces): it becomes the GuidanceResponses' moduleUri,
    a FHIR uri, which a space or a bare word would make invalid."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in text):
        raise argparse.ArgumentTypeError(f"{text!r} is not the service's URL: give https://host[/path]")
    return text
