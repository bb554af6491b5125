"""bench/ablation_app.py, the service with parts taken away for bench/bench_ceiling.py: each variant
must still answer like the service (same cards, fresh uuids per call) and take away only its part."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from bench.ablation_app import create
from bench.workloads import TYPICAL
from cds_service.audit.models import calls, cards

SIGN = "/cds-services/hamstring-rehab-order-sign"


@pytest.fixture
def make(settings: dict[str, Any]) -> Iterator[Any]:
    apps: list[Flask] = []

    def build(variant: str) -> Flask:
        app = create(variant, {**settings, "instance_path": Path(settings["instance_path"]) / variant})
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["cds"].store.close()
    logging.getLogger("cds_service.request").disabled = False  # `no-log` turns it off process-wide


def post(app: Flask) -> dict[str, Any]:
    response = app.test_client().post(SIGN, data=json.dumps(TYPICAL), content_type="application/json")
    assert response.status_code == 200
    return response.get_json()  # type: ignore[no-any-return]


def uuids(body: dict[str, Any]) -> set[str]:
    return {c["uuid"] for c in body["cards"]} | {s["uuid"] for c in body["cards"] for s in c.get("suggestions", [])}


def test_without_the_pipeline_the_answer_is_the_services_with_fresh_uuids_and_still_audited(make: Any) -> None:
    served = post(make("service"))
    app = make("no-cds")
    first, second = post(app), post(app)
    summaries = sorted(c["summary"] for c in served["cards"])
    assert summaries and sorted(c["summary"] for c in first["cards"]) == summaries
    assert len(uuids(first)) == len(uuids(served)) and not uuids(first) & uuids(second)
    store = app.extensions["cds"].store.reader()
    assert store.count(calls) == 2 and store.count(cards) == 2 * len(served["cards"])


@pytest.mark.parametrize("variant", ["no-audit", "no-log"])
def test_without_the_audit_record_nothing_is_stored(make: Any, variant: str) -> None:
    app = make(variant)
    assert post(app)["cards"]
    assert app.extensions["cds"].store.reader().count(calls) == 0
