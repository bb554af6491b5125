"""Suggestions that edit the same draft compose, edits only move an order toward the guideline, HAM-02 raises
the frequency of a program already long enough, and resuming therapy replaces the draft that stops it.
(The whole-answer property over every example and fixture is tests/test_accepting_suggestions.py.)"""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from fhir_mappings.parse import parse
from fhir_mappings.program_plan import planned_days, planned_sessions
from tests import builders as b
from tests.test_accepting_suggestions import accept

SIGN = "/cds-services/hamstring-rehab-order-sign"


def cards(client: FlaskClient, body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    response = client.post(SIGN, json=body)
    assert response.status_code == 200, response.get_json()
    return {card["source"]["topic"]["code"]: card for card in response.get_json()["cards"]}


def draft(body: dict[str, Any], ref: str) -> dict[str, Any]:
    return next(e["resource"] for e in body["context"]["draftOrders"]["entry"]
                if f"{e['resource']['resourceType']}/{e['resource']['id']}" == ref)


def test_accepting_ham01_then_ham02_keeps_the_longer_program(client: FlaskClient) -> None:
    body = b.hook_request(drafts=[b.pt_order(content=[], **b.weekly(4, 2))])
    first = cards(client, body)
    assert {"HAM-01", "HAM-02", "HAM-03", "HAM-04"} <= set(first)
    after = accept(accept(body, first["HAM-01"]["suggestions"][0]), first["HAM-02"]["suggestions"][0])
    order = parse(draft(after, "ServiceRequest/pt-1"), "Patient/pat-1")
    assert planned_days(order)[0] >= 84 and planned_sessions(order)[0] >= 12
    assert cards(client, after) == {}


def test_each_update_of_one_draft_carries_the_others_and_says_so(client: FlaskClient) -> None:
    body = b.hook_request(drafts=[b.pt_order(content=[], **b.weekly(4, 2))])
    found = cards(client, body)
    resources = [found[c]["suggestions"][0]["actions"][0]["resource"] for c in ("HAM-01", "HAM-02", "HAM-03", "HAM-04")]
    assert all(r == resources[0] for r in resources)  # one coherent order, whichever is accepted
    details = [d["text"] for d in resources[0]["orderDetail"]]
    assert len(details) == len(set(details)) >= 2  # HAM-03's and HAM-04's exercise work, each once
    for code in ("HAM-01", "HAM-03"):
        assert "other cards suggest" in found[code]["suggestions"][0]["actions"][0]["description"]


def test_a_single_card_on_a_draft_says_nothing_of_other_edits(client: FlaskClient) -> None:
    body = b.hook_request(drafts=[b.pt_order(**b.weekly(4, 4))])  # 16 sessions in 4 weeks: HAM-01 only
    found = cards(client, body)
    assert set(found) == {"HAM-01"}
    assert "other cards" not in found["HAM-01"]["suggestions"][0]["actions"][0]["description"]


def test_ham02_on_a_long_enough_program_raises_the_frequency_not_the_length(client: FlaskClient) -> None:
    order = b.pt_order(occurrenceTiming={"repeat": {
        "boundsDuration": {"value": 16, "unit": "weeks", "system": b.UCUM, "code": "wk"},
        "frequency": 1, "period": 2, "periodUnit": "wk"}})  # 8 sessions over 16 weeks
    body = b.hook_request(drafts=[order])
    found = cards(client, body)
    assert set(found) == {"HAM-02"}
    suggestion = found["HAM-02"]["suggestions"][0]
    assert "a week" in suggestion["label"] and "same program length" in suggestion["label"]
    after = draft(accept(body, suggestion), "ServiceRequest/pt-1")
    parsed = parse(after, "Patient/pat-1")
    assert planned_days(parsed)[0] == 112 and planned_sessions(parsed)[0] >= 12
    assert after["occurrenceTiming"]["repeat"]["frequency"] == 1 and after["occurrenceTiming"]["repeat"]["period"] == 1
    assert cards(client, accept(body, suggestion)) == {}


def test_ham02_on_a_short_program_extends_it_and_says_so(client: FlaskClient) -> None:
    order = b.pt_order(**b.weekly(14, 1))
    order["occurrenceTiming"]["repeat"]["boundsDuration"]["value"] = 10  # 10 sessions over 10 weeks
    found = cards(client, b.hook_request(drafts=[order]))
    assert "extends the program" in found["HAM-02"]["suggestions"][0]["label"]


def test_resuming_therapy_deletes_the_draft_that_stops_it(client: FlaskClient) -> None:
    stop = {"resourceType": "ServiceRequest", "id": "dc-1", "status": "draft", "intent": "order",
            "subject": b.SUBJECT, "code": {"text": "D/C physical therapy"},
            "note": [{"text": "Patient reports pain with exercises"}]}
    body = b.hook_request(drafts=[stop], procedures=b.bundle(*b.sessions("2026-10-26", 4)))
    found = cards(client, body)
    actions = found["HAM-07"]["suggestions"][0]["actions"]
    assert [a["type"] for a in actions] == ["create", "delete"] and actions[1]["resourceId"] == "ServiceRequest/dc-1"
    after = accept(body, found["HAM-07"]["suggestions"][0])
    assert [e["resource"]["id"] for e in after["context"]["draftOrders"]["entry"]][0] != "dc-1"
    assert "HAM-07" not in cards(client, after)
