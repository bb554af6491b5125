"""Suggestions edit the clinician's own draft in the form it uses, and accepting one clears the card."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from cds_service.schemas import CdsResponse
from tests.builders import UCUM, hook_request, pt_order, weekly
from tests.validation import assert_valid_r4_actions

SIGN = "/cds-services/hamstring-rehab-order-sign"

ORDERS = {
    "bounds-duration": pt_order("pt-1", **weekly(4, 2)),
    "bounds-period": pt_order("pt-1", occurrenceTiming={"repeat": {
        "boundsPeriod": {"start": "2026-11-24", "end": "2026-12-21"},
        "frequency": 2, "period": 1, "periodUnit": "wk"}}),
    "occurrence-period-and-quantity": pt_order("pt-1", occurrencePeriod={"start": "2026-11-24", "end": "2027-01-04"},
                                               quantityQuantity={"value": 6, "unit": "sessions"}),
    "count-at-frequency": pt_order("pt-1", occurrenceTiming={"repeat": {
        "count": 8, "frequency": 2, "period": 1, "periodUnit": "wk"}}),
    "count-in-days": pt_order("pt-1", occurrenceTiming={"repeat": {
        "count": 10, "frequency": 1, "period": 3, "periodUnit": "d"}}),
}


def cards_for(client: FlaskClient, order: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.post(SIGN, json=hook_request("order-sign", [order]))
    assert response.status_code == 200
    body = response.get_json()
    CdsResponse.model_validate(body)
    return body["cards"]


def topic(card: dict[str, Any]) -> str:
    return card["source"]["topic"]["code"]


@pytest.mark.parametrize("form", sorted(ORDERS))
def test_accepting_a_suggestion_clears_its_criterion(client: FlaskClient, form: str) -> None:
    cards = cards_for(client, ORDERS[form])
    assert {topic(c) for c in cards} == {"HAM-01", "HAM-02"}
    for card in cards:
        assert_valid_r4_actions(card)
        action = card["suggestions"][0]["actions"][0]
        assert action["type"] == "update"
        updated = action["resource"]
        assert updated["id"] == "pt-1" and updated["code"] == ORDERS[form]["code"]
        assert topic(card) not in {topic(c) for c in cards_for(client, updated)}


def test_update_keeps_every_other_member_of_the_draft(client: FlaskClient) -> None:
    order = pt_order("pt-1", **weekly(4, 2))
    order["note"] = [{"text": "Nordic hamstring exercise, progressive loading"}]
    order["extension"] = [{"url": "http://example.org/x", "valueString": "keep me"}]
    card = next(c for c in cards_for(client, order) if topic(c) == "HAM-01")
    updated = card["suggestions"][0]["actions"][0]["resource"]
    assert updated["note"] == order["note"] and updated["extension"] == order["extension"]
    assert updated["occurrenceTiming"]["repeat"]["boundsDuration"] == {
        "value": 12, "unit": "weeks", "system": UCUM, "code": "wk"}
    assert updated["occurrenceTiming"]["repeat"]["frequency"] == 2


def test_period_end_is_moved_not_replaced(client: FlaskClient) -> None:
    card = next(c for c in cards_for(client, ORDERS["bounds-period"]) if topic(c) == "HAM-01")
    bounds = card["suggestions"][0]["actions"][0]["resource"]["occurrenceTiming"]["repeat"]["boundsPeriod"]
    assert bounds == {"start": "2026-11-24", "end": "2027-02-15"}  # 84 days (12 weeks) counting both ends


def test_quantity_is_raised_in_its_own_unit(client: FlaskClient) -> None:
    card = next(c for c in cards_for(client, ORDERS["occurrence-period-and-quantity"]) if topic(c) == "HAM-02")
    assert card["suggestions"][0]["actions"][0]["resource"]["quantityQuantity"] == {"value": 12, "unit": "sessions"}
