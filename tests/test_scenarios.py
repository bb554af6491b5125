"""Scenario fixtures: whole hook requests with their expected outcome written inside, at a fixed date.

Each `tests/fixtures/hooks/*.json` holds `description`, `asOf`, `service`, `request` and `expected`
(`status`, and for 200 the exact list of `criteria` ids in card order). Every card is checked against
the CDS Hooks response model and every suggested resource against fhir.resources R4B.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cds_service import create_app
from cds_service.schemas import CdsResponse
from tests.validation import assert_valid_r4_actions

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "hooks").glob("*.json"))


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_scenario(path: Path, settings: dict[str, Any]) -> None:
    scenario = load(path)
    as_of = date.fromisoformat(scenario["asOf"])
    client = create_app(settings, today=lambda: as_of).test_client()
    response = client.post(f"/cds-services/{scenario['service']}", json=scenario["request"])
    expected = scenario["expected"]
    assert response.status_code == expected.get("status", 200), response.get_json()
    if response.status_code != 200:
        return
    body = response.get_json()
    CdsResponse.model_validate(body)
    fired = [card["source"]["topic"]["code"] for card in body["cards"]]
    assert fired == expected["criteria"], scenario["description"]
    for card in body["cards"]:
        assert_valid_r4_actions(card)


def test_every_criterion_has_a_scenario() -> None:
    from cards.rules import ALL_CRITERIA

    covered = {c for path in FIXTURES for c in load(path)["expected"].get("criteria", [])}
    assert set(ALL_CRITERIA) <= covered, f"criteria without a scenario fixture: {set(ALL_CRITERIA) - covered}"
