"""Per-issuer FHIR servers: an issuer's `fhir_servers` narrow the global allow-list for the calls its
tokens sign, so one EHR cannot make the service fetch from (and send a token to) another EHR's server."""

from __future__ import annotations

from typing import Any

import pytest
import responses
from pydantic import ValidationError

from cds_service import create_app
from cds_service.netguard import normalize_origin
from tests.builders import AS_OF, PATIENT_ID, bundle, condition
from tests.conftest import FHIR, jwks
from tests.jwt_helpers import ISS, SIGN_PATH, SigningKey, bearer, mint
from tests.test_prefetch import request_body

OTHER = "https://fhir.other-hospital.example.org/r4"


def settings_with(settings: dict[str, Any], es_key: SigningKey, **issuer: Any) -> dict[str, Any]:
    return {**settings, "auth_required": True, "public_base_url": "https://cds.example.org",
            "fhir_server_allowlist": [FHIR, OTHER],
            "auth": {"issuers": [{"iss": ISS, "jwks": jwks(es_key), **issuer}]}}


def signed_call(config: dict[str, Any], es_key: SigningKey, server: str) -> tuple[Any, list[str]]:
    """A signed order-sign call naming `server` as fhirServer, with its conditions left to fetch."""
    client = create_app(config, today=lambda: AS_OF).test_client()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        for base in (FHIR, OTHER):
            rsps.get(f"{base}/Condition", json=bundle(condition()))
        response = client.post(SIGN_PATH, json=request_body(server=server, drop=("conditions",)),
                               headers=bearer(mint(es_key)))
        fetched = [call.request.url for call in rsps.calls]
    return response, fetched


def test_a_server_the_issuer_does_not_list_is_never_contacted(settings: dict[str, Any], es_key: SigningKey) -> None:
    response, fetched = signed_call(settings_with(settings, es_key, fhir_servers=[FHIR]), es_key, OTHER)
    assert response.status_code == 412
    issue = response.get_json()["issue"][0]
    assert issue["expression"] == ["conditions"]
    assert "not one of the FHIR servers of the token's issuer" in issue["diagnostics"]
    assert f"its origin {normalize_origin(OTHER)} is not in the issuer's fhir_servers ({normalize_origin(FHIR)})" \
        in issue["diagnostics"]  # the refused origin and the list it was checked against
    assert fetched == []


def test_a_server_the_issuer_lists_is_used_whatever_its_spelling(settings: dict[str, Any],
                                                                 es_key: SigningKey) -> None:
    config = settings_with(settings, es_key, fhir_servers=["HTTPS://FHIR.example.org:443"])
    response, fetched = signed_call(config, es_key, FHIR)
    assert response.status_code == 200, response.get_json()
    assert [url.split("?")[0] for url in fetched] == [f"{FHIR}/Condition"]
    assert all(f"patient={PATIENT_ID}" in url for url in fetched)


def test_an_issuer_without_a_list_may_name_any_allowed_server(settings: dict[str, Any], es_key: SigningKey) -> None:
    response, fetched = signed_call(settings_with(settings, es_key), es_key, OTHER)
    assert response.status_code == 200, response.get_json()
    assert [url.split("?")[0] for url in fetched] == [f"{OTHER}/Condition"]


@pytest.mark.parametrize(("server", "why"), [
    ("https://fhir.unlisted.example.org", "https://fhir.unlisted.example.org is not on fhir_server_allowlist"),
    ("not a url", "not an http(s) origin"),
])
def test_start_up_refuses_an_issuer_server_off_the_allow_list(settings: dict[str, Any], es_key: SigningKey,
                                                               server: str, why: str) -> None:
    with pytest.raises(ValidationError, match="auth issuer") as refused:
        create_app(settings_with(settings, es_key, fhir_servers=[server]))
    assert why in str(refused.value)
