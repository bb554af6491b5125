"""HAM-02's one-click fix on a physical-therapy order whose sessions are stated only in its name: the rate it
states is raised ('PT q2 weeks x 12 weeks' -> 'PT 1x/wk x 12 weeks'), its count rewritten ('PT x 8 visits over
12 weeks' -> 'PT x 12 visits ...'), or, on a program shorter than the guideline's, weeks added at the rate it
states; the rest of the name as written (fhir_mappings/program_edits.py). Accepted, the hook no longer fires
HAM-02. Before, such an order got the card with nothing to accept."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from fhir_mappings.session_rates import with_rate, with_sessions
from tests import builders as b
from tests.test_accepting_suggestions import accept

SIGN = "/cds-services/hamstring-rehab-order-sign"


def named(text: str) -> dict[str, Any]:
    order = b.pt_order()
    order["code"] = {"text": text}
    return order


def cards(client: FlaskClient, body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    response = client.post(SIGN, json=body)
    assert response.status_code == 200, response.get_json()
    return {c["source"]["topic"]["code"]: c for c in response.get_json()["cards"]}


def ham02_fix(client: FlaskClient, text: str) -> tuple[str, dict[str, dict[str, Any]]]:
    """The name HAM-02's one suggestion gives the order, and the cards once it is accepted."""
    body = b.hook_request(drafts=[named(text)])
    card = cards(client, body)["HAM-02"]
    [suggestion] = card["suggestions"]
    [action] = suggestion["actions"]
    assert action["type"] == "update"
    return action["resource"]["code"]["text"], cards(client, accept(body, suggestion))


@pytest.mark.parametrize(
    ("text", "fixed"),
    [
        ("PT q2 weeks x 12 weeks", "PT 1x/wk x 12 weeks"),
        ("PT every other week x 12 weeks", "PT 1x/wk x 12 weeks"),
        ("Physio fortnightly for 12 weeks, hamstring rehab", "Physio 1x/wk for 12 weeks, hamstring rehab"),
        ("PT 1x/wk x 10 wks then review", None),  # 70 days: extended at its rate, HAM-01 too
        ("PT x 8 visits over 12 weeks", "PT x 12 visits over 12 weeks"),
        # a program long enough gets sessions a week over its weeks: one a week over 14 is 14
        ("Outpatient PT 6 sessions over 14 weeks", "Outpatient PT 14 sessions over 14 weeks"),
    ],
)
def test_sessions_stated_in_the_name_get_a_fix_that_clears_ham02(client: FlaskClient, text: str,
                                                                 fixed: str | None) -> None:
    name, after = ham02_fix(client, text)
    if fixed is not None:
        assert name == fixed
    else:
        assert name != text and "1x/wk" in name
    assert "HAM-02" not in after


def test_a_short_program_at_a_rate_in_its_name_is_extended_at_that_rate(client: FlaskClient) -> None:
    name, after = ham02_fix(client, "PT weekly x 6 weeks")
    assert name == "PT weekly x 12 weeks"  # 12 sessions at one a week
    assert "HAM-02" not in after and "HAM-01" not in after


def test_accepting_every_card_on_a_name_only_order_clears_both(client: FlaskClient) -> None:
    body = b.hook_request(drafts=[named("PT q2 weeks x 8 weeks")])
    for _ in range(3):  # each accepted in turn, as a clinician would, until none is left
        fired = cards(client, body)
        pending = [c for code, c in fired.items() if code in ("HAM-01", "HAM-02") and c.get("suggestions")]
        if not pending:
            break
        body = accept(body, pending[0]["suggestions"][0])
    assert not {"HAM-01", "HAM-02"} & set(cards(client, body))


@pytest.mark.parametrize(
    ("text", "per_week", "expected"),
    [
        ("PT q2 weeks x 12 weeks", 2, "PT 2x/wk x 12 weeks"),
        ("PT BIW x 12 wks", 3, "PT 3x/wk x 12 wks"),
        ("PT twice weekly for 12 weeks", 3, "PT 3x/wk for 12 weeks"),
        ("PT x 12 weeks", 2, None),
    ],
)
def test_a_rate_in_words_is_rewritten_in_place(text: str, per_week: int, expected: str | None) -> None:
    assert with_rate(text, per_week) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT x 8 visits over 12 weeks", "PT x 12 visits over 12 weeks"),
        ("PT 8-16 visits over 12 weeks", "PT 12 visits over 12 weeks"),
        ("PT 8 treatments", "PT 12 treatments"),
        ("Continue PT x 6 more visits", "Continue PT x 12 more visits"),
        ("PT 2x/wk x 12 weeks", None),
    ],
)
def test_a_count_in_words_is_rewritten_in_place(text: str, expected: str | None) -> None:
    assert with_sessions(text, 12) == expected
