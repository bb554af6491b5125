"""The resources one hook call could not read, collected for the audit trail and the cards.

`parse` (fhir_mappings/parse.py) adds each resource it skips to the report of the call it runs in;
the pipeline opens the report around a call (`reading_report`) and hands what it holds to the cards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from dataclasses import field as dataclass_field


@dataclass(frozen=True)
class SkippedResource:
    """A resource the service could not read: its reference and why (a member path and the problem)."""

    ref: str
    reason: str


@dataclass
class ReadingReport:
    """The resources one call could not read, each once, in the order met."""

    skipped: dict[str, SkippedResource] = dataclass_field(default_factory=dict)

    def add(self, ref: str, reason: str) -> None:
        self.skipped.setdefault(ref, SkippedResource(ref, reason))


_report: ContextVar[ReadingReport | None] = ContextVar("fhir_reading_report", default=None)


@contextmanager
def reading_report() -> Iterator[ReadingReport]:
    """Collects, for the code run inside it, every resource `parse` could not read."""
    report = ReadingReport()
    token = _report.set(report)
    try:
        yield report
    finally:
        _report.reset(token)


def current_report() -> ReadingReport | None:
    """The report of the code running now; None outside `reading_report`."""
    return _report.get()
