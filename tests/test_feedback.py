"""POST /cds-services/{id}/feedback: validated as the spec says, stored once per repeat."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

FEEDBACK = "/cds-services/hamstring-rehab-order-sign/feedback"


def item(**overrides: Any) -> dict[str, Any]:
    base = {"card": "9368d37b-283f-44a0-93ea-547cebab93ed", "outcome": "accepted",
            "acceptedSuggestions": [{"id": "e56e1945-20b3-4393-8503-a1a20fd73152"}],
            "outcomeTimestamp": "2026-11-23T10:05:31Z"}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def store_count(app: Flask) -> int:
    return app.extensions["cds"].store.feedback_count()


def test_accepted_feedback_is_stored(client: FlaskClient, app: Flask) -> None:
    response = client.post(FEEDBACK, json={"feedback": [item()]})
    assert response.status_code == 200
    assert response.get_json() == {"received": 1, "stored": 1}
    assert store_count(app) == 1


def test_overridden_with_reason_and_sandbox_reason_without_display(client: FlaskClient, app: Flask) -> None:
    with_reason = item(outcome="overridden", acceptedSuggestions=None, overrideReason={
        "reason": {"system": "urn:hamstring-rehab-cds:override-reason", "code": "patient-declined",
                   "display": "Patient declined the recommendation"}, "userComment": "Travelling for 6 weeks"})
    sandbox = item(card="2b0e8f5e-5d0a-4f3e-9c1d-7a6b5c4d3e2f", outcome="overridden", acceptedSuggestions=None,
                   overrideReason={"reason": {"system": "urn:x", "code": "clinical-judgement"}})
    bare = item(card="3c1f9a6f-6e1b-4a4f-8d2e-8b7c6d5e4f30", outcome="overridden", acceptedSuggestions=None)
    response = client.post(FEEDBACK, json={"feedback": [with_reason, sandbox, bare]})
    assert response.status_code == 200
    assert store_count(app) == 3


def test_a_repeat_is_stored_once(client: FlaskClient, app: Flask) -> None:
    client.post(FEEDBACK, json={"feedback": [item()]})
    response = client.post(FEEDBACK, json={"feedback": [item(), item()]})
    assert response.get_json() == {"received": 2, "stored": 0}
    assert store_count(app) == 1


@pytest.mark.parametrize("written", ["9368D37B-283F-44A0-93EA-547CEBAB93ED", "{9368d37b-283f-44a0-93ea-547cebab93ed}",
                                     "urn:uuid:9368d37b-283f-44a0-93ea-547cebab93ed"])
def test_a_card_uuid_written_in_another_form_is_the_same_card(client: FlaskClient, app: Flask, written: str) -> None:
    """uuid.UUID reads these forms; kept as sent, they were stored apart from the card's own (canonical) uuid."""
    client.post(FEEDBACK, json={"feedback": [item()]})
    assert client.post(FEEDBACK, json={"feedback": [item(card=written)]}).get_json() == {"received": 1, "stored": 0}
    assert store_count(app) == 1


@pytest.mark.parametrize(("body", "mentions"), [
    ({}, "feedback"),
    ({"feedback": []}, "feedback"),
    ({"feedback": [item(outcome="ignored")]}, "outcome"),
    ({"feedback": [item(acceptedSuggestions=None)]}, "acceptedSuggestions"),
    ({"feedback": [item(card=None)]}, "card"),
    ({"feedback": [item(outcomeTimestamp=None)]}, "outcomeTimestamp"),
    ({"feedback": [item(outcomeTimestamp="yesterday")]}, "outcomeTimestamp"),
    ({"feedback": [item(outcomeTimestamp="2026-11-23T10:05:31")]}, "outcomeTimestamp"),
    ({"feedback": [item(outcomeTimestamp="0001-01-01T00:00:00+05:00")]}, "outcomeTimestamp"),  # before UTC year 1
    ({"feedback": [item(outcomeTimestamp="9999-12-31T23:00:00-05:00")]}, "outcomeTimestamp"),  # after UTC 9999
    ({"feedback": [item(outcome="overridden", acceptedSuggestions=None, overrideReason={})]}, "overrideReason"),
    ({"feedback": [item(card="<card uuid>")]}, "card must be the uuid"),  # a placeholder copied from the docs
    ({"feedback": [item(card="card-1")]}, "card must be the uuid"),
])
def test_invalid_feedback_is_400(client: FlaskClient, app: Flask, body: dict[str, Any], mentions: str) -> None:
    response = client.post(FEEDBACK, json=body)
    assert response.status_code == 400
    assert mentions in response.get_json()["issue"][0]["diagnostics"]
    assert store_count(app) == 0


def test_feedback_for_unknown_service_is_404(client: FlaskClient) -> None:
    assert client.post("/cds-services/nope/feedback", json={"feedback": [item()]}).status_code == 404


def test_feedback_survives_a_restart(settings: dict[str, Any]) -> None:
    from cds_service import create_app

    create_app(settings).test_client().post(FEEDBACK, json={"feedback": [item()]})
    assert store_count(create_app(settings)) == 1
