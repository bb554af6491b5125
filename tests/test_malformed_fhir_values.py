"""A member of a resource that holds a value of the wrong JSON type (a status that is a list, a coding's code
that is an object, a system that is a number) is read as absent: the resource is skipped or judged without it,
never a 500. Such resources are invalid R4, and the FHIR stage selects on their JSON before validating them."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "hooks"
WRONG_TYPES: list[Any] = [["active"], {"code": "x"}, 7, True]


def resources(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for bundle in [*(body.get("prefetch") or {}).values(), (body.get("context") or {}).get("draftOrders")]:
        for entry in (bundle or {}).get("entry", []) if isinstance(bundle, dict) else []:
            if isinstance(entry.get("resource"), dict):
                yield entry["resource"]


def set_status(resource: dict[str, Any], value: Any) -> None:
    resource["status"] = value


def set_coding(member: str, key: str) -> Callable[[dict[str, Any], Any], None]:
    def change(resource: dict[str, Any], value: Any) -> None:
        concept = resource.get(member)
        if isinstance(concept, dict) and isinstance(concept.get("coding"), list) and concept["coding"]:
            concept["coding"][0][key] = value

    return change


CHANGES = {
    "status": set_status,
    "code.coding.code": set_coding("code", "code"),
    "code.coding.system": set_coding("code", "system"),
}


@pytest.mark.parametrize(
    "fixture",
    [
        "ham10-no-improvement-patient-view.json",
        "ham07-physical-therapy-discontinuation-order-sign.json",
        "ham01-ham02-short-program-order-sign.json",
        "ham12-strength-ratio-0-95-patient-view.json",
        "ham01-ham02-active-continuation-patient-view.json",
    ],
)
@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_member_of_the_wrong_json_type_is_never_an_internal_error(
    client: FlaskClient, fixture: str, change: str
) -> None:
    scenario = json.loads((FIXTURES / fixture).read_text())
    for value in WRONG_TYPES:
        body = copy.deepcopy(scenario["request"])
        for resource in resources(body):
            CHANGES[change](resource, copy.deepcopy(value))
        response = client.post(f"/cds-services/{scenario['service']}", json=body)
        assert response.status_code != 500, (change, value, response.get_json())
        assert response.is_json
