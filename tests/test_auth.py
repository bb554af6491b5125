"""Authentication of the EHR: every refusal is a bare 401, valid ES384/RS384 tokens pass, a jti is
accepted once (also across two app instances sharing one database)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient

from cds_service import create_app
from tests.builders import AS_OF, hook_request, pt_order, weekly
from tests.jwt_helpers import (
    BASE,
    ISS,
    JKU,
    SIGN_PATH,
    SIGN_URL,
    SigningKey,
    b64,
    bearer,
    claims,
    hand_made,
    hs384_with,
    mint,
    new_key,
    tamper,
)

FEEDBACK_PATH = SIGN_PATH + "/feedback"
FEEDBACK = {"feedback": [{"card": "9368d37b-283f-44a0-93ea-547cebab93ed", "outcome": "overridden",
                          "outcomeTimestamp": "2026-11-23T10:05:31Z"}]}


def call(client: FlaskClient, token: str | None = None, headers: dict[str, str] | None = None) -> Any:
    sent = {**(bearer(token) if token is not None else {}), **(headers or {})}
    return client.post(SIGN_PATH, json=hook_request("order-sign", [pt_order("pt-1", **weekly(4, 2))]),
                       headers=sent)


def assert_refused(response: Any) -> None:
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.get_json() == {"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": "login", "diagnostics": "Authentication required"}]}


def refusal_reason(caplog: pytest.LogCaptureFixture) -> str:
    reasons = [r.getMessage() for r in caplog.records if r.getMessage().startswith("authentication refused")]
    assert len(reasons) == 1, reasons
    return reasons[0]


def test_es384_and_rs384_tokens_are_accepted(auth_client: FlaskClient, es_key: SigningKey,
                                             rs_key: SigningKey) -> None:
    for key in (es_key, rs_key):
        response = call(auth_client, mint(key))
        assert response.status_code == 200, key.alg
        assert response.get_json()["cards"]


def test_feedback_needs_a_token_whose_aud_is_the_feedback_url(auth_client: FlaskClient,
                                                               es_key: SigningKey) -> None:
    assert_refused(auth_client.post(FEEDBACK_PATH, json=FEEDBACK))
    assert_refused(auth_client.post(FEEDBACK_PATH, json=FEEDBACK, headers=bearer(mint(es_key))))
    response = auth_client.post(FEEDBACK_PATH, json=FEEDBACK, headers=bearer(mint(es_key, SIGN_URL + "/feedback")))
    assert response.status_code == 200


def test_sandbox_and_epic_shaped_claims_are_tolerated(auth_client: FlaskClient, rs_key: SigningKey) -> None:
    """Array aud (sandbox may send one), Epic's sub and nbf = iat - 5 min, a tenant nobody restricts."""
    token = mint(rs_key, aud=[SIGN_URL, "https://other.example.org"], sub="epic-client-id", nbf=int(time.time()) - 300,
                 tenant="hospital-1")
    assert call(auth_client, token).status_code == 200


def test_discovery_and_health_are_public_by_default(auth_client: FlaskClient) -> None:
    for path in ("/cds-services", "/criteria", "/healthz", "/readyz"):
        assert auth_client.get(path).status_code == 200, path


def test_discovery_can_require_a_token(auth_settings: dict[str, Any], es_key: SigningKey) -> None:
    auth = {**auth_settings["auth"], "public_endpoints": ["health"]}
    client = create_app({**auth_settings, "auth": auth}, today=lambda: AS_OF).test_client()
    assert_refused(client.get("/cds-services"))
    assert client.get("/cds-services", headers=bearer(mint(es_key, f"{BASE}/cds-services"))).status_code == 200
    assert client.get("/healthz").status_code == 200


def test_readyz_flags_authentication_off(client: FlaskClient, auth_client: FlaskClient) -> None:
    off = client.get("/readyz").get_json()
    assert off["authRequired"] is False and "CDS_AUTH_REQUIRED=false" in off["securityWarnings"][0]
    on = auth_client.get("/readyz").get_json()
    assert on["authRequired"] is True and on["securityWarnings"] == []


def test_authentication_is_on_by_default_and_needs_an_issuer(settings: dict[str, Any]) -> None:
    defaults = {k: v for k, v in settings.items() if k != "auth_required"}
    with pytest.raises(ValueError, match="no issuer is trusted"):
        create_app(defaults)


def test_replay_guard_is_the_audit_store_whatever_its_engine(auth_settings: dict[str, Any]) -> None:
    app = create_app({**auth_settings, "database_url": "postgresql://cds@127.0.0.1/cds"})  # connects on use
    assert app.extensions["cds_auth"]._replay() is app.extensions["cds"].store


def test_with_sqlite_the_jtis_live_in_their_own_file_and_never_wait_for_the_audit_writer(tmp_path: Path) -> None:
    import sqlite3
    import threading

    from cds_service.audit.recorder import AuditTrail
    from cds_service.audit.spool import Spool
    from cds_service.audit.token_replay import replay_file_beside

    database = tmp_path / "cds.sqlite3"
    assert replay_file_beside(f"sqlite:///{database}") == tmp_path / "cds-replay.sqlite3"
    assert replay_file_beside("postgresql+psycopg://cds@127.0.0.1/cds") is None
    assert replay_file_beside("sqlite://") is None  # in memory
    store = AuditTrail(f"sqlite:///{database}", Spool(tmp_path / "audit-spool.jsonl"), 1.0, migrate=True)
    other_worker = AuditTrail(f"sqlite:///{database}", Spool(tmp_path / "audit-spool.jsonl"), 1.0, migrate=True)
    store.repository  # noqa: B018 - creates the audit tables
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the audit database's one write lock, as the writer thread holds it
    answers: list[bool] = []
    check = threading.Thread(target=lambda: answers.extend([store.remember(ISS, "jti-1", time.time() + 300),
                                                            other_worker.remember(ISS, "jti-1", time.time() + 300)]))
    check.start()
    check.join(timeout=5)
    holder.execute("ROLLBACK")
    assert answers == [True, False]  # answered while the lock was held; the other worker refuses the replay
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM auth_replay").fetchone() == (0,)
    store.close()
    other_worker.close()


def test_auth_off_logs_a_loud_warning(settings: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    create_app(settings)
    assert any(r.levelname == "WARNING" and "authentication is OFF" in r.getMessage() for r in caplog.records)


# --- each of these is a 401 --------------------------------------------------------------------


def test_no_authorization_header(auth_client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    assert_refused(call(auth_client))
    assert "no Authorization header" in refusal_reason(caplog)


@pytest.mark.parametrize("authorization", ["Bearer not-a-jwt", "Bearer a.b.c", "Bearer ", "Basic dXNlcjpwYXNz",
                                           "Bearer eyJhbGciOiJFUzM4NCJ9.e30"])
def test_not_a_jwt(auth_client: FlaskClient, authorization: str) -> None:
    assert_refused(call(auth_client, headers={"Authorization": authorization}))


# Times are relative to the moment each test runs (a suite can take minutes; skew tolerance is 60 s).
@pytest.mark.parametrize(("overrides", "reason"), [
    (lambda now: {"exp": now - 120, "iat": now - 420}, "expired"),
    (lambda now: {"iat": now + 120, "exp": now + 420}, "not yet valid (iat)"),
    (lambda now: {"nbf": now + 120}, "not yet valid (nbf)"),
    (lambda now: {"iat": now, "exp": now + 7200}, "lifetime"),
    (lambda now: {"exp": str(now + 300)}, "must be numbers"),
])
def test_time_claims(auth_client: FlaskClient, es_key: SigningKey, caplog: pytest.LogCaptureFixture,
                     overrides: Callable[[int], dict[str, Any]], reason: str) -> None:
    assert_refused(call(auth_client, mint(es_key, **overrides(int(time.time())))))
    assert reason in refusal_reason(caplog)


def test_clock_skew_is_tolerated(auth_client: FlaskClient, es_key: SigningKey) -> None:
    now = int(time.time())
    assert call(auth_client, mint(es_key, iat=now + 30, nbf=now + 30, exp=now + 300)).status_code == 200
    assert call(auth_client, mint(es_key, iat=now - 300, exp=now - 30)).status_code == 200


@pytest.mark.parametrize("aud", [
    f"{BASE}/cds-services/hamstring-rehab-patient-view",  # another service
    f"{BASE}/cds-services",  # discovery
    SIGN_URL.replace("https://", "http://"),  # http instead of https
    SIGN_URL + "/",
    "https://cds.other.example.org" + SIGN_PATH,
])
def test_wrong_audience(auth_client: FlaskClient, es_key: SigningKey, caplog: pytest.LogCaptureFixture,
                        aud: str) -> None:
    assert_refused(call(auth_client, mint(es_key, aud=aud)))
    assert "aud is not the URL invoked" in refusal_reason(caplog)


def test_audience_without_public_base_url_is_the_request_url(auth_settings: dict[str, Any],
                                                             es_key: SigningKey) -> None:
    client = create_app({**auth_settings, "public_base_url": None}, today=lambda: AS_OF).test_client()
    assert_refused(call(client, mint(es_key)))  # the EHR called https://cds.example.org, we are http://localhost
    assert call(client, mint(es_key, aud="http://localhost" + SIGN_PATH)).status_code == 200


@pytest.mark.parametrize("claim", ["iss", "aud", "exp", "iat", "jti"])
def test_missing_required_claim(auth_client: FlaskClient, es_key: SigningKey, claim: str) -> None:
    assert_refused(call(auth_client, mint(es_key, drop=(claim,))))


@pytest.mark.parametrize("header", [{"kid": "unknown-kid"}, {"typ": "at+jwt"}, {"kid": ""}])
def test_bad_header(auth_client: FlaskClient, es_key: SigningKey, header: dict[str, Any]) -> None:
    assert_refused(call(auth_client, mint(es_key, header=header)))


@pytest.mark.parametrize(("header", "reason"), [({"alg": "ES384", "typ": "JWT"}, "no kid"),
                                              ({"alg": "ES384", "kid": "ehr-ec-1"}, "typ is not JWT")])
def test_missing_kid_or_typ(auth_client: FlaskClient, caplog: pytest.LogCaptureFixture, header: dict[str, Any],
                            reason: str) -> None:
    assert_refused(call(auth_client, hand_made(header, claims(), b"x" * 96)))
    assert reason in refusal_reason(caplog)


def test_a_key_not_in_the_issuers_jwks(auth_client: FlaskClient, caplog: pytest.LogCaptureFixture,
                                       es_key: SigningKey) -> None:
    impostor = new_key("ES384", es_key.kid)  # same kid, another key pair
    assert_refused(call(auth_client, mint(impostor)))
    assert "InvalidSignatureError" in refusal_reason(caplog)


def test_rsa_kid_with_an_ec_algorithm(auth_client: FlaskClient, es_key: SigningKey, rs_key: SigningKey) -> None:
    assert_refused(call(auth_client, mint(es_key, header={"kid": rs_key.kid})))


def test_alg_none(auth_client: FlaskClient, es_key: SigningKey, caplog: pytest.LogCaptureFixture) -> None:
    assert_refused(call(auth_client, hand_made({"alg": "none", "typ": "JWT", "kid": es_key.kid}, claims())))
    assert "algorithm not accepted" in refusal_reason(caplog)


@pytest.mark.parametrize("secret", ["pem", "jwk"])
def test_hs384_signed_with_the_issuers_public_key(auth_client: FlaskClient, rs_key: SigningKey,
                                                  secret: str) -> None:
    key = rs_key.public_pem() if secret == "pem" else json.dumps(rs_key.public_jwk()).encode()
    assert_refused(call(auth_client, hs384_with(key, {"typ": "JWT", "kid": rs_key.kid}, claims())))


def test_es256_is_refused_unless_configured(auth_settings: dict[str, Any], auth_client: FlaskClient) -> None:
    es256 = new_key("ES256", "ehr-ec256")
    issuer = {"iss": ISS, "jwks": {"keys": [es256.public_jwk()]}}
    assert_refused(call(auth_client, mint(es256)))
    allowed = create_app({**auth_settings, "auth": {"issuers": [issuer], "algorithms": ["ES384", "ES256"]}},
                         today=lambda: AS_OF).test_client()
    assert call(allowed, mint(es256)).status_code == 200


@pytest.mark.parametrize("algorithms", [["HS384"], ["none"], ["ES384", "HS256"], []])
def test_symmetric_or_none_algorithms_cannot_be_configured(auth_settings: dict[str, Any],
                                                           algorithms: list[str]) -> None:
    with pytest.raises(ValueError, match="algorithm"):
        create_app({**auth_settings, "auth": {**auth_settings["auth"], "algorithms": algorithms}})


def test_tampered_payload(auth_client: FlaskClient, es_key: SigningKey, rs_key: SigningKey) -> None:
    for key in (es_key, rs_key):
        assert_refused(call(auth_client, tamper(mint(key), aud=SIGN_URL, exp=int(time.time()) + 3000, tenant="other")))


def test_untrusted_issuer(auth_client: FlaskClient, es_key: SigningKey, caplog: pytest.LogCaptureFixture) -> None:
    assert_refused(call(auth_client, mint(es_key, iss="https://evil.example.com")))
    assert "issuer not trusted" in refusal_reason(caplog)


def test_jku_not_on_the_list_is_refused_without_fetching(auth_settings: dict[str, Any], es_key: SigningKey,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    issuer = {"iss": ISS, "allowed_jku": [JKU]}
    client = create_app({**auth_settings, "auth": {"issuers": [issuer]}}, today=lambda: AS_OF).test_client()
    with responses.RequestsMock() as rsps:
        for jku in ("https://evil.example.com/jwks.json", JKU + "?x=1", "http://ehr.example.org/.well-known/jwks.json",
                    "http://169.254.169.254/latest/meta-data/"):
            assert_refused(call(client, mint(es_key, header={"jku": jku})))
        assert len(rsps.calls) == 0
    assert "jku not allowed" in caplog.text


def test_tenant_restriction(auth_settings: dict[str, Any], es_key: SigningKey) -> None:
    issuer = {**auth_settings["auth"]["issuers"][0], "tenants": ["hospital-1"]}
    client = create_app({**auth_settings, "auth": {"issuers": [issuer]}}, today=lambda: AS_OF).test_client()
    assert call(client, mint(es_key, tenant="hospital-1")).status_code == 200
    assert_refused(call(client, mint(es_key, tenant="hospital-2")))
    assert_refused(call(client, mint(es_key)))


def test_replayed_jti(auth_client: FlaskClient, es_key: SigningKey, caplog: pytest.LogCaptureFixture) -> None:
    token = mint(es_key)
    assert call(auth_client, token).status_code == 200
    assert_refused(call(auth_client, token))
    assert "replay" in refusal_reason(caplog)
    assert call(auth_client, mint(es_key)).status_code == 200  # a fresh jti


def test_same_jti_from_another_issuer_is_not_a_replay(auth_settings: dict[str, Any], es_key: SigningKey) -> None:
    other = {"iss": "https://ehr-2.example.org", "jwks": auth_settings["auth"]["issuers"][0]["jwks"]}
    client = create_app({**auth_settings, "auth": {"issuers": [auth_settings["auth"]["issuers"][0], other]}},
                        today=lambda: AS_OF).test_client()
    assert call(client, mint(es_key, jti="shared-nonce")).status_code == 200
    assert call(client, mint(es_key, jti="shared-nonce", iss="https://ehr-2.example.org")).status_code == 200


def test_replay_across_two_app_instances_sharing_one_database(auth_settings: dict[str, Any],
                                                               es_key: SigningKey) -> None:
    first: Flask = create_app(auth_settings, today=lambda: AS_OF)
    second: Flask = create_app(auth_settings, today=lambda: AS_OF)
    token = mint(es_key)
    assert call(first.test_client(), token).status_code == 200
    assert_refused(call(second.test_client(), token))
    assert_refused(call(first.test_client(), token))


def test_unverified_parts_read_header_and_claims_as_pyjwt_does(es_key: SigningKey, rs_key: SigningKey) -> None:
    import jwt as pyjwt

    from cds_service.auth.verify import unverified_parts

    for key in (es_key, rs_key):
        token = mint(key)
        header, claims = unverified_parts(token)
        assert header == pyjwt.get_unverified_header(token)
        assert claims == pyjwt.decode(token, options={"verify_signature": False})


@pytest.mark.parametrize(("token", "reason"), [
    ("garbage", "not a JWT"), ("a.b", "not a JWT"), ("a.b.c.d", "not a JWT"),
    (f"{b64({'alg': 'ES384'})}.{b64([1, 2])}.sig", "not a JWT"),       # claims not an object
    (f"{b64({'alg': 'ES384'})}.bm90IGpzb24.sig", "not a JWT"),         # claims not JSON
    (f"{b64({'alg': 'ES384'})}.{b64({'sub': 'x'})}.sig", "no iss claim"),
])
def test_unverified_parts_refuse_what_is_not_a_jwt(token: str, reason: str) -> None:
    from cds_service.auth.verify import AuthFailed, unverified_parts

    with pytest.raises(AuthFailed, match=reason):
        unverified_parts(token)
