"""The FHIR stage: one hook call's resources, each read once, handed to the mappers by type.

Every mapper works the same way on what this stage gives it: it selects on the resource's JSON (its code
in a concept set, its status, its date: fast, and remembered by content), then reads the values it needs
from the resource's R4 model (`Read.model`). A resource is validated with fhir.resources.R4B at most once
per call, on first use, here and nowhere else: a prefetch of thousands of Observations validates only the
few a criterion reads, and one that cannot be read is reported once (reading_report.py) and read by no
mapper. Free text is judged by one function of this stage, text_assertion.is_affirmed, through the concept
sets (terminology.ConceptSet.has_text).

What the call judges (the draft orders under review, or the active orders on record) is decided before
mapping, by the pipeline (cds_service.pipeline.data_for); no mapper reads the hook's name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhir.resources.R4B.servicerequest import ServiceRequest
from pydantic import BaseModel

from fhir_mappings.bundles import each_once
from fhir_mappings.indications import conditions_by_ref
from fhir_mappings.parse import parse, unreadable_reason

M = TypeVar("M", bound=BaseModel)
_UNREAD = object()


class Read(Generic[M]):
    """One resource of the call: its JSON (conformed to R4), which selection reads, and its R4 model,
    validated on first use and then kept (None when it cannot be read: reported, and skipped)."""

    __slots__ = ("json", "is_draft", "subject_ref", "_model", "_source")

    def __init__(self, json: Mapping[str, Any], subject_ref: str | None = None, is_draft: bool = False):
        self._source = json  # what is validated: a resource with a status of another JSON type stays unreadable
        if not isinstance(json.get("status"), str | None):  # selection reads it as absent (it compares codes)
            json = {k: v for k, v in json.items() if k != "status"}
        self.json: dict[str, Any] = cast(dict[str, Any], json)
        self.subject_ref = subject_ref
        self.is_draft = is_draft
        self._model: Any = _UNREAD  # the model once validated (None: unreadable)

    @property
    def resource_type(self) -> str:
        return str(self.json.get("resourceType"))

    @property
    def ref(self) -> str:
        return f"{self.json.get('resourceType')}/{self.json.get('id')}"

    @property
    def identity(self) -> str:
        """What makes two reads one resource: its type and id (a draft and its copy on record); a resource
        without an id is only itself (two drafts without ids are two orders)."""
        rid = self.json.get("id")
        return self.ref if isinstance(rid, str) and rid else f"{self.resource_type}#{id(self)}"

    @property
    def status(self) -> str | None:
        return self.json.get("status")

    @property
    def model(self) -> M | None:
        if self._model is _UNREAD:
            self._model = parse(cast(dict[str, Any], self._source), self.subject_ref)
        return cast("M | None", self._model)

    def model_as(self, kind: type[M]) -> M | None:
        """The model when the resource is of that kind and readable."""
        model = self.model
        return model if isinstance(model, kind) else None

    def unreadable_reason(self) -> str | None:
        """Why the resource cannot be read (None when it can, or is of a type the service does not read)."""
        if self._model is _UNREAD or self._model is None:
            return unreadable_reason(cast(dict[str, Any], self._source), self.subject_ref)
        return None

    def __repr__(self) -> str:
        return f"Read({self.ref}{', draft' if self.is_draft else ''})"


def reads(resources: Iterable[Mapping[str, Any]], subject_ref: str | None = None,
          is_draft: bool = False) -> tuple[Read[Any], ...]:
    """Resources as the stage reads them (also how tests hand a mapper a list of JSON resources)."""
    return tuple(Read(r, subject_ref, is_draft) for r in resources)


@dataclass(frozen=True)
class PatientRecord:
    """What one call holds about the patient, by type: the record (prefetch or fetched) and the drafts."""

    subject_ref: str
    patient: Read[Patient] | None = None
    conditions: tuple[Read[Condition], ...] = ()
    service_requests: tuple[Read[ServiceRequest], ...] = ()
    procedures: tuple[Read[Procedure], ...] = ()
    observations: tuple[Read[Observation], ...] = ()
    questionnaire_responses: tuple[Read[QuestionnaireResponse], ...] = ()
    recorded: tuple[Read[Any], ...] = ()  # every resource on record, in the order given
    drafts: tuple[Read[Any], ...] = ()  # every draft order of the call
    under_review: tuple[Read[Any], ...] = ()  # the drafts the clinician is acting on
    judges_record: bool = False  # no drafts to judge (patient-view): the active orders on record are judged
    # The Conditions' JSON by 'Condition/<id>', for the reasons orders give by reference (indications.py)
    conditions_by_ref: Mapping[str, dict[str, Any]] = field(default_factory=dict, compare=False, repr=False)

    def judged_orders(self) -> tuple[Read[Any], ...]:
        """The orders the call judges: the drafts under review, or the active orders on record."""
        if self.judges_record:
            return tuple(r for r in self.recorded if r.status == "active")
        return self.under_review


def patient_record(patient_id: str, recorded: Sequence[Mapping[str, Any]], drafts: Sequence[Mapping[str, Any]],
                   under_review: Sequence[Mapping[str, Any]], judges_record: bool) -> PatientRecord:
    """The stage's output for one call; `recorded` and the drafts are JSON already conformed to R4. A resource
    on record twice (two prefetch keys, two versions) is read once, its newest version (bundles.each_once)."""
    subject_ref = f"Patient/{patient_id}"
    on_record = reads(each_once(recorded), subject_ref)
    grouped: dict[str, list[Read[Any]]] = {}
    for read in on_record:
        grouped.setdefault(read.resource_type, []).append(read)
    patients = grouped.get("Patient", [])
    patient = next((p for p in patients if p.json.get("id") == patient_id), None) or next(iter(patients), None)
    draft_reads: dict[int, Read[Any]] = {id(d): Read(d, subject_ref, is_draft=True) for d in drafts}
    conditions = tuple(grouped.get("Condition", ()))
    return PatientRecord(
        subject_ref=subject_ref, patient=patient, conditions=conditions,
        service_requests=tuple(grouped.get("ServiceRequest", ())), procedures=tuple(grouped.get("Procedure", ())),
        observations=tuple(grouped.get("Observation", ())),
        questionnaire_responses=tuple(grouped.get("QuestionnaireResponse", ())), recorded=on_record,
        drafts=tuple(draft_reads.values()),
        under_review=tuple(draft_reads.get(id(d)) or Read(d, subject_ref, is_draft=True) for d in under_review),
        judges_record=judges_record,
        conditions_by_ref=conditions_by_ref(c.json for c in conditions),
    )
