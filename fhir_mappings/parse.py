"""Raw FHIR JSON -> fhir.resources.R4B models, leniently.

Real EHRs and the public CDS Hooks sandbox send resources that strict R4 validation rejects (a draft
MedicationRequest without `intent`, Bundles without `type`, extra members, one object where R4 has an
array). We parse what the criteria read: common unambiguous deviations are conformed (conform.py),
members R4 does not know are dropped, and a missing required member that no criterion reads gets a
neutral value. A resource that still fails is skipped, never fatal and never silent: every time, the log
says which resource and why, and the call's `ReadingReport` lists it for the audit trail and the cards.

Its parts: repairs and reasons (lenient_repairs.py), elements validated once (validated_elements.py),
the call's report (reading_report.py). Finding the resources in a Bundle is bundles.py.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Any

import orjson
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.devicerequest import DeviceRequest
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhir.resources.R4B.servicerequest import ServiceRequest
from pydantic import BaseModel, ValidationError

from fhir_mappings.conform import conform
from fhir_mappings.lenient_repairs import repaired, unreadable_because
from fhir_mappings.models import with_cached_checks
from fhir_mappings.reading_report import current_report
from fhir_mappings.validated_elements import clear_elements, with_validated_elements

log = logging.getLogger(__name__)

# The library's models, each with its own checks on members worked out once (fhir_mappings/models.py).
MODELS: dict[str, type[BaseModel]] = {model.__name__: with_cached_checks(model) for model in (
    MedicationRequest, DeviceRequest, Patient, Condition, Procedure, ServiceRequest, Observation,
    QuestionnaireResponse)}

MAX_REPAIRS = 4  # fhir.resources reports missing required members one at a time
# Narrative and metadata: no criterion reads them, and the XHTML narrative is the costliest to validate.
UNREAD_MEMBERS = ("text", "meta")
VALIDATED_LIMIT = 4096
# Validation outcomes by content: the model, or None and the reason the resource could not be read.
_validated: OrderedDict[bytes, tuple[BaseModel | None, str | None]] = OrderedDict()
_validated_lock = threading.Lock()


def parse(data: dict[str, Any], subject_ref: str | None = None) -> BaseModel | None:
    """Validate one resource with its R4B model; None (and a log line) when it cannot be read.

    Results are remembered by content in a bounded LRU: the same resource arriving again (a draft read
    for facts and then for its fix; order-select firing on every selection and then order-sign for the
    same patient) is validated once per process. The models are shared: never modify one.
    """
    if str(data.get("resourceType")) not in MODELS:
        return None
    slim = _without_unread(data)
    try:
        key: bytes | None = orjson.dumps([subject_ref, slim])
    except orjson.JSONEncodeError:  # not JSON-shaped (an integer beyond 64 bits): validate without caching
        key = None
    known = None
    if key is not None:
        with _validated_lock:
            known = _validated.get(key)
            if known is not None:
                _validated.move_to_end(key)
    if known is None:
        known = _validate(slim, subject_ref)
        if key is not None:
            with _validated_lock:
                _validated[key] = known
                while len(_validated) > VALIDATED_LIMIT:
                    _validated.popitem(last=False)
    model, reason = known
    if model is None:
        _skipped(data, reason or "not a readable FHIR R4 resource")
    return model


def unreadable_reason(data: dict[str, Any], subject_ref: str | None = None) -> str | None:
    """Why a resource of a type the service reads cannot be read; None when it can (or is of another type).
    One the call's report already holds is not parsed (and logged) a second time."""
    report = current_report()
    known = report.skipped.get(ref_text(data)) if report is not None else None
    if known is not None:
        return known.reason
    if parse(data, subject_ref) is not None or str(data.get("resourceType")) not in MODELS:
        return None
    known = report.skipped.get(ref_text(data)) if report is not None else None
    return known.reason if known else "not a readable FHIR R4 resource"


def conformed(resource: dict[str, Any], deep: bool = True) -> dict[str, Any]:
    """`resource` with common vendor deviations conformed to R4 (conform.py); logged when any was."""
    model = MODELS.get(str(resource.get("resourceType")))
    if model is None:
        return resource
    fixed, changes = conform(resource, model, deep)
    if changes:
        log.info("read %s leniently: %s", ref_text(resource), "; ".join(changes[:5]))
    return fixed


def ref_text(data: dict[str, Any]) -> str:
    return f"{data.get('resourceType')}/{str(data.get('id'))[:64]}"


def _skipped(data: dict[str, Any], reason: str) -> None:
    ref = ref_text(data)
    log.warning("skipped unreadable %s: %s", ref, reason)
    report = current_report()
    if report is not None:
        report.add(ref, reason)


def _without_unread(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of `data` less its UNREAD_MEMBERS (a dict copy and pops: a third of a comprehension's time)."""
    slim = data.copy()
    for member in UNREAD_MEMBERS:
        slim.pop(member, None)
    return slim


def clear_validated() -> None:
    """Forget every remembered validation (benchmarks measure the cold path with it)."""
    with _validated_lock:
        _validated.clear()
        clear_elements()


def _validate(data: dict[str, Any], subject_ref: str | None) -> tuple[BaseModel | None, str | None]:
    model = MODELS.get(str(data.get("resourceType")))
    if model is None:
        return None, "no model for this resource type"
    data = with_validated_elements(model, data)
    first_error: ValidationError | ValueError | None = None
    for _ in range(MAX_REPAIRS + 1):
        try:
            return model(**data), None  # what model_validate does for these models, less one wrapping call
        except (ValidationError, ValueError) as error:
            first_error = first_error or error
            repair = repaired(data, error, subject_ref, model)
            if repair is None:
                return None, unreadable_because(error)
            data = repair
    return None, unreadable_because(first_error)
