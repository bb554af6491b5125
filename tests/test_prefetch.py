"""The prefetch decision table (CDS Hooks 2.0), with `responses` standing in for the EHR's FHIR server."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from flask.testing import FlaskClient

from tests.builders import PATIENT_ID, bundle, condition, hook_request, patient, pt_order, weekly
from tests.conftest import FHIR

SIGN = "/cds-services/hamstring-rehab-order-sign"
TOKEN = "tok-abc-123-secret"
KEYS = ("patient", "conditions", "observations", "procedures", "serviceRequests", "medicationRequests")


def request_body(prefetch: dict[str, Any] | None = None, token: str | None = TOKEN, server: str | None = FHIR,
                 drop: tuple[str, ...] = ()) -> dict[str, Any]:
    body = hook_request("order-sign", [pt_order("pt-1", **weekly(4, 2))])
    if prefetch is not None:
        body["prefetch"].update(prefetch)
    for key in drop:
        body["prefetch"].pop(key)
    if server:
        body["fhirServer"] = server
    if token is not None:
        body["fhirAuthorization"] = {"access_token": token, "token_type": "Bearer", "expires_in": 300,
                                     "scope": "user/*.read", "subject": "hamstring-cds"}
    return body


def codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [c["source"]["topic"]["code"] for c in response.get_json()["cards"]]


def serve(rsps: responses.RequestsMock, path: str, body: Any, status: int = 200) -> None:
    rsps.get(f"{FHIR}/{path}", json=body, status=status)


def test_absent_key_is_fetched_with_the_template_and_token(client: FlaskClient) -> None:
    with responses.RequestsMock() as rsps:
        serve(rsps, f"Patient/{PATIENT_ID}", patient())
        serve(rsps, "Condition", bundle(condition()))
        assert codes(client.post(SIGN, json=request_body(drop=("patient", "conditions")))) == ["HAM-01", "HAM-02"]
        calls = {urlsplit(c.request.url).path: c.request for c in rsps.calls}
    condition_call = calls["/r4/Condition"]
    query = parse_qs(urlsplit(condition_call.url).query)
    assert query["patient"] == [PATIENT_ID] and query["clinical-status"] == ["active,recurrence,relapse"]
    assert condition_call.headers["Authorization"] == f"Bearer {TOKEN}"
    assert calls[f"/r4/Patient/{PATIENT_ID}"].headers["Authorization"] == f"Bearer {TOKEN}"


def test_null_means_no_data_and_nothing_is_fetched(client: FlaskClient) -> None:
    with responses.RequestsMock() as rsps:
        assert codes(client.post(SIGN, json=request_body())) == ["HAM-01", "HAM-02"]  # four keys are null
        assert len(rsps.calls) == 0


def test_null_conditions_mean_no_hamstring_condition_and_no_cards(client: FlaskClient) -> None:
    with responses.RequestsMock() as rsps:
        assert codes(client.post(SIGN, json=request_body({"conditions": None}))) == []
        assert len(rsps.calls) == 0


@pytest.mark.parametrize("value", [
    {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "timeout"}]},
    {"resourceType": "Bundle", "type": "searchset", "entry": [
        {"resource": {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "exception"}]},
         "search": {"mode": "outcome"}}]},
    "not a resource",
    {"no": "resourceType"},
])
def test_operation_outcome_or_malformed_value_counts_as_absent(client: FlaskClient, value: Any) -> None:
    with responses.RequestsMock() as rsps:
        serve(rsps, "Condition", bundle(condition()))
        assert codes(client.post(SIGN, json=request_body({"conditions": value}))) == ["HAM-01", "HAM-02"]
        assert len(rsps.calls) == 1


def test_unobtainable_key_is_412_naming_it(client: FlaskClient) -> None:
    response = client.post(SIGN, json=request_body(server=None, token=None, drop=("conditions",)))
    assert response.status_code == 412
    outcome = response.get_json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["expression"] == ["conditions"]
    assert "conditions" in outcome["issue"][0]["diagnostics"]


@pytest.mark.parametrize("status", [401, 403, 404, 500])
def test_fhir_server_error_is_412_and_never_echoes_the_token(client: FlaskClient, status: int) -> None:
    with responses.RequestsMock() as rsps:
        serve(rsps, "Condition", {"resourceType": "OperationOutcome"}, status=status)
        response = client.post(SIGN, json=request_body(drop=("conditions",)))
    assert response.status_code == 412
    assert f"HTTP {status}" in response.get_json()["issue"][0]["diagnostics"]
    assert TOKEN not in response.get_data(as_text=True)


def test_invalid_json_from_fhir_server_is_412(client: FlaskClient) -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(f"{FHIR}/Condition", body="<html>oops</html>", status=200)
        response = client.post(SIGN, json=request_body(drop=("conditions",)))
    assert response.status_code == 412
    assert "not JSON" in response.get_json()["issue"][0]["diagnostics"]


def test_redirect_is_not_followed(client: FlaskClient) -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(f"{FHIR}/Condition", status=302, headers={"Location": "https://evil.example.com/steal"})
        response = client.post(SIGN, json=request_body(drop=("conditions",)))
        assert [c.request.url.split("?")[0] for c in rsps.calls] == [f"{FHIR}/Condition"]
    assert response.status_code == 412


def test_server_off_the_allow_list_is_never_contacted(client: FlaskClient) -> None:
    with responses.RequestsMock() as rsps:
        response = client.post(SIGN, json=request_body(server="https://other.example.net/fhir",
                                                       drop=("conditions",)))
        assert len(rsps.calls) == 0
    assert response.status_code == 412
    assert "allow-list" in response.get_json()["issue"][0]["diagnostics"]


def test_the_412_for_a_server_off_the_allow_list_names_its_origin_and_the_list_form(client: FlaskClient) -> None:
    """The integration engineer learns which origin to add and in which form, said once for all keys."""
    with responses.RequestsMock() as rsps:
        response = client.post(SIGN, json=request_body(server="https://Other.example.net:443/fhir/R4",
                                                       drop=("conditions", "patient")))
        plain = client.post(SIGN, json=request_body(server="http://fhir.example.org/r4", drop=("conditions",)))
        credentials = client.post(SIGN, json=request_body(server="https://user:pw@fhir.example.org/r4",
                                                          drop=("conditions",)))
        assert len(rsps.calls) == 0
    [issue] = response.get_json()["issue"]
    assert issue["expression"] == ["conditions", "patient"]
    assert issue["diagnostics"] == (
        "Required data could not be obtained (conditions, patient: not in prefetch and fhirServer is not on the "
        "allow-list: its origin https://other.example.net is not one of the origins in CDS_FHIR_SERVER_ALLOWLIST "
        "(comma-separated origins scheme://host[:port], no path, e.g. https://fhir.example.org))")
    said = plain.get_json()["issue"][0]["diagnostics"]
    assert "its origin http://fhir.example.org is not one of" in said and "refused even when listed: plain http" in said
    said = credentials.get_json()["issue"][0]["diagnostics"]
    assert "fhirServer https://fhir.example.org is refused: credentials in the URL" in said
    assert "pw" not in said and TOKEN not in said


def test_full_prefetch_needs_no_allow_listed_server(client: FlaskClient) -> None:
    with responses.RequestsMock() as rsps:
        body = request_body(server="https://other.example.net/fhir")
        assert codes(client.post(SIGN, json=body)) == ["HAM-01", "HAM-02"]
        assert len(rsps.calls) == 0


def test_empty_access_token_means_no_authorization_header(client: FlaskClient) -> None:
    with responses.RequestsMock() as rsps:
        serve(rsps, "Condition", bundle(condition()))
        codes(client.post(SIGN, json=request_body(token="", drop=("conditions",))))
        assert "Authorization" not in rsps.calls[0].request.headers


def test_fhir_server_without_authorization_is_fetched_anonymously(client: FlaskClient) -> None:
    with responses.RequestsMock() as rsps:
        serve(rsps, "Condition", bundle(condition()))
        assert codes(client.post(SIGN, json=request_body(token=None, drop=("conditions",)))) == ["HAM-01", "HAM-02"]
        assert "Authorization" not in rsps.calls[0].request.headers


def paged(first: dict[str, Any], next_url: str) -> dict[str, Any]:
    return {**first, "link": [{"relation": "next", "url": next_url}]}


def test_next_links_of_prefetched_bundles_are_followed_on_the_same_origin(client: FlaskClient) -> None:
    knee = condition(code="M17.11", text="Knee osteoarthritis", cid="c-knee")
    first = paged(bundle(knee), f"{FHIR}/Condition?page=2")
    with responses.RequestsMock() as rsps:
        serve(rsps, "Condition", bundle(condition()))
        assert codes(client.post(SIGN, json=request_body({"conditions": first}))) == ["HAM-01", "HAM-02"]
        assert rsps.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_next_link_to_another_origin_is_not_followed(client: FlaskClient) -> None:
    first = paged(bundle(condition()), "https://evil.example.com/Condition?page=2")
    with responses.RequestsMock() as rsps:
        response = client.post(SIGN, json=request_body({"conditions": first}))
        assert len(rsps.calls) == 0
    assert response.status_code == 412


def test_paged_prefetch_without_fhir_server_is_412(client: FlaskClient) -> None:
    first = paged(bundle(condition()), f"{FHIR}/Condition?page=2")
    response = client.post(SIGN, json=request_body({"conditions": first}, server=None, token=None))
    assert response.status_code == 412
    assert response.get_json()["issue"][0]["expression"] == ["conditions"]


def test_pages_are_bounded(settings: dict[str, Any]) -> None:
    from cds_service import create_app

    client = create_app({**settings, "fhir_max_pages": 3}).test_client()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        for page in range(1, 10):
            rsps.get(f"{FHIR}/Condition?page={page}",
                     json=paged(bundle(condition(cid=f"c{page}")), f"{FHIR}/Condition?page={page + 1}"))
        first = paged(bundle(condition(cid="c0")), f"{FHIR}/Condition?page=1")
        assert codes(client.post(SIGN, json=request_body({"conditions": first}))) == ["HAM-01", "HAM-02"]
        assert len(rsps.calls) == 2  # the prefetched page plus two fetched


def test_missing_keys_are_fetched_in_parallel(settings: dict[str, Any]) -> None:
    """Measured as how many fetches were in flight at once, not as wall time (which a loaded machine stretches)."""
    import threading

    from cds_service import create_app

    client = create_app({**settings, "fhir_time_budget_seconds": 30.0}).test_client()
    in_flight, most = 0, 0
    lock = threading.Lock()

    def slow(body: dict[str, Any]) -> Any:
        def reply(_request: Any) -> tuple[int, dict[str, str], str]:
            nonlocal in_flight, most
            import json

            with lock:
                in_flight += 1
                most = max(most, in_flight)
            time.sleep(0.3)
            with lock:
                in_flight -= 1
            return 200, {"Content-Type": "application/fhir+json"}, json.dumps(body)
        return reply

    with responses.RequestsMock() as rsps:
        rsps.add_callback(responses.GET, f"{FHIR}/Patient/{PATIENT_ID}", callback=slow(patient()))
        for path in ("Condition", "Observation", "Procedure", "ServiceRequest", "MedicationRequest"):
            rsps.add_callback(responses.GET, f"{FHIR}/{path}",
                              callback=slow(bundle(condition()) if path == "Condition" else bundle()))
        response = client.post(SIGN, json=request_body(drop=KEYS))
    assert codes(response) == ["HAM-01", "HAM-02"]
    assert most >= 3, f"at most {most} of six fetches were in flight at once: not parallel"


def test_slow_server_is_412_within_the_budget(settings: dict[str, Any]) -> None:
    from cds_service import create_app

    client = create_app({**settings, "fhir_time_budget_seconds": 0.3}).test_client()

    def hang(_request: Any) -> tuple[int, dict[str, str], str]:
        time.sleep(1.0)
        return 200, {}, "{}"

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_callback(responses.GET, f"{FHIR}/Condition", callback=hang)
        started = time.monotonic()
        response = client.post(SIGN, json=request_body(drop=("conditions",)))
        elapsed = time.monotonic() - started
    assert response.status_code == 412
    assert "time budget" in response.get_json()["issue"][0]["diagnostics"]
    assert elapsed < 0.9
