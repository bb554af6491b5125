"""The mapping layer hands ClinicalFacts typed fact groups, field by field, and never reads the hook's name:
what a call judges is decided by the pipeline (cds_service.pipeline.data_for)."""

from __future__ import annotations

import ast
from dataclasses import fields
from pathlib import Path

from cards.facts import ClinicalFacts
from cds_service.pipeline import data_for
from fhir_mappings.monitoring import MonitoringFacts
from fhir_mappings.orders import OrderFacts
from tests import builders as b

MAPPINGS = Path(__file__).resolve().parents[1] / "fhir_mappings"


def test_every_fact_group_field_is_a_clinical_facts_field() -> None:
    for group in (MonitoringFacts, OrderFacts):
        assert {f.name for f in fields(group)} <= set(ClinicalFacts.model_fields), group.__name__


def test_no_mapper_reads_the_hook_name() -> None:
    for path in MAPPINGS.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in ("order-sign", "order-select", "patient-view"):
                raise AssertionError(f"{path.name}:{node.lineno} decides by the hook's name")


def test_the_pipeline_decides_what_each_hook_judges() -> None:
    pt, rest = b.pt_order("pt-1"), b.pt_order("pt-2")
    sign = data_for("order-sign", b.PATIENT_ID, (pt, rest))
    assert sign.under_review == (pt, rest) and not sign.judges_record
    select = data_for("order-select", b.PATIENT_ID, (pt, rest), frozenset({"ServiceRequest/pt-2"}))
    assert select.under_review == (rest,) and select.draft_orders == (pt, rest)
    view = data_for("patient-view", b.PATIENT_ID)
    assert view.under_review == () and view.judges_record
