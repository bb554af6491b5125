"""Trusted issuers' keys: JWK Sets from a file (relative to CDS_CONFIG), a URL or an allowed jku; cached;
refreshed once, rate-limited, on an unknown kid (key rotation); checked at start-up."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import responses
from flask.testing import FlaskClient

from cds_service import create_app
from cds_service.auth.keys import KeySet, parse_jwks
from tests.builders import AS_OF
from tests.jwt_helpers import (
    ISS,
    JKU,
    JWKS_URL,
    SANDBOX_ISS,
    SANDBOX_JKU,
    SANDBOX_KID,
    SIGN_URL,
    SigningKey,
    jwks,
    mint,
    new_key,
    sandbox_shaped,
)
from tests.test_auth import assert_refused, call, refusal_reason


def app_with(auth_settings: dict[str, Any], **issuer: Any) -> FlaskClient:
    auth = {"issuers": [{"iss": ISS, **issuer}]}
    return create_app({**auth_settings, "auth": auth}, today=lambda: AS_OF).test_client()


def test_jwks_url_is_fetched_once_and_cached(auth_settings: dict[str, Any], es_key: SigningKey) -> None:
    client = app_with(auth_settings, jwks_url=JWKS_URL)
    with responses.RequestsMock() as rsps:
        rsps.get(JWKS_URL, json=jwks(es_key))
        assert call(client, mint(es_key)).status_code == 200
        assert call(client, mint(es_key)).status_code == 200
        assert len(rsps.calls) == 1
        assert "Authorization" not in rsps.calls[0].request.headers


def test_key_rotation_with_a_rate_limited_refresh(auth_settings: dict[str, Any], es_key: SigningKey) -> None:
    rotated = new_key("ES384", "ehr-ec-2")
    client = app_with(auth_settings, jwks_url=JWKS_URL)
    with responses.RequestsMock() as rsps:
        rsps.get(JWKS_URL, json=jwks(es_key))
        assert call(client, mint(es_key)).status_code == 200
        rsps.replace(responses.GET, JWKS_URL, json=jwks(rotated))
        assert call(client, mint(rotated)).status_code == 200  # unknown kid: one refresh
        assert len(rsps.calls) == 2
        assert_refused(call(client, mint(es_key)))  # retired with the rotation
        assert_refused(call(client, mint(new_key("ES384", "made-up-kid"))))
        assert len(rsps.calls) == 2  # no second refresh within the interval


def test_allowed_jku_is_fetched_and_cached(auth_settings: dict[str, Any], rs_key: SigningKey) -> None:
    client = app_with(auth_settings, allowed_jku=[JKU])
    with responses.RequestsMock() as rsps:
        rsps.get(JKU, json=jwks(rs_key))
        for _ in range(2):
            assert call(client, mint(rs_key, header={"jku": JKU})).status_code == 200
        assert [c.request.url for c in rsps.calls] == [JKU]


def test_token_without_jku_when_the_issuer_only_has_jku(auth_settings: dict[str, Any], rs_key: SigningKey) -> None:
    client = app_with(auth_settings, allowed_jku=[JKU])
    with responses.RequestsMock() as rsps:
        assert_refused(call(client, mint(rs_key)))
        assert len(rsps.calls) == 0


@pytest.mark.parametrize("reply", [
    {"status": 302, "headers": {"Location": "https://evil.example.com/jwks.json"}},
    {"status": 500, "json": {"error": "down"}},
    {"status": 200, "body": "<html>not json</html>"},
    {"status": 200, "json": {"no": "keys"}},
])
def test_unusable_jwks_answer_is_a_401_and_redirects_are_not_followed(
        auth_settings: dict[str, Any], es_key: SigningKey, reply: dict[str, Any]) -> None:
    client = app_with(auth_settings, jwks_url=JWKS_URL)
    with responses.RequestsMock() as rsps:
        rsps.get(JWKS_URL, **reply)
        assert_refused(call(client, mint(es_key)))
        assert [c.request.url for c in rsps.calls] == [JWKS_URL]


def test_jwks_file_relative_to_the_config_file_and_reread_on_rotation(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: dict[str, Any], es_key: SigningKey) -> None:
    rotated = new_key("ES384", "ehr-ec-2")
    (tmp_path / "keys").mkdir()
    key_file = tmp_path / "keys" / "ehr-jwks.json"
    key_file.write_text(json.dumps(jwks(es_key)))
    config = tmp_path / "cds.toml"
    config.write_text(f'public_base_url = "https://cds.example.org"\n\n[[auth.issuers]]\niss = "{ISS}"\n'
                      'jwks_file = "keys/ehr-jwks.json"\n')
    monkeypatch.setenv("CDS_CONFIG", str(config))
    monkeypatch.chdir(tmp_path.parent)
    client = create_app({k: v for k, v in settings.items() if k != "auth_required"},
                        today=lambda: AS_OF).test_client()
    assert call(client, mint(es_key)).status_code == 200
    key_file.write_text(json.dumps(jwks(es_key, rotated)))
    assert call(client, mint(rotated)).status_code == 200


@pytest.mark.parametrize(("issuer", "message"), [
    ({"jwks_url": "http://ehr.example.org/jwks.json"}, "https"),
    ({"jwks_url": "https://169.254.169.254/jwks.json"}, "https URL on a routable host"),
    ({"allowed_jku": ["https://metadata.google.internal/jwks"]}, "routable"),
    ({}, "no keys"),
    ({"jwks_url": JWKS_URL, "allowed_jku": [JKU], "jwks": {"keys": []}}, "one of"),
    ({"jwks": {"keys": []}}, "no usable"),
    ({"jwks_file": "/nonexistent/jwks.json"}, "cannot read"),
    ({"jwks_url": JWKS_URL, "jwks_ur1": JWKS_URL}, "jwks_ur1"),
])
def test_bad_issuer_config_stops_the_start_up(auth_settings: dict[str, Any], issuer: dict[str, Any],
                                              message: str) -> None:
    with pytest.raises(ValueError, match=message):
        app_with(auth_settings, **issuer)


def test_private_key_material_in_a_configured_jwks_stops_the_start_up(auth_settings: dict[str, Any],
                                                                      es_key: SigningKey) -> None:
    from jwt.algorithms import ECAlgorithm

    private_jwk = {**ECAlgorithm.to_jwk(es_key.private, as_dict=True), "kid": es_key.kid}
    with pytest.raises(ValueError, match="private key material"):
        app_with(auth_settings, jwks={"keys": [private_jwk]})


def test_duplicate_issuers_are_refused(auth_settings: dict[str, Any]) -> None:
    issuer = auth_settings["auth"]["issuers"][0]
    with pytest.raises(ValueError, match="listed twice"):
        create_app({**auth_settings, "auth": {"issuers": [issuer, issuer]}})


def test_only_usable_signing_keys_are_kept(es_key: SigningKey) -> None:
    weak = {"kty": "RSA", "kid": "weak", "n": "sXch", "e": "AQAB"}
    document = {"keys": [es_key.public_jwk(), {**es_key.public_jwk(), "kid": "enc", "use": "enc"},
                         {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}, {"kid": "no-kty"}, "junk", weak]}
    keys = parse_jwks(document, "test", strict=False)
    assert set(keys) == {es_key.kid, "weak"}
    assert not keys["weak"][0].fits("RS384")  # 16-bit modulus: below 2048 bits
    assert keys[es_key.kid][0].fits("ES384") and not keys[es_key.kid][0].fits("ES256")
    assert not keys[es_key.kid][0].fits("RS384")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_key_set_cache_ttl_rate_limit_and_stale_keys_on_failure(es_key: SigningKey) -> None:
    clock, fetches = FakeClock(), []
    answers: list[Any] = [jwks(es_key), jwks(es_key), OSError("down"), OSError("down")]

    def loader() -> Any:
        fetches.append(clock.now)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    key_set = KeySet("test", loader, cache_seconds=300, refresh_interval=60, clock=clock)
    assert key_set.find(es_key.kid, "ES384") is not None
    assert key_set.find("unknown", "ES384") is None  # one refresh
    assert key_set.find("unknown", "ES384") is None  # rate-limited: no fetch
    assert len(fetches) == 2
    clock.now += 301  # stale: reload fails, the known key is kept
    assert key_set.find(es_key.kid, "ES384") is not None
    clock.now += 30  # failed reload retried after the refresh interval only
    assert key_set.find(es_key.kid, "ES384") is not None
    assert len(fetches) == 3
    clock.now += 31
    assert key_set.find(es_key.kid, "ES384") is not None
    assert len(fetches) == 4


# Out-of-band keys and an allowed jku together: the sandbox always names its jku, and an offline set-up
# (docs/security.md) gives its keys in jwks_file. The configured keys decide for every kid they hold; the
# jku is fetched only for a kid they lack, and a jku off the list is refused before any fetch.

SANDBOX_KEYS = {"ES384": new_key("ES384", SANDBOX_KID), "RS384": new_key("RS384", "sandbox-rsa-1")}


def sandbox_client(auth_settings: dict[str, Any], tmp_path: Path, source: str, *keys: SigningKey) -> FlaskClient:
    if source == "jwks_file":
        key_file = tmp_path / "sandbox-jwks.json"
        key_file.write_text(json.dumps(jwks(*keys)))
        configured: dict[str, Any] = {"jwks_file": str(key_file)}
    else:
        configured = {"jwks": jwks(*keys)}
    auth = {"issuers": [{"iss": SANDBOX_ISS, "allowed_jku": [SANDBOX_JKU], **configured}]}
    return create_app({**auth_settings, "auth": auth}, today=lambda: AS_OF).test_client()


@pytest.mark.parametrize("source", ["jwks_file", "jwks"])
@pytest.mark.parametrize("alg", ["ES384", "RS384"])
def test_configured_keys_verify_a_sandbox_shaped_token_without_fetching_its_jku(
        auth_settings: dict[str, Any], tmp_path: Path, alg: str, source: str) -> None:
    key = SANDBOX_KEYS[alg]
    client = sandbox_client(auth_settings, tmp_path, source, *SANDBOX_KEYS.values())
    with responses.RequestsMock() as rsps:
        assert call(client, sandbox_shaped(key, SIGN_URL)).status_code == 200
        assert call(client, mint(key, iss=SANDBOX_ISS)).status_code == 200  # no jku: the configured keys
        assert len(rsps.calls) == 0


@pytest.mark.parametrize("alg", ["ES384", "RS384"])
def test_a_jku_off_the_list_is_refused_before_any_fetch_even_for_a_configured_kid(
        auth_settings: dict[str, Any], tmp_path: Path, caplog: pytest.LogCaptureFixture, alg: str) -> None:
    key = SANDBOX_KEYS[alg]
    client = sandbox_client(auth_settings, tmp_path, "jwks_file", key)
    with responses.RequestsMock() as rsps:
        assert_refused(call(client, sandbox_shaped(key, SIGN_URL, jku="https://evil.example.com/jwks.json")))
        assert len(rsps.calls) == 0
    assert "jku not allowed" in refusal_reason(caplog)


@pytest.mark.parametrize("alg", ["ES384", "RS384"])
def test_an_allowed_jku_is_fetched_for_a_kid_the_configured_keys_lack(
        auth_settings: dict[str, Any], tmp_path: Path, alg: str) -> None:
    configured, rotated = SANDBOX_KEYS["ES384"], new_key(alg, f"sandbox-next-{alg}")
    client = sandbox_client(auth_settings, tmp_path, "jwks_file", configured)
    with responses.RequestsMock() as rsps:
        rsps.get(SANDBOX_JKU, json=jwks(rotated))
        assert call(client, sandbox_shaped(rotated, SIGN_URL)).status_code == 200
        assert call(client, sandbox_shaped(rotated, SIGN_URL)).status_code == 200  # cached
        assert call(client, sandbox_shaped(configured, SIGN_URL)).status_code == 200  # still the file's key
        assert [c.request.url for c in rsps.calls] == [SANDBOX_JKU]


@pytest.mark.parametrize("alg", ["ES384", "RS384"])
def test_a_kid_in_neither_set_is_refused(auth_settings: dict[str, Any], tmp_path: Path,
                                         caplog: pytest.LogCaptureFixture, alg: str) -> None:
    client = sandbox_client(auth_settings, tmp_path, "jwks_file", *SANDBOX_KEYS.values())
    with responses.RequestsMock() as rsps:
        rsps.get(SANDBOX_JKU, json=jwks(new_key("ES384", "published-elsewhere")))
        assert_refused(call(client, sandbox_shaped(new_key(alg, "made-up-kid"), SIGN_URL)))
        assert [c.request.url for c in rsps.calls] == [SANDBOX_JKU]
    reason = refusal_reason(caplog)
    assert "no key with this kid" in reason


def test_a_configured_kid_is_not_looked_up_again_at_the_jku_for_another_algorithm(
        auth_settings: dict[str, Any], tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The configured set holds the kid as an RSA key: an ES384 token naming that kid is refused there,
    and the jku is not asked for another key under the same kid."""
    rsa_key = SANDBOX_KEYS["RS384"]
    client = sandbox_client(auth_settings, tmp_path, "jwks", rsa_key)
    impostor = new_key("ES384", rsa_key.kid)
    with responses.RequestsMock() as rsps:
        assert_refused(call(client, sandbox_shaped(impostor, SIGN_URL)))
        assert len(rsps.calls) == 0
    assert "no key with this kid" in refusal_reason(caplog)


def test_a_jwks_url_that_is_also_the_allowed_jku_is_one_cache(auth_settings: dict[str, Any],
                                                              es_key: SigningKey) -> None:
    client = app_with(auth_settings, jwks_url=JWKS_URL, allowed_jku=[JWKS_URL])
    with responses.RequestsMock() as rsps:
        rsps.get(JWKS_URL, json=jwks(es_key))
        assert call(client, sandbox_shaped(es_key, SIGN_URL, iss=ISS, jku=JWKS_URL)).status_code == 200
        assert len(rsps.calls) == 1
        unknown = new_key("ES384", "unknown")
        assert_refused(call(client, sandbox_shaped(unknown, SIGN_URL, iss=ISS, jku=JWKS_URL)))
        assert len(rsps.calls) == 2  # the one refresh for an unknown kid, not one per role of the URL
        assert_refused(call(client, sandbox_shaped(unknown, SIGN_URL, iss=ISS, jku=JWKS_URL)))
        assert len(rsps.calls) == 2  # rate-limited
