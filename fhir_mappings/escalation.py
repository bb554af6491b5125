"""ServiceRequest and Procedure -> specialist referrals, return-to-activity clearances, hamstring repair.

Selected on the raw JSON by code and status before validation. Draft orders come first and count
whatever their status. Orders on record count unless revoked or entered in error; when `since` (the
episode's look-back start) is known, one authored before it belongs to an earlier episode and is left
out. A physical-therapy order is treatment, never a referral or a clearance, whatever its text. An order
that says not to do it (`doNotPerform`: 'do not refer', 'not cleared for sport') or only proposes it
(intent `proposal`: a suggestion nobody has decided on) is neither a referral nor a clearance.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.servicerequest import ServiceRequest

from cards.facts import ActivityClearance, Referral
from fhir_mappings.indications import is_for_another_problem
from fhir_mappings.record import Read
from fhir_mappings.terminology import ConceptSet, concept_set
from fhir_mappings.text_assertion import TextConcept, counted_mentions, not_affirmed
from fhir_mappings.therapy import is_physical_therapy
from fhir_mappings.timeutil import to_date

NOT_ON_RECORD = {"revoked", "entered-in-error"}
NOT_AN_ORDER = {"proposal"}  # ServiceRequest.intent: suggested, not decided
CLEARANCE_ON_RECORD = {"active", "draft"}
REPAIR_DONE = {"completed", "in-progress"}
REFERRAL_ANCHOR = "orthopaedic referral"  # a specialist-referral mention the conditions in a note are judged on


def referrals(drafts: Iterable[Read[Any]], recorded: Iterable[Read[ServiceRequest]], since: date | None,
              conditions: Mapping[str, dict[str, Any]] | None = None) -> tuple[Referral, ...]:
    """Referrals to sports medicine, orthopaedics or surgery; an order for the repair itself is surgical.
    One whose reason or body site is another problem (a shoulder, knee osteoarthritis: indications.py,
    `conditions` by 'Condition/<id>' resolving its reasonReference) is not a referral for the hamstring."""
    specialist, surgical = concept_set("specialist-referral"), concept_set("surgical-referral")
    repair, orthopaedic = concept_set("hamstring-repair"), concept_set("orthopaedic-referral")
    found = []
    for read in _service_requests(drafts, recorded, since):
        raw = read.json
        is_repair = repair.matches_concept(raw.get("code"))
        if not (is_repair or _names(specialist, raw)) or is_physical_therapy(raw):
            continue
        if is_for_another_problem(raw, conditions or {}) or is_conditional(raw):
            continue
        request = read.model_as(ServiceRequest)
        if request is not None:
            found.append(Referral(ref=f"ServiceRequest/{request.id}", is_draft=read.is_draft,
                                  is_surgical=is_repair or _names(surgical, raw),
                                  is_orthopaedic=_names(orthopaedic, raw)))
    return tuple(found)


def activity_clearances(drafts: Iterable[Read[Any]], recorded: Iterable[Read[ServiceRequest]],
                        since: date | None,
                        conditions: Mapping[str, dict[str, Any]] | None = None) -> tuple[ActivityClearance, ...]:
    """Orders for return to sport or full activity: the drafts, and those active on record. One for another
    problem ('Return to sport clearance - R shoulder', a knee's reasonCode: indications.py) is not the hamstring's."""
    full_activity = concept_set("return-to-activity")
    found = []
    for read in _service_requests(drafts, recorded, since):
        raw = read.json
        if not read.is_draft and raw.get("status") not in CLEARANCE_ON_RECORD:
            continue
        details: list[Any] = raw["orderDetail"] if isinstance(raw.get("orderDetail"), list) else []
        if is_physical_therapy(raw) or not (full_activity.matches_concept(raw.get("code"))
                                            or any(full_activity.matches_concept(d) for d in details)):
            continue
        if is_for_another_problem(raw, conditions or {}):
            continue
        request = read.model_as(ServiceRequest)
        if request is not None:
            found.append(ActivityClearance(ref=f"ServiceRequest/{request.id}", is_draft=read.is_draft,
                                           label=_label(request.code) or "Return to full activity"))
    return tuple(found)


def is_conditional(raw: dict[str, Any]) -> bool:
    """The order's notes or order details make it conditional ('Only if no improvement in 2 weeks', 'consider
    ortho if no better'): ConText's HYPOTHETICAL category, judged on a referral named before each text (the
    condition is the referral's) and on the specialist each text names. Other categories do not count here."""
    concept = concept_set("specialist-referral")._text_concept  # its phrases as ConText reads them
    if concept is None:
        return False
    hypothetical_only = replace(concept, counted=frozenset(not_affirmed() - {"HYPOTHETICAL"}))
    details: list[Any] = raw["orderDetail"] if isinstance(raw.get("orderDetail"), list) else []
    texts = [n.get("text") for n in raw.get("note") or [] if isinstance(n, dict)]
    texts += [d.get("text") for d in details if isinstance(d, dict)]
    for text in (t.strip() for t in texts if isinstance(t, str) and t.strip()):
        anchored = f"{REFERRAL_ANCHOR} {text}"
        if not any(start == 0 for start, _ in counted_mentions(anchored, hypothetical_only)):
            return True
        counted = {start for start, _ in counted_mentions(text, hypothetical_only)}
        if any(start not in counted for start in _mention_starts(text, concept)):
            return True
    return False


def _mention_starts(text: str, concept: TextConcept) -> list[int]:
    return [m.start() for m in concept.pattern.finditer(text.lower())]


def _label(code: Any) -> str | None:
    if code is None:
        return None
    return code.text or next((c.display for c in code.coding or [] if c.display), None)


def hamstring_repair_done(procedures: Iterable[Read[Procedure]]) -> bool:
    """A hamstring repair or reattachment completed or in progress."""
    repair = concept_set("hamstring-repair")
    return any(read.status in REPAIR_DONE and repair.matches_concept(read.json.get("code"))
               and read.model_as(Procedure) is not None for read in procedures)


def _names(members: ConceptSet, raw: dict[str, Any]) -> bool:
    return members.matches_concept(raw.get("code")) or members.matches_concept(raw.get("performerType"))


def _service_requests(drafts: Iterable[Read[Any]], recorded: Iterable[Read[ServiceRequest]],
                      since: date | None) -> Iterator[Read[ServiceRequest]]:
    """The draft ServiceRequests, then those on record in the episode, each once."""
    seen: set[str] = set()
    for read in [*drafts, *recorded]:
        if read.resource_type != "ServiceRequest" or read.identity in seen:
            continue
        seen.add(read.identity)
        if read.json.get("doNotPerform") is True or read.json.get("intent") in NOT_AN_ORDER:
            continue
        if read.is_draft:
            yield read
            continue
        authored = to_date(read.json.get("authoredOn"))
        if read.status in NOT_ON_RECORD or (since and authored and authored < since):
            continue
        yield read
