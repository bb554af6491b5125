"""The guideline in force as a FHIR R4 PlanDefinition (type eca-rule), built from `cards/guideline.toml`.

Served at GET /guideline/PlanDefinition and written by `hamstring-cds guideline export`. Metadata comes from
[guideline] and [lifecycle] (url, version, status, date, approvalDate, lastReviewDate, effectivePeriod; the next
review date, which R4 has no element for, and the configuration's SHA-256 as an extension and an identifier).
One action per criterion: id and code HAM-NN, its title, when it fires (the `fires_when` text with the thresholds
in force) as description and as a plain-text applicability condition, a named-event trigger per hook the
services answer, and its evidence as `documentation`: a citation with its DOI link, or statements no published
source supports labelled "local guideline policy" (terminology.md §5; no DOI is ever made up).

Thresholds are extensions on the action (name and typed value), not `dynamicValue`: in R4, dynamicValue sets a
value on the resource the action creates, whereas a threshold is a parameter of the condition.
"""

from __future__ import annotations

import re
from typing import Any

from cards.catalogue import fires_when
from cards.config import Evidence, Guideline
from cds_service.services import SERVICES

EXT = "urn:hamstring-rehab-cds:guideline"
THRESHOLD, NEXT_REVIEW = f"{EXT}:threshold", f"{EXT}:next-review-date"
INDICATOR, SILENT = f"{EXT}:card-indicator", f"{EXT}:silent"
SHA256_SYSTEM = f"{EXT}:configuration-sha256"
PLAN_TYPE = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/plan-definition-type",
                         "code": "eca-rule", "display": "ECA Rule"}]}
LOCAL_POLICY = "local guideline policy"


def plan_definition(guideline: Guideline) -> dict[str, Any]:
    meta, lifecycle = guideline.meta, guideline.lifecycle
    period = {"start": lifecycle.effective_start.isoformat()}
    if lifecycle.effective_end:
        period["end"] = lifecycle.effective_end.isoformat()
    resource: dict[str, Any] = {
        "resourceType": "PlanDefinition", "id": meta.id,
        "extension": [{"url": NEXT_REVIEW, "valueDate": lifecycle.next_review_date.isoformat()}],
        "url": meta.canonical_url or f"{EXT}:{meta.id}",
        "identifier": [{"system": SHA256_SYSTEM, "value": guideline.sha256}],
        "version": meta.version, "name": _computable_name(meta.id), "title": meta.title, "type": PLAN_TYPE,
        "status": lifecycle.status, "date": lifecycle.last_review_date.isoformat(),
        "description": f"{meta.source_label}: the criteria the CDS Hooks services check, with their thresholds "
                       "and evidence.",
    }
    if lifecycle.approval_date:
        resource["approvalDate"] = lifecycle.approval_date.isoformat()
    resource |= {"lastReviewDate": lifecycle.last_review_date.isoformat(), "effectivePeriod": period}
    cited = dict.fromkeys(e for cfg in guideline.file.criteria.values() for e in cfg.evidence)
    if cited:
        resource["relatedArtifact"] = [_citation(guideline.file.evidence[key]) for key in cited]
    resource["action"] = [_action(guideline, cid) for cid in guideline.file.criteria]
    return resource


def _action(guideline: Guideline, criterion_id: str) -> dict[str, Any]:
    cfg, meta = guideline.criterion(criterion_id), guideline.meta
    when = fires_when(guideline, criterion_id)
    extensions = [_threshold(name, value) for name, value in guideline.template_values(criterion_id).items()]
    extensions += [{"url": INDICATOR, "valueCode": cfg.indicator}, {"url": SILENT, "valueBoolean": cfg.silent}]
    documentation = [_citation(guideline.file.evidence[key]) for key in cfg.evidence]
    if cfg.local_policy:
        documentation.append({"type": "justification", "label": LOCAL_POLICY, "display": "Local guideline policy",
                              "citation": cfg.local_policy})
    action: dict[str, Any] = {
        "extension": extensions, "id": criterion_id, "title": cfg.title, "description": when,
        "code": [{"coding": [{"system": meta.topic_system, "code": criterion_id, "display": cfg.title}]}],
    }
    if documentation:
        action["documentation"] = documentation
    action["trigger"] = [{"type": "named-event", "name": hook}
                         for hook in dict.fromkeys(s.hook for s in SERVICES.values())]
    action["condition"] = [{"kind": "applicability", "expression": {
        "description": f"{criterion_id} fires when", "language": "text/plain", "expression": when}}]
    return action


def _threshold(name: str, value: Any) -> dict[str, Any]:
    typed: dict[str, Any]
    if isinstance(value, bool):
        typed = {"valueBoolean": value}
    elif isinstance(value, int):
        typed = {"valueInteger": value}
    elif isinstance(value, float):
        typed = {"valueDecimal": value}
    else:
        typed = {"valueString": str(value)}
    return {"url": THRESHOLD, "extension": [{"url": "name", "valueString": name}, {"url": "value", **typed}]}


def _citation(evidence: Evidence) -> dict[str, Any]:
    artifact: dict[str, Any] = {"type": "citation", "display": evidence.supports, "citation": evidence.citation}
    if evidence.doi:
        artifact["url"] = f"https://doi.org/{evidence.doi}"
    elif evidence.url:
        artifact["url"] = evidence.url
    return artifact


def _computable_name(guideline_id: str) -> str:
    """PlanDefinition.name: a machine-friendly name starting with a capital letter (hamstring-pain -> HamstringPain)."""
    name = "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", guideline_id) if part)
    return name if name[:1].isalpha() else f"Guideline{name}"  # a name starts with a letter ('2026-x' too)
