"""Verification of the EHR's `Authorization: Bearer <JWT>` (CDS Hooks 2.0 "Trusting CDS Clients").

The order follows docs/security.md: header and scheme, header fields (alg on the allow-list, typ JWT,
kid), a trusted iss, a jku on that issuer's list (refused before any fetch), the key by kid (in the
issuer's out-of-band set first, whatever the jku; the jku's set only for a kid not in it), then
signature and claims with PyJWT (iss, aud = the exact URL invoked, exp, iat, jti required; nbf when
present; leeway = clock skew), lifetime, tenant, and last the jti replay check. Any failure raises
`AuthFailed`, whose reason is for the server log only; the token itself is never logged or kept.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt

from cds_service.auth.config import AuthSettings
from cds_service.auth.keys import KeySet, VerificationKey
from cds_service.auth.replay import ReplayGuard

REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "jti"]
MAX_TOKEN_CHARS = 16384
MAX_JTI_CHARS = 255
CLAIM_ERRORS = (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError, jwt.InvalidAudienceError,
                jwt.InvalidIssuerError, jwt.InvalidIssuedAtError, jwt.MissingRequiredClaimError)


class AuthFailed(Exception):
    def __init__(self, reason: str, **context: Any):
        super().__init__(reason)
        self.reason = reason
        self.context = {k: _short(v) for k, v in context.items() if v is not None}


def _short(value: Any) -> Any:
    return value[:200] if isinstance(value, str) else value


@dataclass(frozen=True)
class TrustedIssuer:
    iss: str
    keys: KeySet | None  # the out-of-band set; None when keys come only from an allowed jku
    allowed_jku: frozenset[str]
    tenants: frozenset[str]
    fhir_servers: frozenset[str] = frozenset()  # origins; empty: any on the allow-list


@dataclass(frozen=True)
class Caller:
    """Who called, as far as the log and the audit trail may say: never the token."""

    iss: str
    jti: str
    kid: str
    tenant: str | None = None
    fhir_servers: frozenset[str] = frozenset()  # the FHIR server origins it may name; empty: any allowed


class Authenticator:
    def __init__(self, issuers: dict[str, TrustedIssuer], jku_keys: dict[str, KeySet], settings: AuthSettings,
                 replay: Callable[[], ReplayGuard]):
        self.issuers = issuers
        self.jku_keys = jku_keys
        self.settings = settings
        self._replay = replay

    def authenticate(self, authorization: str | None, audience: str) -> Caller:
        token = bearer_token(authorization)
        header, unverified = unverified_parts(token)
        self._check_header(header)
        alg, kid = header["alg"], header["kid"]
        issuer = self.issuers.get(unverified.get("iss"))  # type: ignore[arg-type]
        if issuer is None:
            raise AuthFailed("issuer not trusted", iss=str(unverified.get("iss")), kid=kid)
        key = self._key(issuer, header.get("jku"), kid, alg)
        claims = self._verified_claims(token, key.key, alg, issuer.iss, audience, kid, unverified)
        return self._accept(claims, issuer, kid)

    def _check_header(self, header: dict[str, Any]) -> None:
        alg, kid, typ = header.get("alg"), header.get("kid"), header.get("typ")
        if alg not in self.settings.algorithms:
            raise AuthFailed("algorithm not accepted", alg=str(alg))
        if not isinstance(typ, str) or typ.upper() != "JWT":
            raise AuthFailed("header typ is not JWT", typ=str(typ))
        if not isinstance(kid, str) or not kid:
            raise AuthFailed("header has no kid")
        if "jku" in header and not isinstance(header["jku"], str):
            raise AuthFailed("header jku is not a string")

    def _key(self, issuer: TrustedIssuer, jku: str | None, kid: str, alg: str) -> VerificationKey:
        """The key for `kid`. A jku off the issuer's list is refused before anything is fetched. Keys
        configured out of band (jwks_file, inline jwks, jwks_url) decide for every kid they hold, whatever
        the jku says, so an offline set-up works for a client that always sends its jku; an allowed jku's
        set is fetched only for a kid the configured set does not hold."""
        if jku is not None and jku not in issuer.allowed_jku:
            raise AuthFailed("jku not allowed for this issuer (not fetched)", iss=issuer.iss, jku=jku, kid=kid)
        if jku is None and issuer.keys is None:
            raise AuthFailed("no jku and no out-of-band JWK Set for this issuer", iss=issuer.iss, kid=kid)
        consulted: list[KeySet] = []
        if issuer.keys is not None:
            consulted.append(issuer.keys)
            key = issuer.keys.find(kid, alg)
            if key is not None or jku is None or issuer.keys.knows(kid):
                return self._found(key, issuer, kid, alg, consulted)
        if jku is not None and self.jku_keys[jku] is not issuer.keys:  # jwks_url and jku may be one URL
            consulted.append(self.jku_keys[jku])
            return self._found(self.jku_keys[jku].find(kid, alg), issuer, kid, alg, consulted)
        return self._found(None, issuer, kid, alg, consulted)

    @staticmethod
    def _found(key: VerificationKey | None, issuer: TrustedIssuer, kid: str, alg: str,
               consulted: list[KeySet]) -> VerificationKey:
        if key is None:
            raise AuthFailed("no key with this kid and algorithm in the issuer's JWK Set", iss=issuer.iss, kid=kid,
                             alg=alg, jwks=" + ".join(s.source for s in consulted))
        return key

    def _verified_claims(self, token: str, key: Any, alg: str, iss: str, audience: str, kid: str,
                         unverified: dict[str, Any]) -> dict[str, Any]:
        try:
            return jwt.decode(token, key, algorithms=[alg], audience=audience, issuer=iss,
                              leeway=self.settings.clock_skew_seconds,
                              options={"require": REQUIRED_CLAIMS, "verify_signature": True, "verify_exp": True,
                                       "verify_nbf": True, "verify_iat": True, "verify_aud": True,
                                       "verify_iss": True})
        except jwt.InvalidAudienceError:
            raise AuthFailed("aud is not the URL invoked", iss=iss, kid=kid, expected_aud=audience,
                             aud=str(unverified.get("aud"))) from None
        except CLAIM_ERRORS as exc:
            raise AuthFailed(f"claims refused: {exc}", iss=iss, kid=kid) from None
        except jwt.PyJWTError as exc:
            raise AuthFailed(f"signature or token refused ({type(exc).__name__})", iss=iss, kid=kid) from None

    def _accept(self, claims: dict[str, Any], issuer: TrustedIssuer, kid: str) -> Caller:
        iss, jti, tenant = issuer.iss, claims["jti"], claims.get("tenant")
        if not all(isinstance(claims[c], int | float) and not isinstance(claims[c], bool) for c in ("exp", "iat")):
            raise AuthFailed("exp and iat must be numbers", iss=iss, kid=kid)
        lifetime = claims["exp"] - claims["iat"]
        if lifetime > self.settings.max_token_lifetime_seconds:
            raise AuthFailed(f"lifetime exp - iat = {lifetime} s is too long", iss=iss, kid=kid)
        if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_CHARS:
            raise AuthFailed("jti is not a string of 1 to 255 characters", iss=iss, kid=kid)
        if issuer.tenants and tenant not in issuer.tenants:
            raise AuthFailed("tenant not allowed for this issuer", iss=iss, kid=kid, tenant=str(tenant))
        expires_at = float(claims["exp"]) + self.settings.clock_skew_seconds
        if not self._replay().remember(iss, jti, expires_at):
            raise AuthFailed("jti already used (replay)", iss=iss, kid=kid, jti=jti)
        return Caller(iss=iss, jti=jti, kid=kid, tenant=tenant if isinstance(tenant, str) else None,
                      fhir_servers=issuer.fhir_servers)


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise AuthFailed("no Authorization header")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthFailed("Authorization is not a Bearer token")
    if len(token) > MAX_TOKEN_CHARS:
        raise AuthFailed("token too long")
    return token


def unverified_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of a compact JWS, read once and not yet trusted: they only choose the issuer
    and key (and refuse early); `jwt.decode` then verifies the signature and every claim on the token
    itself. Decoded as PyJWT decodes them (base64url, then JSON), without its two extra passes."""
    parts = token.split(".")
    if len(parts) != 3:
        raise AuthFailed("not a JWT")
    try:
        header, claims = (json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
                          for part in parts[:2])
    except (ValueError, TypeError):  # binascii.Error, UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise AuthFailed("not a JWT") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise AuthFailed("not a JWT")
    if not isinstance(claims.get("iss"), str):
        raise AuthFailed("no iss claim")
    return header, claims
