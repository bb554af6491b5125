"""The FHIR stage (fhir_mappings/record.py): each resource of a call is validated at most once, in one
place, and every mapper reads the models it hands out."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.servicerequest import ServiceRequest

from cds_service.pipeline import data_for
from fhir_mappings import record
from fhir_mappings.facts import build_facts, read_record
from fhir_mappings.reading_report import reading_report
from tests import builders as b
from tests.builders import AS_OF

MAPPINGS = Path(__file__).resolve().parent.parent / "fhir_mappings"
# The only modules that validate FHIR: the stage (reading the call's resources) and the suggestions'
# editor (validating the edited copy of a draft order it hands back to the EHR; the editors it applies,
# program_edits.py and course_edits.py, read the model it hands them and validate nothing).
VALIDATING_MODULES = {"parse.py", "record.py", "order_edits.py"}
# What validates, or groups resources for the stage, by the module that offers it.
VALIDATING_IMPORTS = {"fhir_mappings.parse": {"parse", "unreadable_reason"}, "fhir_mappings.bundles": {"by_type"},
                      "fhir_mappings.validated_elements": {"with_validated_elements"}}


def test_only_the_stage_and_the_order_editor_validate_resources() -> None:
    offenders = []
    for path in sorted(MAPPINGS.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in VALIDATING_IMPORTS:
                names = {alias.name for alias in node.names}
                if names & VALIDATING_IMPORTS[node.module] and path.name not in VALIDATING_MODULES:
                    offenders.append(f"{path.name}: {sorted(names)}")
    assert offenders == []


def counted_parses(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    counts: Counter[str] = Counter()
    real = record.parse

    def counting(data: dict[str, Any], subject_ref: str | None = None) -> Any:
        counts[f"{data.get('resourceType')}/{data.get('id')}"] += 1
        return real(data, subject_ref)

    monkeypatch.setattr(record, "parse", counting)
    return counts


def busy_call(hook: str = "order-sign") -> Any:
    """A call where one physical-therapy order is read by several mappers (plans, order reasons, referrals,
    clearances) and a hamstring Condition by several (population, weakness, order reasons)."""
    pt = b.pt_order("pt-1", content=[{"text": "Eccentric Nordic hamstring curls"}], **b.weekly(12),
                    reasonReference=[{"reference": "Condition/cond-1"}])
    recorded_pt = b.pt_order("pt-0", status="active", **b.weekly(4))
    prefetch = {"patient": b.patient(), "conditions": b.bundle(b.condition()),
                "serviceRequests": b.bundle(recorded_pt, b.referral("ref-1")),
                "procedures": b.bundle(*b.sessions("2026-10-01", 4)),
                "observations": b.bundle(b.pain_score("2026-11-20", 4), b.strength("2026-11-20", 80))}
    drafts = (pt,) if hook != "patient-view" else ()
    return data_for(hook=hook, patient_id=b.PATIENT_ID, draft_orders=drafts, prefetch=prefetch)


@pytest.mark.parametrize("hook", ["order-sign", "patient-view"])
def test_each_resource_is_validated_at_most_once_per_call(monkeypatch: pytest.MonkeyPatch, hook: str) -> None:
    counts = counted_parses(monkeypatch)
    facts = build_facts(busy_call(hook), AS_OF)
    assert facts.hamstring_injuries and facts.therapy_plans and facts.pain_scores  # the mappers did read them
    assert counts and max(counts.values()) == 1, counts


def test_a_resource_no_criterion_reads_is_not_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    noise = [b.pain_score("2026-11-20", 70, oid=f"hr-{i}", code="8867-4") for i in range(50)]
    data = data_for(hook="patient-view", patient_id=b.PATIENT_ID,
                    prefetch={"patient": b.patient(), "conditions": b.bundle(b.condition()),
                              "observations": b.bundle(*noise)})
    counts = counted_parses(monkeypatch)
    build_facts(data, AS_OF)
    assert not any(ref.startswith("Observation/") for ref in counts)


def test_an_unreadable_resource_is_reported_once_and_read_by_no_mapper(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = b.condition() | {"id": "cond-bad", "onsetDateTime": "not a date"}
    data = data_for(hook="patient-view", patient_id=b.PATIENT_ID,
                    prefetch={"patient": b.patient(), "conditions": b.bundle(broken, b.condition())})
    counts = counted_parses(monkeypatch)
    with reading_report() as report:
        facts = build_facts(data, AS_OF)
    assert list(report.skipped) == ["Condition/cond-bad"]
    assert counts["Condition/cond-bad"] == 1
    assert [i.ref for i in facts.hamstring_injuries] == ["Condition/cond-1"]


def test_the_record_groups_resources_by_type_and_knows_what_the_call_judges() -> None:
    stage = read_record(busy_call("order-sign"))
    assert stage.patient is not None and stage.patient.ref == f"Patient/{b.PATIENT_ID}"
    assert [r.ref for r in stage.service_requests] == ["ServiceRequest/pt-0", "ServiceRequest/ref-1"]
    assert [r.ref for r in stage.under_review] == ["ServiceRequest/pt-1"]
    assert all(r.is_draft for r in stage.drafts) and not any(r.is_draft for r in stage.recorded)
    assert [r.ref for r in stage.judged_orders()] == ["ServiceRequest/pt-1"]
    assert stage.conditions_by_ref["Condition/cond-1"] is stage.conditions[0].json
    viewed = read_record(busy_call("patient-view"))
    assert viewed.judges_record  # the active orders on record: the PT order and the referral
    assert [r.ref for r in viewed.judged_orders()] == ["ServiceRequest/pt-0", "ServiceRequest/ref-1"]


def test_a_read_resource_keeps_its_model(monkeypatch: pytest.MonkeyPatch) -> None:
    counts = counted_parses(monkeypatch)
    (read,) = record.reads([b.pt_order("pt-9")], f"Patient/{b.PATIENT_ID}")
    assert read.model is not None and read.model_as(ServiceRequest) is read.model and not read.is_draft
    assert counts["ServiceRequest/pt-9"] == 1
