"""Accepting suggestions leaves a coherent order: for every example and scenario fixture, accepting the first
suggestion of every card (in the order shown, and in reverse), or of any one card alone, and calling again
clears those cards and fires nothing new.

Accepting is done as an EHR does it: an `update` replaces the draft with the same id, a `delete` removes it,
a `create` adds the new draft order; on patient-view the orders are the recorded ones (serviceRequests,
medicationRequests prefetch).
"""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from cds_service import create_app
from tests.bundled import every_request

ROOT = Path(__file__).resolve().parents[1]
CASES = [(r.name, r.as_of, r.service, r.body) for r in every_request() if r.answers_with_cards]


def answer(client: FlaskClient, service: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    if body["hook"] == "order-select" and not body["context"]["selections"]:
        return []  # every selected order was removed: the EHR has nothing to ask about
    response = client.post(f"/cds-services/{service}", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["cards"]  # type: ignore[no-any-return]


def code(card: dict[str, Any]) -> str:
    return card["source"]["topic"]["code"]  # type: ignore[no-any-return]


def draft_entries(body: dict[str, Any]) -> list[dict[str, Any]]:
    if body["hook"] == "patient-view":
        entries: list[dict[str, Any]] = []
        for key in ("serviceRequests", "medicationRequests"):
            value = body["prefetch"].get(key)
            if isinstance(value, dict):
                entries.extend(value.setdefault("entry", []))
        return entries
    return body["context"]["draftOrders"].setdefault("entry", [])  # type: ignore[no-any-return]


def accept(body: dict[str, Any], suggestion: dict[str, Any]) -> dict[str, Any]:
    """The request after the clinician accepted `suggestion`: its actions applied to the orders."""
    out = copy.deepcopy(body)
    for action in suggestion["actions"]:
        entries = draft_entries(out)
        if action["type"] == "update":
            resource = action["resource"]
            ref = f"{resource['resourceType']}/{resource['id']}"
            for entry in entries:
                if f"{entry['resource']['resourceType']}/{entry['resource']['id']}" == ref:
                    entry["resource"] = copy.deepcopy(resource)
        elif action["type"] == "delete":
            entries[:] = [e for e in entries
                          if f"{e['resource']['resourceType']}/{e['resource']['id']}" != action["resourceId"]]
            if out["hook"] == "order-select":
                out["context"]["selections"] = [s for s in out["context"]["selections"] if s != action["resourceId"]]
        elif action["type"] == "create":
            resource = copy.deepcopy(action["resource"])
            resource.setdefault("id", f"accepted-{len(entries)}")
            if out["hook"] == "patient-view":
                resource["status"] = "active"
                key = "serviceRequests" if resource["resourceType"] == "ServiceRequest" else "medicationRequests"
                value = out["prefetch"].get(key)
                if not isinstance(value, dict):
                    out["prefetch"][key] = value = {"resourceType": "Bundle", "type": "searchset", "entry": []}
                value.setdefault("entry", []).append({"resource": resource})
            else:
                entries.append({"resource": resource})
                if out["hook"] == "order-select":
                    out["context"]["selections"].append(f"{resource['resourceType']}/{resource['id']}")
    return out


def client_at(as_of: str, tmp_path: Path) -> FlaskClient:
    day = date.fromisoformat(as_of)
    return create_app({"instance_path": tmp_path / "instance", "auth_required": False},
                      today=lambda: day).test_client()


def check_accepting(client: FlaskClient, service: str, body: dict[str, Any], chosen: list[dict[str, Any]],
                    before: list[dict[str, Any]]) -> None:
    after_body = body
    for card in chosen:
        after_body = accept(after_body, card["suggestions"][0])
    after_cards = answer(client, service, after_body)
    after = {code(c) for c in after_cards}
    cleared = {code(c) for c in chosen}
    assert not after & cleared, f"accepting {sorted(cleared)} left {sorted(after & cleared)}"
    new = {code(c) for c in after_cards if code(c) not in {code(b) for b in before}
           and not (created_on_patient_view(body, chosen) and c["indicator"] == "info")}
    assert not new, f"accepting {sorted(cleared)} fired {sorted(new)}"


def created_on_patient_view(body: dict[str, Any], chosen: list[dict[str, Any]]) -> bool:
    """On patient-view an accepted new order is, once signed, the active plan: monitoring reminders (info
    cards such as HAM-08's outcome measure for a resumed program) may then rightly apply to it."""
    return body["hook"] == "patient-view" and any(
        a["type"] == "create" for card in chosen for a in card["suggestions"][0]["actions"])


@pytest.mark.parametrize(("name", "as_of", "service", "body"), CASES, ids=[c[0] for c in CASES])
def test_accepting_every_suggestion_in_order_and_in_reverse_clears_those_cards(
        name: str, as_of: str, service: str, body: dict[str, Any], tmp_path: Path) -> None:
    client = client_at(as_of, tmp_path)
    before = answer(client, service, body)
    with_fixes = [card for card in before if card.get("suggestions")]
    check_accepting(client, service, body, with_fixes, before)
    check_accepting(client, service, body, list(reversed(with_fixes)), before)


@pytest.mark.parametrize(("name", "as_of", "service", "body"), CASES, ids=[c[0] for c in CASES])
def test_accepting_any_one_suggestion_clears_its_card_and_fires_nothing_new(
        name: str, as_of: str, service: str, body: dict[str, Any], tmp_path: Path) -> None:
    client = client_at(as_of, tmp_path)
    before = answer(client, service, body)
    for card in before:
        if card.get("suggestions"):
            check_accepting(client, service, body, [card], before)
