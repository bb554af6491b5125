"""The guideline's lifecycle and PlanDefinition with the audit store on SQLite and PostgreSQL (issue 16 §3): a draft
starts, /readyz stays ready with the lifecycle warning beside the store's state, and the PlanDefinition says draft."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fhir.resources.R4B.plandefinition import PlanDefinition
from flask import Flask

from tests.audit.support import SIGN, violating
from tests.test_health_and_config import guideline_variant


def test_a_draft_guideline_runs_warns_on_readyz_and_is_exported_as_draft(make_app: Callable[..., Flask],
                                                                          tmp_path: Path) -> None:
    draft = guideline_variant(tmp_path, '[lifecycle]\nstatus = "active"\napproval_date = 2026-10-28\n',
                              '[lifecycle]\nstatus = "draft"\n')
    app = make_app(guideline_file=draft)
    client = app.test_client()
    assert client.post(SIGN, json=violating()).get_json()["cards"]
    assert app.extensions["cds"].store.flush()
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "ready" and body["store"] == "ok"
    assert body["guideline"]["status"] == "draft"
    assert body["guideline"]["warnings"] == ["the guideline is a draft (status = \"draft\"): not approved for "
                                             "clinical use"]
    resource = client.get("/guideline/PlanDefinition").get_json()
    assert PlanDefinition.model_validate(resource).status == "draft" and "approvalDate" not in resource
