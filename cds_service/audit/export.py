"""`hamstring-cds audit export`: calls with their cards (observed values, thresholds) and feedback, as
CSV (one row per card; a zero-card call is one row with empty card columns), JSON lines (one call per
line), FHIR R4 AuditEvents or FHIR R4 GuidanceResponses (cds_service/audit/guidance.py), each a Bundle with
one resource per call. Streamed in id order, in chunks.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, TextIO

import orjson
from sqlalchemy import Engine, select

from cds_service.audit.guidance import guidance_response
from cds_service.audit.models import calls, cards, feedback
from cds_service.audit.queries import as_dict
from cds_service.jsonutil import without_nulls

FORMATS = ("csv", "jsonl", "fhir", "guidance-response")
CHUNK = 1000
CSV_COLUMNS = ["call_id", "received_at", "service_id", "hook", "hook_instance", "status", "latency_ms",
               "patient_pseudonym", "user_ref", "jwt_iss", "guideline_version", "guideline_sha256", "card_uuid",
               "criterion_id", "indicator", "silent", "summary", "observed", "thresholds", "feedback_outcomes",
               "override_codes"]
SYSTEM = "urn:hamstring-rehab-cds"


def export_calls(engine: Engine, since: datetime, until: datetime | None, fmt: str, out: TextIO,
                 base_url: str | None = None) -> int:
    """`base_url`: the service's public URL, for the GuidanceResponses' module and endpoint."""
    rows = iter_calls(engine, since, until)
    if fmt == "fhir":
        return _bundle(rows, out, audit_event)
    if fmt == "guidance-response":
        return _bundle(rows, out, lambda call: guidance_response(call, base_url))
    return {"csv": _csv, "jsonl": _jsonl}[fmt](rows, out)


def iter_calls(engine: Engine, since: datetime, until: datetime | None) -> Iterator[dict[str, Any]]:
    last_id = 0
    with engine.connect() as db:
        while True:
            query = select(calls).where(calls.c.received_at >= since, calls.c.id > last_id)
            if until is not None:
                query = query.where(calls.c.received_at < until)
            chunk = [as_dict(r) for r in db.execute(query.order_by(calls.c.id).limit(CHUNK))]
            if not chunk:
                return
            by_id = {c["id"]: c for c in chunk}
            for call in chunk:
                call["cards"] = []
            rows = db.execute(select(cards).where(cards.c.call_id.in_(by_id)).order_by(cards.c.id))
            by_uuid = {}
            for row in rows:
                card = {k: v for k, v in as_dict(row).items() if k not in ("call_id", "received_at", "id")}
                card["feedback"] = []
                by_id[row.call_id]["cards"].append(card)
                by_uuid[row.uuid] = card
            if by_uuid:
                for fb in db.execute(select(feedback).where(feedback.c.card_uuid.in_(by_uuid))
                                     .order_by(feedback.c.id)):
                    by_uuid[fb.card_uuid]["feedback"].append(
                        {k: v for k, v in as_dict(fb).items() if k not in ("id", "card_uuid", "accepted_key")})
            yield from chunk
            last_id = chunk[-1]["id"]


def _csv(rows: Iterator[dict[str, Any]], out: TextIO) -> int:
    writer = csv.DictWriter(out, CSV_COLUMNS)
    writer.writeheader()
    count = 0
    for call in rows:
        count += 1
        base = {k: call[k] for k in CSV_COLUMNS[:12] if k != "call_id"} | {"call_id": call["id"]}
        for card in call["cards"] or [None]:
            row = dict(base)
            if card is not None:
                row |= {"card_uuid": card["uuid"], "criterion_id": card["criterion_id"],
                        "indicator": card["indicator"], "silent": card["silent"], "summary": card["summary"],
                        "observed": _json(card["observed"]), "thresholds": _json(card["thresholds"]),
                        "feedback_outcomes": ";".join(f["outcome"] for f in card["feedback"]),
                        "override_codes": ";".join(f["override_code"] or "" for f in card["feedback"]
                                                   if f["outcome"] == "overridden")}
            writer.writerow(row)
    return count


def _jsonl(rows: Iterator[dict[str, Any]], out: TextIO) -> int:
    count = 0
    for call in rows:
        count += 1
        out.write(_json(call) + "\n")
    return count


def _bundle(rows: Iterator[dict[str, Any]], out: TextIO, resource: Callable[[dict[str, Any]], dict[str, Any]]) -> int:
    """Written as it streams: the Bundle's opening, the entries, then its close. No calls: a Bundle without
    `entry` (FHIR JSON has no empty arrays)."""
    out.write('{"resourceType":"Bundle","type":"collection"')
    count = 0
    for call in rows:
        out.write(("," if count else ',"entry":[') + _json({"fullUrl": f"urn:uuid:{_uuid(call['record_id'])}",
                                                             "resource": resource(call)}))
        count += 1
    out.write("]}\n" if count else "}\n")
    return count


def audit_event(call: dict[str, Any]) -> dict[str, Any]:
    status = call["status"]
    guideline = f"{call['guideline_version']} sha256:{call['guideline_sha256']}"
    event: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": call["record_id"],
        "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest",
                 "display": "RESTful Operation"},
        "subtype": [{"system": "https://cds-hooks.hl7.org/hooks", "code": call["hook"] or "unknown"}],
        "action": "E",
        "recorded": call["received_at"].isoformat() + "Z",
        "outcome": "0" if status == 200 else "4" if status < 500 else "8",
        "agent": [{"requestor": True, "who": {"identifier": {"value": call["user_ref"] or "unknown"}}}],
        "source": {"observer": {"display": "hamstring-rehab-cds"},
                   "type": [{"system": "http://terminology.hl7.org/CodeSystem/security-source-type", "code": "4"}]},
        "entity": [{"what": {"identifier": {"system": f"{SYSTEM}:call", "value": call["record_id"]}},
                    "description": f"{call['service_id']} HTTP {status}",
                    "detail": [_detail("hookInstance", call["hook_instance"]),
                               _detail("latencyMs", call["latency_ms"]),
                               _detail("guideline", guideline)]}],
    }
    if call["error"]:
        event["outcomeDesc"] = call["error"]
    if call["jwt_iss"]:
        event["agent"].append({"requestor": False, "who": {"identifier": {"system": call["jwt_iss"],
                                                                          "value": call["jwt_jti"] or "none"}}})
    if call["patient_pseudonym"]:
        event["entity"].append({"what": {"identifier": {"system": f"{SYSTEM}:patient-pseudonym",
                                                        "value": call["patient_pseudonym"]}},
                                "role": {"system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1",
                                         "display": "Patient"}})
    for card in call["cards"]:
        detail = [_detail("indicator", card["indicator"]), _detail("silent", card["silent"]),
                  _detail("observed", _json(card["observed"])), _detail("thresholds", _json(card["thresholds"]))]
        detail += [_detail("feedback", f["outcome"] + (f" {f['override_code']}" if f["override_code"] else ""))
                   for f in card["feedback"]]
        event["entity"].append({"what": {"identifier": {"system": f"{SYSTEM}:card", "value": card["uuid"]}},
                                "name": card["criterion_id"], "description": card["summary"], "detail": detail})
    return event


def _detail(kind: str, value: Any) -> dict[str, Any]:
    return {"type": kind, "valueString": str(value)}


def _uuid(hex32: str) -> str:
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:32]}"


def _json(value: Any) -> str:
    return orjson.dumps(without_nulls(value), option=orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z).decode()


def export_text(engine: Engine, since: datetime, until: datetime | None, fmt: str,
                base_url: str | None = None) -> str:
    buffer = io.StringIO()
    export_calls(engine, since, until, fmt, buffer, base_url)
    return buffer.getvalue()
