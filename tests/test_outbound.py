"""Outbound safety: fhirServer must be an allow-listed https origin; link-local and metadata addresses
are refused even if listed; no redirect or next link leads elsewhere; the token only goes to fhirServer."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import responses
from flask.testing import FlaskClient

from cds_service import create_app
from cds_service.fhir_client import FhirClient, NotAllowed
from cds_service.netguard import guarded_session, refused_address, refused_url
from tests.builders import bundle, condition
from tests.conftest import FHIR
from tests.jwt_helpers import SigningKey, bearer, mint
from tests.test_prefetch import SIGN, TOKEN, paged, request_body

EVIL = "https://evil.example.com"


def assert_token_only_to_fhir(rsps: responses.RequestsMock) -> None:
    for made in rsps.calls:
        if urlsplit(made.request.url).hostname != "fhir.example.org":
            assert TOKEN not in str(made.request.headers), made.request.url


@pytest.mark.parametrize("server", [f"{EVIL}/fhir", "https://fhir.example.org:8443/r4", "http://fhir.example.org/r4",
                                    "https://169.254.169.254/latest", "https://metadata.google.internal/r4"])
def test_fhir_server_off_the_list_is_never_contacted(auth_client: FlaskClient, es_key: SigningKey,
                                                     server: str) -> None:
    with responses.RequestsMock() as rsps:
        response = auth_client.post(SIGN, json=request_body(server=server, drop=("conditions",)),
                                    headers=bearer(mint(es_key)))
        assert len(rsps.calls) == 0
    assert response.status_code == 412
    assert TOKEN not in response.get_data(as_text=True)


def test_cross_origin_redirect_is_not_followed_and_gets_no_token(client: FlaskClient) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(f"{FHIR}/Condition", status=302, headers={"Location": f"{EVIL}/steal"})
        rsps.get(f"{EVIL}/steal", json=bundle(condition()))
        response = client.post(SIGN, json=request_body(drop=("conditions",)))
        assert [urlsplit(c.request.url).hostname for c in rsps.calls] == ["fhir.example.org"]
        assert_token_only_to_fhir(rsps)
    assert response.status_code == 412


def test_cross_origin_next_link_is_not_followed(client: FlaskClient) -> None:
    for next_url in (f"{EVIL}/Condition?page=2", "https://169.254.169.254/Condition?page=2",
                     "http://fhir.example.org/r4/Condition?page=2"):
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            rsps.get(f"{EVIL}/Condition", json=bundle(condition()))
            response = client.post(SIGN, json=request_body({"conditions": paged(bundle(condition()), next_url)}))
            assert len(rsps.calls) == 0
        assert response.status_code == 412


def test_cross_origin_next_link_on_a_fetched_page_is_not_followed(client: FlaskClient) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(f"{FHIR}/Condition", json=paged(bundle(condition()), f"{EVIL}/Condition?page=2"))
        rsps.get(f"{EVIL}/Condition", json=bundle(condition()))
        response = client.post(SIGN, json=request_body(drop=("conditions",)))
        assert [urlsplit(c.request.url).hostname for c in rsps.calls] == ["fhir.example.org"]
        assert_token_only_to_fhir(rsps)
    assert response.status_code == 412


def test_token_is_only_sent_to_the_fhir_server_origin() -> None:
    client = FhirClient(["https://fhir.example.org", "https://other.example.org"])
    with responses.RequestsMock() as rsps, pytest.raises(NotAllowed, match="only ever sent"):
        client.get_json("https://other.example.org/Condition", TOKEN, 1.0, token_origin=FHIR)
    assert len(rsps.calls) == 0
    with responses.RequestsMock() as rsps, pytest.raises(NotAllowed):
        client.get_json("https://other.example.org/Condition", TOKEN, 1.0)


@pytest.mark.parametrize("origin", ["https://169.254.169.254", "https://[fd00:ec2::254]", "https://metadata",
                                    "https://[::ffff:169.254.169.254]", "https://100.100.100.200",
                                    "https://127.0.0.1:8443", "https://0.0.0.0"])
def test_metadata_link_local_and_loopback_are_refused_even_when_listed(origin: str) -> None:
    client = FhirClient([origin])  # the settings would refuse this list; the client refuses it again
    with responses.RequestsMock() as rsps, pytest.raises(NotAllowed):
        client.get_json(f"{origin}/latest/meta-data/", TOKEN, 1.0, token_origin=origin)
    assert len(rsps.calls) == 0


@pytest.mark.parametrize("origin", ["https://169.254.169.254", "http://fhir.example.org", "http://127.0.0.1:8080",
                                    "https://metadata.google.internal", "https://localhost"])
def test_unsafe_allow_list_entries_stop_the_start_up(settings: dict[str, Any], origin: str) -> None:
    with pytest.raises(ValueError, match="refused"):
        create_app({**settings, "fhir_server_allowlist": [origin]})


def test_http_loopback_needs_the_explicit_setting(settings: dict[str, Any]) -> None:
    create_app({**settings, "fhir_server_allowlist": ["http://127.0.0.1:8080"], "fhir_allow_http_loopback": True})
    with pytest.raises(ValueError, match="fhir_server_allowlist"):
        create_app({**settings, "fhir_server_allowlist": ["http://10.0.0.5:8080"], "fhir_allow_http_loopback": True})


@pytest.mark.parametrize(("ip", "refused"), [
    ("169.254.169.254", True), ("169.254.0.1", True), ("fe80::1", True), ("fd00:ec2::254", True),
    ("::ffff:169.254.169.254", True), ("0.0.0.0", True), ("0.1.2.3", True), ("224.0.0.1", True),
    ("127.0.0.1", True), ("::1", True), ("10.1.2.3", False), ("192.168.1.10", False), ("93.184.216.34", False),
])
def test_refused_addresses(ip: str, refused: bool) -> None:
    assert (refused_address(ip, allow_loopback=False) is not None) is refused


def test_refused_urls() -> None:
    assert refused_url("https://fhir.example.org/r4") is None
    assert refused_url("http://127.0.0.1:8080/fhir", allow_http_loopback=True) is None
    assert refused_url("http://localhost:8080/fhir", allow_http_loopback=True) is None
    for url in ("http://fhir.example.org", "ftp://fhir.example.org", "https://127.0.0.1", "https:///nohost",
                "https://METADATA.google.internal.", "https://user:secret@fhir.example.org/r4"):
        assert refused_url(url) is not None, url


def test_a_name_resolving_to_the_metadata_service_is_refused_before_connecting(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: an allowed name whose answer is link-local is never connected to."""
    connects: list[Any] = []
    monkeypatch.setattr(socket, "getaddrinfo",
                        lambda *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", 443))])
    monkeypatch.setattr("urllib3.util.connection.create_connection", lambda *a, **k: connects.append(a))
    with pytest.raises(requests.ConnectionError, match="metadata"):
        guarded_session().get("https://fhir.example.org/r4/metadata", timeout=1)
    assert connects == []


@contextmanager
def loopback_server() -> Iterator[tuple[int, list[str]]]:
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"resourceType": "Bundle"}')

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port, seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_loopback_connections_only_with_the_setting() -> None:
    with loopback_server() as (port, seen):
        with pytest.raises(requests.ConnectionError, match="loopback"):
            guarded_session().get(f"http://localhost:{port}/r4/Patient", timeout=2)
        assert seen == []
        assert guarded_session(allow_loopback=True).get(f"http://localhost:{port}/r4/Patient", timeout=2).ok
        client = FhirClient([f"http://127.0.0.1:{port}"], allow_http_loopback=True)
        assert client.get_json(f"http://127.0.0.1:{port}/r4/Patient", None, 2.0)["resourceType"] == "Bundle"
        assert seen == ["/r4/Patient", "/r4/Patient"]
