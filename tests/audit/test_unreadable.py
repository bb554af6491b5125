"""A call with resources the service could not read is audited as partial, with each resource and the
reason, and /review shows it (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from sqlalchemy import select

from cds_service.audit.models import calls
from tests import builders as b
from tests.audit.support import SIGN
from tests.audit.test_review import USERS, login
from tests.test_lenient_reading import naproxen


def test_skipped_resources_are_audited_with_their_reason_and_shown_on_review(make_app: Callable[..., Flask]) -> None:
    app = make_app(review_users=USERS)
    client = app.test_client()
    broken_condition = b.condition(cid="cond-broken", onsetDateTime="spring 2026")
    draft = naproxen() | {"id": "rx-bad", "authoredOn": "last Tuesday"}
    body = b.hook_request(drafts=[draft], conditions=b.bundle(b.condition(), broken_condition))
    answer = client.post(SIGN, json=body).get_json()
    assert [c["source"]["topic"]["code"] for c in answer["cards"]] == ["HAM-00"]
    assert client.post(SIGN, json=b.hook_request(drafts=[b.pt_order(**b.weekly(14, 1))])).status_code == 200

    with app.extensions["cds"].store.reader().engine.connect() as db:
        partial, clean = [dict(r._mapping) for r in db.execute(select(calls).order_by(calls.c.id))]
    assert partial["partial"] is True and clean["partial"] is False and clean["skipped_resources"] == []
    skipped = {s["ref"]: s["reason"] for s in partial["skipped_resources"]}
    assert set(skipped) == {"MedicationRequest/rx-bad", "Condition/cond-broken"}
    assert skipped["MedicationRequest/rx-bad"].startswith("authoredOn")
    assert skipped["Condition/cond-broken"].startswith("onset")
    assert "last Tuesday" not in str(partial) and "spring 2026" not in str(partial)  # reasons, not values

    page = client.get(f"/review/calls/{partial['id']}", headers=login()).get_data(as_text=True)
    assert "partial" in page and "MedicationRequest/rx-bad" in page and "Condition/cond-broken" in page
    listing = client.get("/review/calls", headers=login()).get_data(as_text=True)
    assert listing.count('class="error partial"') == 1
    detail = client.get(f"/review/api/calls/{partial['id']}", headers=login()).get_json()
    assert detail["partial"] is True and len(detail["skipped_resources"]) == 2
