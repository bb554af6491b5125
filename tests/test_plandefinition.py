"""The guideline as a FHIR R4 PlanDefinition (issue 16 §3): served at GET /guideline/PlanDefinition and written by
`hamstring-cds guideline export`; valid for fhir.resources.R4B, no nulls or empty members, one action per criterion
with its condition, thresholds in force, triggers and citations (real DOIs only, local policy labelled)."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.plandefinition import PlanDefinition
from flask.testing import FlaskClient

from cards.catalogue import fires_when
from cards.config import load_guideline
from cds_service import create_app, plandefinition
from cds_service.cli import main
from cds_service.plandefinition import INDICATOR, NEXT_REVIEW, SILENT, THRESHOLD, plan_definition
from tests.builders import AS_OF
from tests.test_health_and_config import ROOT, guideline_variant

URL = "/guideline/PlanDefinition"


def empty_members(value: Any, path: str = "$") -> list[str]:
    if value is None or value == "" or value == [] or value == {}:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in empty_members(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in empty_members(v, f"{path}[{i}]")]
    return []


def thresholds_of(action: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for ext in action["extension"]:
        if ext["url"] == THRESHOLD:
            parts = {e["url"]: e for e in ext["extension"]}
            value = parts["value"]
            out[parts["name"]["valueString"]] = next(v for k, v in value.items() if k.startswith("value"))
    return out


def test_served_resource_is_a_valid_r4_plan_definition_without_empty_members(client: FlaskClient) -> None:
    response = client.get(URL)
    assert response.status_code == 200 and response.mimetype == "application/fhir+json"
    body = response.get_json()
    model = PlanDefinition.model_validate(body)
    assert json.loads(model.model_dump_json()) == body  # nothing dropped or coerced by the R4 model
    assert empty_members(body) == []
    guideline = load_guideline()
    lifecycle = guideline.lifecycle
    assert (body["type"]["coding"][0]["code"], body["status"], body["version"]) == (
        "eca-rule", lifecycle.status, guideline.meta.version)
    assert (body["approvalDate"], body["lastReviewDate"], body["effectivePeriod"]) == (
        str(lifecycle.approval_date), str(lifecycle.last_review_date), {"start": str(lifecycle.effective_start)})
    assert {"url": NEXT_REVIEW, "valueDate": str(lifecycle.next_review_date)} in body["extension"]
    assert body["identifier"][0]["value"] == guideline.sha256 and body["url"] == guideline.meta.canonical_url


def test_one_action_per_criterion_with_its_condition_thresholds_triggers_and_flags(client: FlaskClient) -> None:
    body = client.get(URL).get_json()
    guideline = load_guideline()
    assert [a["id"] for a in body["action"]] == list(guideline.file.criteria)
    for action in body["action"]:
        cid, cfg = action["id"], guideline.criterion(action["id"])
        assert action["code"][0]["coding"][0] == {"system": guideline.meta.topic_system, "code": cid,
                                                  "display": cfg.title}
        assert action["description"] == fires_when(guideline, cid)
        assert action["condition"] == [{"kind": "applicability", "expression": {
            "description": f"{cid} fires when", "language": "text/plain", "expression": fires_when(guideline, cid)}}]
        assert thresholds_of(action) == guideline.template_values(cid)
        assert {"url": INDICATOR, "valueCode": cfg.indicator} in action["extension"]
        assert {"url": SILENT, "valueBoolean": cfg.silent} in action["extension"]
        assert action["trigger"] == [{"type": "named-event", "name": h}
                                     for h in ("order-sign", "order-select", "patient-view")]
    ham01 = next(a for a in body["action"] if a["id"] == "HAM-01")
    assert thresholds_of(ham01)["min_program_days"] == 84 and "84" in ham01["description"]


def test_citations_are_the_configured_dois_and_local_policy_is_labelled_as_such(client: FlaskClient) -> None:
    body = client.get(URL).get_json()
    raw = tomllib.loads((ROOT / "cards" / "guideline.toml").read_text())
    dois = {f"https://doi.org/{e['doi']}" for e in raw["evidence"].values() if "doi" in e}
    urls = set(re.findall(r'"url": "(https?://[^"]+)"', json.dumps(body)))
    assert urls - {"http://terminology.hl7.org/CodeSystem/plan-definition-type"} <= dois  # no invented DOI
    for action in body["action"]:
        cfg = raw["criteria"][action["id"]]
        documentation = action.get("documentation", [])
        citations = [d for d in documentation if d["type"] == "citation"]
        assert [d["citation"] for d in citations] == [raw["evidence"][e]["citation"] for e in cfg.get("evidence", [])]
        assert all(d["url"] == f"https://doi.org/{raw['evidence'][e]['doi']}"
                   for d, e in zip(citations, cfg.get("evidence", []), strict=True))
        local = [d for d in documentation if d["type"] == "justification"]
        if "local_policy" in cfg:
            assert local == [{"type": "justification", "label": "local guideline policy",
                              "display": "Local guideline policy", "citation": cfg["local_policy"]}]
        else:
            assert local == []
    ham11 = next(a for a in body["action"] if a["id"] == "HAM-11")
    assert len([d for d in ham11["documentation"] if d["type"] == "citation"]) == 3
    assert {d["url"] for d in body["relatedArtifact"]} == {
        f"https://doi.org/{raw['evidence'][e]['doi']}" for c in raw["criteria"].values() for e in c.get("evidence", [])}


def test_a_threshold_changed_in_review_changes_the_resource(tmp_path: Path, settings: dict[str, Any]) -> None:
    path = guideline_variant(tmp_path, "min_program_days = 84", "min_program_days = 77")
    resource = plan_definition(load_guideline(path))
    ham01 = next(a for a in resource["action"] if a["id"] == "HAM-01")
    assert thresholds_of(ham01)["min_program_days"] == 77 and "77" in ham01["description"]
    PlanDefinition.model_validate(resource)


def test_public_with_discovery_and_not_a_cds_service(auth_client: FlaskClient, auth_settings: dict[str, Any]) -> None:
    assert auth_client.get(URL).status_code == 200  # discovery endpoints are public by default
    services = {s["id"] for s in auth_client.get("/cds-services").get_json()["services"]}
    assert "guideline" not in services and "PlanDefinition" not in services
    closed = create_app({**auth_settings, "auth": {**auth_settings["auth"], "public_endpoints": ["health"]}},
                        today=lambda: AS_OF)
    assert closed.test_client().get(URL).status_code == 401
    assert "/guideline/PlanDefinition" in closed.extensions["cds"].openapi["paths"]


def test_export_prints_what_the_service_serves(client: FlaskClient, capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path) -> None:
    assert main(["guideline", "export"]) == 0
    assert json.loads(capsys.readouterr().out) == client.get(URL).get_json()
    target = tmp_path / "plan.json"
    assert main(["guideline", "export", "--output", str(target)]) == 0
    assert json.loads(target.read_text()) == client.get(URL).get_json()
    assert f"written to {target}" in capsys.readouterr().err


def test_export_of_a_draft_with_an_end_date_and_of_a_retired_guideline(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    shipped = '[lifecycle]\nstatus = "active"\napproval_date = 2026-10-28\n'
    draft = guideline_variant(tmp_path, shipped, '[lifecycle]\nstatus = "draft"\n').read_text()
    draft_file = tmp_path / "draft.toml"
    draft_file.write_text(draft.replace("effective_start = 2026-11-01",
                                        "effective_start = 2026-11-01\neffective_end = 2027-12-31"))
    assert main(["guideline", "export", "--guideline", str(draft_file)]) == 0
    resource = json.loads(capsys.readouterr().out)
    PlanDefinition.model_validate(resource)
    assert resource["status"] == "draft" and "approvalDate" not in resource
    assert resource["effectivePeriod"] == {"start": "2026-11-01", "end": "2027-12-31"}
    retired = guideline_variant(tmp_path, '[lifecycle]\nstatus = "active"', '[lifecycle]\nstatus = "retired"')
    assert main(["guideline", "export", "--guideline", str(retired)]) == 0  # archived, not run
    assert json.loads(capsys.readouterr().out)["status"] == "retired"


@pytest.mark.parametrize(("guideline_id", "name"), [("hamstring-pain-during-pt", "HamstringPainDuringPt"),
                                                    ("2026.hamstring", "Guideline2026Hamstring")])
def test_the_computable_name_starts_with_a_letter(guideline_id: str, name: str) -> None:
    assert plandefinition._computable_name(guideline_id) == name
