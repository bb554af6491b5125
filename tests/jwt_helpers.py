"""Test issuers for authentication: ES384 and RS384 key pairs, JWK Sets, and tokens with any header or
claim, including the malformed and malicious ones PyJWT would refuse to make."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

ISS = "https://ehr.example.org"
BASE = "https://cds.example.org"
JKU = "https://ehr.example.org/.well-known/jwks.json"
JWKS_URL = "https://ehr.example.org/keys/cds-hooks.json"
SIGN_PATH = "/cds-services/hamstring-rehab-order-sign"
SIGN_URL = BASE + SIGN_PATH
# The public CDS Hooks sandbox's token header and iss (docs/security.md); tests sign with keys of their own.
SANDBOX_ISS = "https://sandbox.cds-hooks.org"
SANDBOX_JKU = "https://sandbox.cds-hooks.org/.well-known/jwks.json"
SANDBOX_KID = "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f"


@dataclass(frozen=True)
class SigningKey:
    alg: str
    kid: str
    private: Any

    def public_jwk(self) -> dict[str, Any]:
        algorithm = ECAlgorithm if self.alg.startswith("ES") else RSAAlgorithm
        jwk: dict[str, Any] = algorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "use": "sig", "alg": self.alg}

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo)


def new_key(alg: str, kid: str) -> SigningKey:
    curves = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1()}
    private = ec.generate_private_key(curves[alg]) if alg.startswith("ES") else rsa.generate_private_key(65537, 2048)
    return SigningKey(alg, kid, private)


def jwks(*keys: SigningKey) -> dict[str, Any]:
    return {"keys": [k.public_jwk() for k in keys]}


def claims(aud: str = SIGN_URL, drop: tuple[str, ...] = (), **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    payload = {"iss": ISS, "aud": aud, "exp": now + 300, "iat": now, "jti": str(uuid.uuid4())}
    payload.update(overrides)
    return {k: v for k, v in payload.items() if k not in drop}


def mint(key: SigningKey, aud: str = SIGN_URL, header: dict[str, Any] | None = None, drop: tuple[str, ...] = (),
         **overrides: Any) -> str:
    headers = {"kid": key.kid, "typ": "JWT", **(header or {})}
    return jwt.encode(claims(aud, drop, **overrides), key.private, algorithm=key.alg, headers=headers)


def sandbox_shaped(key: SigningKey, aud: str, iss: str = SANDBOX_ISS, jku: str = SANDBOX_JKU) -> str:
    """A token shaped as the sandbox makes them: header exactly alg, typ JWT, kid and jku; claims iss, aud,
    exp = now + 300, iat and a uuid jti, nothing else (no sub, nbf or tenant)."""
    now = int(time.time())
    payload = {"iss": iss, "aud": aud, "exp": now + 300, "iat": now, "jti": str(uuid.uuid4())}
    token = jwt.encode(payload, key.private, algorithm=key.alg, headers={"typ": "JWT", "kid": key.kid, "jku": jku})
    assert jwt.get_unverified_header(token) == {"alg": key.alg, "typ": "JWT", "kid": key.kid, "jku": jku}
    return token


def b64(data: Any) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def hand_made(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    return f"{b64(header)}.{b64(payload)}.{b64(signature)}"


def hs384_with(secret: bytes, header: dict[str, Any], payload: dict[str, Any]) -> str:
    """An HMAC token keyed with `secret` (the algorithm-confusion attack uses the public key)."""
    signing_input = f"{b64({**header, 'alg': 'HS384'})}.{b64(payload)}"
    return f"{signing_input}.{b64(hmac.new(secret, signing_input.encode(), hashlib.sha384).digest())}"


def tamper(token: str, **changes: Any) -> str:
    head, body, signature = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return f"{head}.{b64({**payload, **changes})}.{signature}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
