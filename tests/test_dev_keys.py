"""`hamstring-cds dev-keys` and `dev-token`: the quickstart works with authentication on."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import jwt
import pytest

from cds_service import create_app
from cds_service.auth.devkeys import DEV_ISSUER
from cds_service.cli import main
from tests.builders import AS_OF, hook_request, pt_order, weekly

SIGN = "/cds-services/hamstring-rehab-order-sign"


def dev_token(capsys: pytest.CaptureFixture[str], folder: Path, aud: str, *extra: str) -> str:
    capsys.readouterr()
    assert main(["dev-token", "--dir", str(folder), "--aud", aud, *extra]) == 0
    return capsys.readouterr().out.strip()


@pytest.mark.parametrize("alg", ["ES384", "RS384"])
def test_dev_issuer_and_token_pass_authentication(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch, settings: dict[str, Any],
                                                  alg: str) -> None:
    folder = tmp_path / "dev-issuer"
    assert main(["dev-keys", "--dir", str(folder), "--alg", alg]) == 0
    printed = capsys.readouterr().out
    assert f"CDS_CONFIG={folder / 'cds.toml'}" in printed and "never trust" in printed.lower()
    assert stat.S_IMODE((folder / "private-key.pem").stat().st_mode) == 0o600
    assert "d" not in json.loads((folder / "jwks.json").read_text())["keys"][0]

    monkeypatch.setenv("CDS_CONFIG", str(folder / "cds.toml"))
    app = create_app({k: v for k, v in settings.items() if k != "auth_required"}, today=lambda: AS_OF)
    client = app.test_client()
    body = hook_request("order-sign", [pt_order("pt-1", **weekly(4, 2))])
    assert client.post(SIGN, json=body).status_code == 401
    token = dev_token(capsys, folder, "http://localhost" + SIGN)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == alg and header["typ"] == "JWT" and header["kid"]
    assert jwt.decode(token, options={"verify_signature": False})["iss"] == DEV_ISSUER
    assert client.post(SIGN, json=body, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.post(SIGN, json=body, headers={"Authorization": f"Bearer {token}"}).status_code == 401  # replay


def test_dev_keys_does_not_overwrite_without_force(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["dev-keys", "--dir", str(tmp_path)]) == 0
    first = (tmp_path / "jwks.json").read_text()
    assert main(["dev-keys", "--dir", str(tmp_path)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["dev-keys", "--dir", str(tmp_path), "--force"]) == 0
    assert (tmp_path / "jwks.json").read_text() != first


def test_dev_token_options(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["dev-keys", "--dir", str(tmp_path)]) == 0
    token = dev_token(capsys, tmp_path, "https://cds.example.org/cds-services", "--lifetime", "60",
                      "--tenant", "clinic-7")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 60 and claims["tenant"] == "clinic-7"
    assert claims["aud"] == "https://cds.example.org/cds-services" and claims["jti"]


def test_dev_token_without_an_issuer_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["dev-token", "--dir", str(tmp_path / "none"), "--aud", "http://x"]) == 2
    assert "hamstring-cds:" in capsys.readouterr().err
