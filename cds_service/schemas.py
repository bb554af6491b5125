"""Wire models (pydantic) for CDS Hooks 2.0 requests, feedback and responses.

Requests ignore unknown members and `extension` (spec: Extensions). Responses are modelled so tests
and the OpenAPI document can check every card the renderer produces.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


class Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class FhirAuthorization(Lenient):
    access_token: str = ""
    token_type: str | None = None
    expires_in: int | None = None
    scope: str | None = None
    subject: str | None = None
    patient: str | None = None


class HookRequest(Lenient):
    hook: str = Field(min_length=1)
    hookInstance: str = Field(min_length=1)
    fhirServer: str | None = None
    fhirAuthorization: FhirAuthorization | None = None
    context: dict[str, Any]
    prefetch: dict[str, Any] | None = None

    @model_validator(mode="after")
    def server_with_authorization(self) -> HookRequest:
        if self.fhirAuthorization is not None and not self.fhirServer:
            raise ValueError("fhirServer is required when fhirAuthorization is sent")
        return self


class PatientViewContext(Lenient):
    userId: str = Field(min_length=1)
    patientId: str
    encounterId: str | None = None

    @field_validator("patientId")
    @classmethod
    def plain_fhir_id(cls, value: str) -> str:
        value = value.removeprefix("Patient/")
        if not FHIR_ID.match(value):
            raise ValueError("patientId must be a FHIR id ([A-Za-z0-9-.], at most 64 characters)")
        return value


class DraftOrdersBundle(Lenient):
    resourceType: Literal["Bundle"]
    entry: list[dict[str, Any]] = []


class OrderSignContext(PatientViewContext):
    draftOrders: DraftOrdersBundle


SELECTION_FORM = ("each selection is a draft order's reference 'ResourceType/id' (CDS Hooks order-select), "
                  "e.g. 'MedicationRequest/123', naming an order in draftOrders")


class OrderSelectContext(OrderSignContext):
    selections: list[str] = Field(min_length=1)

    @field_validator("selections")
    @classmethod
    def selections_name_drafts(cls, selections: list[str], info: ValidationInfo) -> list[str]:
        """Each selection as the `ResourceType/id` of a draft order. A bare id, an absolute URL ending in
        the reference, or an entry's fullUrl is matched to the one draft it names; a selection naming no
        draft (or several) is refused, since judging nothing would be an empty answer the EHR reads as
        'no advice'."""
        refs: dict[str, str] = {}
        by_id: dict[str, list[str]] = {}
        drafts = info.data.get("draftOrders")
        for entry in drafts.entry if isinstance(drafts, DraftOrdersBundle) else []:
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
                continue
            ref = f"{resource['resourceType']}/{resource.get('id')}"
            refs[ref] = ref
            if isinstance(entry.get("fullUrl"), str):
                refs[entry["fullUrl"]] = ref
            by_id.setdefault(str(resource.get("id")), []).append(ref)
        return [cls._draft_named(s, refs, by_id) for s in selections]

    @staticmethod
    def _draft_named(selection: str, refs: dict[str, str], by_id: dict[str, list[str]]) -> str:
        text = selection.strip()
        tail = "/".join(text.rstrip("/").split("/")[-2:])
        found = refs.get(text) or refs.get(tail)
        if found is None and "/" not in text and len(by_id.get(text, [])) == 1:
            found = by_id[text][0]
        if found is None:
            why = "names several draft orders" if len(by_id.get(text, [])) > 1 else "names no draft order"
            raise ValueError(f"{SELECTION_FORM}; {text[:80]!r} {why}")
        return found


CONTEXT_MODELS: dict[str, type[PatientViewContext]] = {
    "patient-view": PatientViewContext,
    "order-sign": OrderSignContext,
    "order-select": OrderSelectContext,
}


class Coding(Lenient):
    system: str | None = None
    code: str | None = None
    display: str | None = None


class OverrideReason(Lenient):
    reason: Coding | None = None
    userComment: str | None = None

    @model_validator(mode="after")
    def reason_or_comment(self) -> OverrideReason:
        if self.reason is None and not self.userComment:
            raise ValueError("overrideReason needs a reason or a userComment")
        return self


class AcceptedSuggestion(Lenient):
    id: str = Field(min_length=1)


class FeedbackItem(Lenient):
    card: str = Field(min_length=1)
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] | None = None
    overrideReason: OverrideReason | None = None
    outcomeTimestamp: AwareDatetime

    @field_validator("card")
    @classmethod
    def is_a_card_uuid(cls, value: str) -> str:
        """Every card this service answers has a UUID: any other id (a placeholder such as '<card uuid>') can name
        none of them, so it is refused with 400 instead of being stored as feedback on an unknown card. Kept in the
        canonical form the cards carry, so one sent upper-case, braced or as a urn:uuid still finds its card."""
        try:
            return str(uuid.UUID(value))
        except ValueError:
            raise ValueError("card must be the uuid of a card this service returned") from None

    @field_validator("outcomeTimestamp")
    @classmethod
    def representable_in_utc(cls, value: datetime) -> datetime:
        """A time the audit trail can store in UTC (year 1 at +05:00 is not): refused with 400, never a 500."""
        try:
            value.astimezone(UTC)
        except (OverflowError, ValueError):
            raise ValueError("outcomeTimestamp is out of range once converted to UTC") from None
        return value

    @model_validator(mode="after")
    def accepted_names_suggestions(self) -> FeedbackItem:
        if self.outcome == "accepted" and not self.acceptedSuggestions:
            raise ValueError("acceptedSuggestions is required when outcome is accepted")
        return self


class FeedbackRequest(Lenient):
    feedback: list[FeedbackItem] = Field(min_length=1)


# Response side: strict, so a test fails on any member the spec does not define.
class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ResponseCoding(Strict):
    system: str = Field(min_length=1)
    code: str = Field(min_length=1)
    display: str = Field(min_length=1)


class Source(Strict):
    label: str = Field(min_length=1)
    url: str | None = None
    icon: str | None = None
    topic: ResponseCoding | None = None


class Action(Strict):
    type: Literal["create", "update", "delete"]
    description: str = Field(min_length=1)
    resource: dict[str, Any] | None = None
    resourceId: str | None = None

    @model_validator(mode="after")
    def resource_for_type(self) -> Action:
        if self.type in ("create", "update") and not self.resource:
            raise ValueError(f"{self.type} action needs a whole resource")
        if self.type == "delete" and (not self.resourceId or self.resource is not None):
            raise ValueError("delete action needs resourceId and no resource")
        return self


class Suggestion(Strict):
    label: str = Field(min_length=1)
    uuid: str = Field(min_length=1)
    isRecommended: bool | None = None
    actions: list[Action] = Field(min_length=1)


class Link(Strict):
    label: str = Field(min_length=1)
    url: str = Field(min_length=1)
    type: Literal["absolute", "smart"]
    appContext: str | None = None


class Card(Strict):
    uuid: str = Field(min_length=1)
    summary: str = Field(min_length=1, max_length=139)
    detail: str | None = Field(default=None, min_length=1)
    indicator: Literal["info", "warning", "critical"]
    source: Source
    suggestions: list[Suggestion] | None = Field(default=None, min_length=1)
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    overrideReasons: list[ResponseCoding] | None = Field(default=None, min_length=1)
    links: list[Link] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def selection_with_suggestions(self) -> Card:
        if self.suggestions and not self.selectionBehavior:
            raise ValueError("selectionBehavior is required with suggestions")
        if self.selectionBehavior == "at-most-one" and sum(bool(s.isRecommended) for s in self.suggestions or []) > 1:
            raise ValueError("at most one suggestion may be recommended with at-most-one")
        return self


class CdsResponse(Strict):
    cards: list[Card]


class ServiceDefinition(Strict):
    hook: str
    id: str
    title: str
    description: str
    usageRequirements: str | None = None
    prefetch: dict[str, str] | None = None


class Discovery(Strict):
    services: list[ServiceDefinition]


def timestamp_utc(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")
