"""Raw FHIR JSON -> fhir.resources.R4B models, leniently.

Real EHRs and the public CDS Hooks sandbox send resources that strict R4 validation rejects (a draft
MedicationRequest without `intent`, Bundles without `type`, extra members, one object where R4 has an
array). We parse what the criteria read: common unambiguous deviations are conformed (conform.py),
members R4 does not know are dropped, and a missing required member that no criterion reads gets a
neutral value. A resource that still fails is skipped, never fatal and never silent: every time, the log
says which resource and why, and the call's `ReadingReport` lists it for the audit trail and the cards.
"""

from __future__ import annotations

import logging
import threading
import types
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import cache
from typing import Any, TypeVar, Union, get_args, get_origin

import orjson
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.devicerequest import DeviceRequest
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhir.resources.R4B.resource import Resource
from fhir.resources.R4B.servicerequest import ServiceRequest
from pydantic import BaseModel, ValidationError

from fhir_mappings.conform import conform
from fhir_mappings.json_hygiene import without_empty
from fhir_mappings.models import with_cached_checks

log = logging.getLogger(__name__)
Model = TypeVar("Model", bound=BaseModel)

# The library's models, each with its own checks on members worked out once (fhir_mappings/models.py).
MODELS: dict[str, type[BaseModel]] = {model.__name__: with_cached_checks(model) for model in (
    MedicationRequest, DeviceRequest, Patient, Condition, Procedure, ServiceRequest, Observation,
    QuestionnaireResponse)}

MAX_REPAIRS = 4  # fhir.resources reports missing required members one at a time
# Narrative and metadata: no criterion reads them, and the XHTML narrative is the costliest to validate.
UNREAD_MEMBERS = ("text", "meta")
VALIDATED_LIMIT = 4096
MAX_REASON_CHARS = 300
# Validation outcomes by content: the model, or None and the reason the resource could not be read.
_validated: OrderedDict[bytes, tuple[BaseModel | None, str | None]] = OrderedDict()
_validated_lock = threading.Lock()
# Validated data-type elements (a code, a subject reference, a quantity) by type and content. Resources of
# one request repeat them (eight pain scores share their code and subject); a model accepts a validated
# element as it is, so each distinct element is validated once. Failures are not kept: they fail in place.
ELEMENTS_LIMIT = 8192
_elements: dict[tuple[type[BaseModel], bytes], BaseModel] = {}

# Required R4 members no criterion reads, with the neutral value used when a sender leaves them out.
NEUTRAL_REQUIRED: dict[str, dict[str, Any]] = {
    "ServiceRequest": {"intent": "order", "status": "unknown"},
    "MedicationRequest": {"intent": "order", "status": "unknown"},
    "DeviceRequest": {"intent": "order", "status": "unknown"},
    "Procedure": {"status": "unknown"},
    "Observation": {"status": "unknown"},
}


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


def resources_in(value: Any) -> Iterator[dict[str, Any]]:
    """The resources in a prefetch value or draftOrders: a Bundle's entries, or a single resource.

    OperationOutcome entries (search.mode=outcome) are not data and are skipped.
    """
    if not isinstance(value, dict):
        return
    if value.get("resourceType") == "Bundle":
        entries = value.get("entry")
        for entry in entries if isinstance(entries, list) else ():
            if not isinstance(entry, dict):
                continue
            search = entry.get("search")
            if isinstance(search, dict) and search.get("mode") == "outcome":
                continue
            resource = entry.get("resource")
            if isinstance(resource, dict) and isinstance(resource.get("resourceType"), str):
                yield resource
    elif isinstance(value.get("resourceType"), str) and value["resourceType"] != "OperationOutcome":
        yield value


def of_type(resources: Iterable[dict[str, Any]], resource_type: str) -> Iterator[dict[str, Any]]:
    return (r for r in resources if r.get("resourceType") == resource_type)


def by_type(resources: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The resources grouped by resourceType, each group in the order given (one pass for every mapper)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for resource in resources:
        groups.setdefault(str(resource.get("resourceType")), []).append(resource)
    return groups


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
    report = _report.get()
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
    report = _report.get()
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
        _elements.clear()


def _validate(data: dict[str, Any], subject_ref: str | None) -> tuple[BaseModel | None, str | None]:
    model = MODELS.get(str(data.get("resourceType")))
    if model is None:
        return None, "no model for this resource type"
    data = _with_validated_elements(model, data)
    first_error: ValidationError | ValueError | None = None
    for _ in range(MAX_REPAIRS + 1):
        try:
            return model(**data), None  # what model_validate does for these models, less one wrapping call
        except (ValidationError, ValueError) as error:
            first_error = first_error or error
            repaired = _repair(data, error, subject_ref, model)
            if repaired is None:
                return None, _reason(error)
            data = repaired
    return None, _reason(first_error)


def _reason(error: Exception | None) -> str:
    """The first problem validation found, as a member path and a message: no values (they may be PHI)."""
    if isinstance(error, ValidationError) and error.errors():
        problem = error.errors()[0]
        where = ".".join(str(p) for p in problem.get("loc", ())) or "resource"
        text = f"{where}: {problem.get('msg', 'invalid')}"
    else:
        text = str(error or "invalid")
    return text[:MAX_REASON_CHARS]


def _with_validated_elements(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """`data` with each data-type member (or array item) that validates on its own as its validated model."""
    fields = _element_fields(model)
    out = dict(data)
    for name, value in data.items():
        element = fields.get(name)
        if element is None:
            continue
        if isinstance(value, dict):
            out[name] = _element(element, value)
        elif isinstance(value, list):
            out[name] = [_element(element, item) if isinstance(item, dict) else item for item in value]
    return out


def _element(element: type[BaseModel], value: dict[str, Any]) -> Any:
    try:
        key = (element, orjson.dumps(value))
    except orjson.JSONEncodeError:
        return value
    validated = _elements.get(key)
    if validated is None:
        try:
            validated = element(**value)
        except Exception:  # validated again in place: the resource reports (and repairs) it as before
            return value
        if len(_elements) >= ELEMENTS_LIMIT:
            _elements.clear()
        _elements[key] = validated
    return validated


@cache
def _element_fields(model: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """A resource's members whose type is a data-type model (alone or in an array), by JSON name."""
    fields = {}
    for name, field in model.model_fields.items():
        kind = field.annotation
        if get_origin(kind) in (Union, types.UnionType):
            choices = [arg for arg in get_args(kind) if arg is not type(None)]
            kind = choices[0] if len(choices) == 1 else None
        if get_origin(kind) is list:
            kind = get_args(kind)[0]
        element = getattr(kind, "get_model_klass", lambda: None)()
        if isinstance(element, type) and issubclass(element, BaseModel) and not issubclass(element, Resource):
            fields[field.alias or name] = element
    return fields


def _repair(data: dict[str, Any], error: Exception, subject_ref: str | None,
            model: type[BaseModel]) -> dict[str, Any] | None:
    if not isinstance(error, ValidationError):
        return None
    cleaned = without_empty(data)
    if cleaned != data:  # FHIR has no null or empty values: read the resource without them
        return cleaned  # type: ignore[no-any-return]
    conformed, changes = conform(data, model)
    if changes:  # one object where R4 has an array, a number sent as a string, ...
        return conformed
    repaired = dict(data)
    neutral = NEUTRAL_REQUIRED.get(str(data.get("resourceType")), {})
    changed = False
    for problem in error.errors():
        loc = problem.get("loc", ())
        if not loc:
            continue
        top = loc[0]
        if problem["type"] == "extra_forbidden" and len(loc) == 1 and top in repaired:
            del repaired[top]
            changed = True
        elif problem["type"] in ("missing", "model_field_validation.missing") and len(loc) == 1:
            if top in neutral:
                repaired[top] = neutral[top]
                changed = True
            elif top == "subject" and subject_ref:
                repaired["subject"] = {"reference": subject_ref}
                changed = True
    return repaired if changed else None
