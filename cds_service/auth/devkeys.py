"""A local development issuer, so the quickstart runs with authentication on.

`create_dev_issuer` writes, into one folder: the private key (mode 0600), the public JWK Set, a
`cds.toml` trusting it (point CDS_CONFIG at it) and `issuer.json` (iss, kid, alg) for `mint_dev_token`.
The issuer id says what it is; never trust it on a server that sees real patients.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

DEV_ISSUER = "urn:hamstring-cds:dev-issuer"
DEFAULT_FOLDER = Path("instance") / "dev-issuer"
FILES = ("private-key.pem", "jwks.json", "cds.toml", "issuer.json")


@dataclass(frozen=True)
class DevIssuer:
    folder: Path
    iss: str
    kid: str
    alg: str

    @property
    def config(self) -> Path:
        return self.folder / "cds.toml"


def create_dev_issuer(folder: Path = DEFAULT_FOLDER, alg: str = "ES384", force: bool = False) -> DevIssuer:
    existing = [name for name in FILES if (folder / name).exists()]
    if existing and not force:
        raise FileExistsError(f"{folder} already holds a development issuer ({', '.join(existing)}); "
                              "use --force to replace it")
    private: Any = ec.generate_private_key(ec.SECP384R1()) if alg == "ES384" else rsa.generate_private_key(65537, 3072)
    public_jwk: dict[str, Any] = (ECAlgorithm if alg == "ES384" else RSAAlgorithm).to_jwk(private.public_key(),
                                                                                         as_dict=True)
    kid = thumbprint(public_jwk)
    public_jwk.update({"kid": kid, "use": "sig", "alg": alg})
    folder.mkdir(parents=True, exist_ok=True)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    _write_private(folder / "private-key.pem", pem)
    (folder / "jwks.json").write_text(json.dumps({"keys": [public_jwk]}, indent=2) + "\n")
    (folder / "cds.toml").write_text(
        "# Development issuer written by `hamstring-cds dev-keys`. Its private key sits next to this file:\n"
        "# trust it on a development machine only, never on a server that sees real patients.\n"
        "[[auth.issuers]]\n"
        f'iss = "{DEV_ISSUER}"\n'
        'jwks_file = "jwks.json"\n')
    (folder / "issuer.json").write_text(json.dumps({"iss": DEV_ISSUER, "kid": kid, "alg": alg}, indent=2) + "\n")
    return DevIssuer(folder, DEV_ISSUER, kid, alg)


def mint_dev_token(aud: str, folder: Path = DEFAULT_FOLDER, lifetime_seconds: int = 300,
                   tenant: str | None = None) -> str:
    """A CDS Hooks client JWT from the development issuer: typ, kid, iss, aud, exp, iat, a fresh jti."""
    meta = json.loads((folder / "issuer.json").read_text())
    private = serialization.load_pem_private_key((folder / "private-key.pem").read_bytes(), password=None)
    now = int(time.time())
    claims: dict[str, Any] = {"iss": meta["iss"], "aud": aud, "iat": now, "exp": now + lifetime_seconds,
                              "jti": str(uuid.uuid4())}
    if tenant:
        claims["tenant"] = tenant
    return jwt.encode(claims, private, algorithm=meta["alg"],  # type: ignore[arg-type]
                      headers={"kid": meta["kid"], "typ": "JWT"})


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 JWK thumbprint (SHA-256), a kid that changes whenever the key does."""
    members = ("crv", "kty", "x", "y") if jwk["kty"] == "EC" else ("e", "kty", "n")
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def _write_private(path: Path, data: bytes) -> None:
    if path.exists():
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
