"""docs/security.md: its TOML examples are valid settings, it names every [auth] key, and its offline
sandbox recipe works as written (a sandbox-shaped token, keys from the jwks_file, no network)."""

from __future__ import annotations

import json
import re
import socket
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses

from cds_service import create_app
from cds_service.auth.config import AuthSettings, IssuerConfig
from cds_service.settings import Settings
from tests.builders import AS_OF, hook_request, pt_order, weekly
from tests.jwt_helpers import SANDBOX_ISS, SANDBOX_JKU, SANDBOX_KID, bearer, jwks, new_key, sandbox_shaped

DOC = (Path(__file__).resolve().parents[1] / "docs" / "security.md").read_text()
EXAMPLES = re.findall(r"```toml\n(.*?)```", DOC, re.S)


@pytest.mark.parametrize("example", EXAMPLES)
def test_toml_examples_are_valid_settings(example: str) -> None:
    assert Settings(**tomllib.loads(example)).auth.issuers


def test_every_auth_key_is_documented() -> None:
    for name in [*AuthSettings.model_fields, *IssuerConfig.model_fields]:
        assert re.search(rf"^{name} = |\[\[?auth\.{name}\]|`{name}`", DOC, re.M), name


SANDBOX_ORIGIN = "https://sandbox.cds-hooks.org"
LOCAL_BASE = "http://localhost:8080"  # as the doc says the sandbox reaches the service
SIGN_PATH = "/cds-services/hamstring-rehab-order-sign"


def sandbox_offline_recipe() -> str:
    """The doc's one TOML block that trusts the sandbox through a jwks_file, as written."""
    recipes = [e for e in EXAMPLES if SANDBOX_ISS in e and "jwks_file" in e]
    assert len(recipes) == 1, "docs/security.md should have one offline sandbox recipe"
    return recipes[0]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every name look-up or connection is refused and recorded (SQLite and the test client open none)."""
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise OSError("network use in an offline test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    yield attempts


def test_the_offline_sandbox_recipe_accepts_sandbox_tokens_without_any_fetch(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_network: list[Any]) -> None:
    recipe = sandbox_offline_recipe()
    issuer = next(i for i in tomllib.loads(recipe)["auth"]["issuers"] if i["iss"] == SANDBOX_ISS)
    assert issuer["allowed_jku"] == [SANDBOX_JKU]
    key = new_key("ES384", SANDBOX_KID)  # the sandbox's alg and kid; a key made here, its public set in the file
    (tmp_path / issuer["jwks_file"]).write_text(json.dumps(jwks(key)))
    config = tmp_path / "cds.toml"
    config.write_text(recipe)
    monkeypatch.setenv("CDS_CONFIG", str(config))
    monkeypatch.chdir(tmp_path.parent)  # jwks_file is found beside the config file, not in the working folder
    client = create_app({"instance_path": tmp_path / "instance"}, today=lambda: AS_OF).test_client()
    body = hook_request("order-sign", [pt_order("pt-1", **weekly(4, 2))])
    feedback = {"feedback": [{"card": "9368d37b-283f-44a0-93ea-547cebab93ed", "outcome": "overridden",
                              "outcomeTimestamp": "2026-11-23T10:05:31Z"}]}
    with responses.RequestsMock() as rsps:
        hook = client.post(SIGN_PATH, json=body, base_url=LOCAL_BASE, headers={
            **bearer(sandbox_shaped(key, LOCAL_BASE + SIGN_PATH)), "Origin": SANDBOX_ORIGIN})
        assert hook.status_code == 200
        assert hook.get_json()["cards"]
        assert hook.headers["Access-Control-Allow-Origin"] == SANDBOX_ORIGIN
        answer = client.post(SIGN_PATH + "/feedback", json=feedback, base_url=LOCAL_BASE,
                             headers=bearer(sandbox_shaped(key, LOCAL_BASE + SIGN_PATH + "/feedback")))
        assert answer.status_code == 200
        assert len(rsps.calls) == 0  # the kid is in the file: its jku is never fetched
        stranger = sandbox_shaped(new_key("ES384", "not-in-the-file"), LOCAL_BASE + SIGN_PATH)
        assert client.post(SIGN_PATH, json=body, base_url=LOCAL_BASE, headers=bearer(stranger)).status_code == 401
        assert [c.request.url for c in rsps.calls] == [SANDBOX_JKU]  # another kid: the allowed jku is tried
    assert no_network == []
