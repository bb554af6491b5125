"""Each audited call as a FHIR R4 GuidanceResponse following the CDS Hooks GuidanceResponse profile
(http://hl7.org/fhir/StructureDefinition/cdshooksguidanceresponse), for `hamstring-cds audit export
--format guidance-response` (a Bundle of them, written by cds_service/audit/export.py).

- `requestIdentifier`: the call's `hookInstance` (a call refused before its body said one: the call's
  audit record id, in this service's call system); `identifier`: the audit record id;
- `moduleUri` and the `cqf-cdsHooksEndpoint` extension: the service's endpoint under the public base
  URL (`--base-url`, else `CDS_PUBLIC_BASE_URL`); without one, a URN naming the service and the endpoint's path;
- `subject`: the patient reference only when the site stores it (`CDS_AUDIT_STORE_PATIENT_REFERENCE`),
  otherwise the keyed pseudonym as an identifier, never the patient's id;
- `status`: success (200), data-required (412: the data could not be had, nothing was evaluated),
  failure (any other refusal or error, whose message is a contained OperationOutcome);
- `outputParameters`: a contained Parameters with the guideline version and, per card, its criterion,
  indicator, summary, uuid, whether it was silent, and why it fired: the values observed and the
  thresholds in force, as the audit record holds them.
"""

from __future__ import annotations

from typing import Any

import orjson

from cds_service.errors import ISSUE_CODES

PROFILE = "http://hl7.org/fhir/StructureDefinition/cdshooksguidanceresponse"
ENDPOINT_EXTENSION = "http://hl7.org/fhir/StructureDefinition/cqf-cdsHooksEndpoint"
SYSTEM = "urn:hamstring-rehab-cds"
MAX_INTEGER = 2**31 - 1  # FHIR integer is 32-bit


def guidance_response(call: dict[str, Any], base_url: str | None = None) -> dict[str, Any]:
    """`call`: one call as `export.iter_calls` yields it (columns, cards with feedback)."""
    path = f"/cds-services/{call['service_id']}"
    endpoint = f"{base_url.rstrip('/')}{path}" if base_url else path
    module = f"{base_url.rstrip('/')}{path}" if base_url else f"{SYSTEM}:cds-services:{call['service_id']}"
    status = call["status"]
    request = ({"system": f"{SYSTEM}:hook-instance", "value": call["hook_instance"]} if call["hook_instance"]
               else {"system": f"{SYSTEM}:call", "value": call["record_id"]})
    resource: dict[str, Any] = {
        "resourceType": "GuidanceResponse",
        "id": call["record_id"],
        "meta": {"profile": [PROFILE]},
        "contained": [output_parameters(call)],
        "extension": [{"url": ENDPOINT_EXTENSION, "valueUri": endpoint}],
        "requestIdentifier": request,
        "identifier": [{"system": f"{SYSTEM}:call", "value": call["record_id"]}],
        "moduleUri": module,
        "status": "success" if status == 200 else "data-required" if status == 412 else "failure",
        "occurrenceDateTime": call["received_at"].isoformat() + "Z",
        "outputParameters": {"reference": "#output"},
    }
    subject = _subject(call)
    if subject:
        resource["subject"] = subject
    if status != 200:
        resource["contained"].append({"resourceType": "OperationOutcome", "id": "outcome",
                                      "issue": [_issue(status, call["error"])]})
        resource["evaluationMessage"] = [{"reference": "#outcome"}]
    return resource


def output_parameters(call: dict[str, Any]) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"name": "guidelineVersion", "valueString": call["guideline_version"]},
        {"name": "guidelineSha256", "valueString": call["guideline_sha256"]},
    ]
    if call.get("partial") is not None:
        parameters.append({"name": "partial", "valueBoolean": bool(call["partial"])})
    parameters += [{"name": "failedCriterion", "valueString": c} for c in call.get("failed_criteria") or []]
    for card in call["cards"]:
        part = [{"name": "criterion", "valueString": card["criterion_id"]},
                {"name": "indicator", "valueCode": card["indicator"]},
                {"name": "summary", "valueString": card["summary"]},
                {"name": "uuid", "valueString": card["uuid"]},
                {"name": "silent", "valueBoolean": bool(card["silent"])}]
        for name, values in (("observed", card["observed"]), ("thresholds", card["thresholds"])):
            typed = [{"name": str(key), **value} for key, value in
                     ((k, typed_value(v)) for k, v in (values or {}).items()) if value]
            if typed:  # no empty members
                part.append({"name": name, "part": typed})
        parameters.append({"name": "card", "part": part})
    return {"resourceType": "Parameters", "id": "output", "parameter": parameters}


def typed_value(value: Any) -> dict[str, Any]:
    """A JSON value as a FHIR value[x]; {} for nothing (None or an empty string)."""
    if value is None or value == "":
        return {}
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int) and abs(value) <= MAX_INTEGER:
        return {"valueInteger": value}
    if isinstance(value, int | float):
        return {"valueDecimal": value}
    if isinstance(value, str):
        return {"valueString": value}
    return {"valueString": orjson.dumps(value).decode()}


def _subject(call: dict[str, Any]) -> dict[str, Any] | None:
    if call.get("patient_ref"):
        return {"reference": call["patient_ref"]}
    if call.get("patient_pseudonym"):
        return {"identifier": {"system": f"{SYSTEM}:patient-pseudonym", "value": call["patient_pseudonym"]}}
    return None


def _issue(status: int, error: str | None) -> dict[str, Any]:
    issue: dict[str, Any] = {"severity": "error", "code": ISSUE_CODES.get(status, "processing")}
    if error:
        issue["diagnostics"] = error
    return issue
