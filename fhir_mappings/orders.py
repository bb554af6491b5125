"""Draft and active orders -> analgesic courses, complete-rest orders and therapy stops (HAM-05..07).

Order hooks judge the draft orders under review; patient-view judges what is active on record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from cards.facts import AnalgesicOrder, RestOrder, TherapyStop
from fhir_mappings.analgesics import analgesic_order
from fhir_mappings.order_text import is_physical_therapy, names
from fhir_mappings.record import PatientRecord, Read
from fhir_mappings.stated_durations import longest_stated_days
from fhir_mappings.therapy_stops import stop_reason, stopped_for_pain, stops_therapy
from fhir_mappings.timeutil import duration_days, period_days, range_days, to_date

REST_TYPES = ("ServiceRequest", "DeviceRequest")


@dataclass(frozen=True)
class OrderFacts:
    """The ClinicalFacts members for HAM-05..07, as one typed group."""

    analgesic_orders: tuple[AnalgesicOrder, ...]
    rest_orders: tuple[RestOrder, ...]
    therapy_stops: tuple[TherapyStop, ...]


def order_facts(record: PatientRecord) -> OrderFacts:
    """The orders the call judges (PatientRecord.judged_orders: the drafts under review, or on patient-view
    the active orders on record); a draft stopping therapy is judged only among drafts."""
    judged = record.judged_orders()
    return OrderFacts(
        analgesic_orders=tuple(_analgesics(judged, record.conditions_by_ref)),
        rest_orders=tuple(_rest_orders(judged)),
        therapy_stops=() if record.judges_record else tuple(_therapy_stops(record.under_review)),
    )


def _analgesics(judged: Iterable[Read[Any]], conditions: Mapping[str, dict[str, Any]]) -> Iterable[AnalgesicOrder]:
    for read in judged:
        if read.resource_type != "MedicationRequest":
            continue
        order = analgesic_order(read, conditions)
        if order is not None:
            yield order


def is_complete_rest(raw: dict[str, Any]) -> bool:
    """A code in complete-rest, or complete rest affirmed in the order's text ('bed rest not advised' is not)."""
    return names(raw, "complete-rest")


def _rest_orders(judged: Iterable[Read[Any]]) -> Iterable[RestOrder]:
    for read in judged:
        raw = read.json
        if read.resource_type not in REST_TYPES or is_physical_therapy(raw) or not is_complete_rest(raw):
            continue
        request: Any = read.model
        if request is None:
            continue
        start, hours = rest_period(request)
        concept = getattr(request, "code", None) or getattr(request, "codeCodeableConcept", None)
        label = (getattr(concept, "text", None) or "complete rest") if concept is not None else "complete rest"
        yield RestOrder(ref=f"{read.resource_type}/{request.id}", is_draft=read.is_draft, label=label,
                        start=start, planned_hours=hours)


def rest_period(request: Any) -> tuple[date | None, float | None]:
    """When the rest starts and how many hours it is planned for (None when the order does not say).

    A period with times of day runs the time between them (72 hours is 72, not four calendar days); a
    Timing range counts its upper bound, since the check is a maximum."""
    period = request.occurrencePeriod
    if period is not None:
        days = period_days(period.start, period.end)
        return to_date(period.start), days * 24.0 if days else None
    timing = request.occurrenceTiming
    repeat = timing.repeat if timing else None
    if repeat is not None:
        if repeat.boundsPeriod is not None:
            days = period_days(repeat.boundsPeriod.start, repeat.boundsPeriod.end)
            return to_date(repeat.boundsPeriod.start), days * 24.0 if days else None
        bounded = duration_days(repeat.boundsDuration) or range_days(repeat.boundsRange, "high")
        if bounded:
            return to_date(getattr(request, "authoredOn", None)), bounded * 24.0
    quantity = getattr(request, "quantityQuantity", None)
    planned = duration_days(quantity) if quantity is not None else None
    start = to_date(getattr(request, "occurrenceDateTime", None) or getattr(request, "authoredOn", None))
    if not planned:  # an order that states its length only in words: "NWB R LE x 10d", "bed rest for 2 weeks"
        planned = longest_stated_days(_rest_texts(request))
    return start, planned * 24.0 if planned else None


def _rest_texts(request: Any) -> list[Any]:
    concept = getattr(request, "code", None) or getattr(request, "codeCodeableConcept", None)
    texts = [getattr(concept, "text", None), getattr(request, "patientInstruction", None)]
    texts += [d.text for d in getattr(request, "orderDetail", None) or []]
    return texts + [n.text for n in getattr(request, "note", None) or []]


def _therapy_stops(drafts: Iterable[Read[Any]]) -> Iterable[TherapyStop]:
    for read in drafts:
        if stops_therapy(read.json):
            yield TherapyStop(ref=read.ref, reason=stop_reason(read.json), for_pain=stopped_for_pain(read.json))
