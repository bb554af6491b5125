"""Hook answers have no null and no empty optional member (CDS Hooks "Use of JSON"), by construction:
card text comes from the validated guideline config, and suggestions carry copies of draft orders that
were cleaned once on the way in. Nothing walks the answer afterwards, so these tests are the guard."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from cds_service import create_app
from cds_service.jsonutil import without_empty
from fhir_mappings.order_edits import order_templates
from tests.builders import hook_request, pt_order, weekly

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
SCENARIOS = sorted((ROOT / "tests" / "fixtures" / "hooks").glob("*.json"))
SIGN = "/cds-services/hamstring-rehab-order-sign"


def assert_clean(body: dict[str, Any]) -> None:
    """`cards: []` is the one empty member the spec wants (no advice)."""
    assert isinstance(body.get("cards"), list)
    assert {"cards": [], **without_empty(body)} == body, "an answer has a null or empty member"


@pytest.mark.parametrize("path", EXAMPLES + SCENARIOS, ids=[p.stem for p in EXAMPLES + SCENARIOS])
def test_every_example_and_scenario_answer_is_clean(path: Path, settings: dict[str, Any]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    request, service, as_of = data, path.stem.rsplit("-", 1)[0], date(2026, 11, 23)
    if "request" in data:  # a scenario fixture: request with its service and date
        request, service, as_of = data["request"], data["service"], date.fromisoformat(data["asOf"])
    else:
        service = f"hamstring-rehab-{data['hook']}"
    client = create_app(settings, today=lambda: as_of).test_client()
    response = client.post(f"/cds-services/{service}", json=request)
    if response.status_code == 200:
        assert_clean(response.get_json())


def test_nulls_and_empty_members_of_a_draft_order_are_left_out_of_its_suggested_update(
        client: FlaskClient) -> None:
    draft = pt_order("pt-1", **weekly(4, 2))
    draft.update({"note": [], "performer": None, "meta": {}, "extension": [None],
                  "requester": {"reference": "Practitioner/pr-1", "display": ""}})
    draft["occurrenceTiming"]["repeat"]["offset"] = None
    body = client.post(SIGN, json=hook_request("order-sign", [draft])).get_json()
    assert_clean(body)
    resource = body["cards"][0]["suggestions"][0]["actions"][0]["resource"]
    assert resource["id"] == "pt-1" and resource["code"] == draft["code"]
    assert resource["requester"] == {"reference": "Practitioner/pr-1"}
    assert "offset" not in resource["occurrenceTiming"]["repeat"]
    assert [c["source"]["topic"]["code"] for c in body["cards"]] == ["HAM-01", "HAM-02"]  # the draft was read
    for member in ("note", "performer", "meta", "extension"):
        assert member not in resource


def test_order_templates_for_new_orders_are_clean() -> None:
    for name, template in order_templates().items():
        assert without_empty(template) == template, name
