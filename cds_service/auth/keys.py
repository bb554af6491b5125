"""JWK Sets of trusted issuers: from a file, an inline table or an allow-listed https URL.

A set is loaded on first use and kept `jwks_cache_seconds`. An unknown kid triggers one reload, at
most once per `jwks_refresh_interval_seconds` per set (key rotation without letting a stream of
made-up kids hammer the EHR). A failed reload keeps the keys already known. Only public EC and RSA
signing keys with a kid are used; a configured file or inline set holding private key material
stops the start-up, since publishing it was surely a mistake.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from cds_service import jsonutil

log = logging.getLogger(__name__)
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
CURVES = {"ES256": "secp256r1", "ES384": "secp384r1", "ES512": "secp521r1"}
MIN_RSA_BITS = 2048
MAX_JWKS_BYTES = 256 * 1024


class JwksError(Exception):
    """A JWK Set that cannot be loaded or used; the message names the source, never key material."""


@dataclass(frozen=True)
class VerificationKey:
    kid: str
    key: Any  # a cryptography public key
    alg: str | None

    def fits(self, alg: str) -> bool:
        """Whether this key may verify a token signed with `alg` (family, curve, size, declared alg)."""
        if self.alg is not None and self.alg != alg:
            return False
        if alg.startswith("ES"):
            return isinstance(self.key, ec.EllipticCurvePublicKey) and self.key.curve.name == CURVES.get(alg)
        return isinstance(self.key, rsa.RSAPublicKey) and self.key.key_size >= MIN_RSA_BITS


def parse_jwks(document: Any, source: str, strict: bool) -> dict[str, list[VerificationKey]]:
    """Usable keys by kid. `strict` (configured sets) raises on a bad key instead of skipping it."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JwksError(f"{source}: not a JWK Set (no 'keys' list)")
    keys: dict[str, list[VerificationKey]] = {}
    for jwk in document["keys"]:
        problem = _problem(jwk)
        if problem is None:
            try:
                algorithm = ECAlgorithm if jwk["kty"] == "EC" else RSAAlgorithm
                key = algorithm.from_jwk(jwk)
                keys.setdefault(jwk["kid"], []).append(VerificationKey(jwk["kid"], key, jwk.get("alg")))
                continue
            except Exception:  # noqa: BLE001 - any malformed key is skipped or refused below
                problem = "malformed key"
        if strict and problem != "not a signing key":
            raise JwksError(f"{source}: {problem}")
        log.warning("JWK skipped", extra={"jwks": source, "reason": problem})
    if not keys:
        raise JwksError(f"{source}: no usable EC or RSA signing key with a kid")
    return keys


def _problem(jwk: Any) -> str | None:
    if not isinstance(jwk, dict):
        return "not a JWK object"
    if PRIVATE_MEMBERS & jwk.keys():
        return "holds private key material (publish public keys only)"
    if not isinstance(jwk.get("kid"), str) or not jwk["kid"]:
        return "no kid"
    if jwk.get("use", "sig") != "sig":
        return "not a signing key"
    if jwk.get("kty") not in ("EC", "RSA"):
        return f"key type {jwk.get('kty')!r} not supported"
    return None


class KeySet:
    """One issuer's (or one jku's) keys, reloaded through `loader` when stale or on an unknown kid."""

    def __init__(self, source: str, loader: Callable[[], Any], cache_seconds: float, refresh_interval: float,
                 clock: Callable[[], float] = time.monotonic):
        self.source = source
        self._loader = loader
        self._cache_seconds = cache_seconds
        self._refresh_interval = refresh_interval
        self._clock = clock
        self._keys: dict[str, list[VerificationKey]] = {}
        self._due = float("-inf")
        self._last_unknown_kid_reload = float("-inf")
        self._lock = threading.Lock()

    def find(self, kid: str, alg: str) -> VerificationKey | None:
        with self._lock:
            now = self._clock()
            if now >= self._due:
                self._reload(now)
            elif kid not in self._keys and now - self._last_unknown_kid_reload >= self._refresh_interval:
                self._last_unknown_kid_reload = now
                self._reload(now)
            return next((k for k in self._keys.get(kid, []) if k.fits(alg)), None)

    def knows(self, kid: str) -> bool:
        """Whether the keys loaded so far hold `kid`, for any algorithm (never loads or fetches)."""
        with self._lock:
            return kid in self._keys

    def _reload(self, now: float) -> None:
        try:
            self._keys = parse_jwks(self._loader(), self.source, strict=False)
            self._due = now + self._cache_seconds
        except (JwksError, OSError, ValueError, requests.RequestException) as exc:
            self._due = now + self._refresh_interval
            log.warning("JWK Set not loaded; keeping %d known kids", len(self._keys),
                        extra={"jwks": self.source, "reason": str(exc)[:300]})


def static_key_set(source: str, document: Any) -> KeySet:
    """An inline set: checked now, never reloaded."""
    keys = parse_jwks(document, source, strict=True)
    key_set = KeySet(source, lambda: document, float("inf"), float("inf"))
    key_set._keys, key_set._due = keys, float("inf")
    return key_set


def file_key_set(path: Path, cache_seconds: float, refresh_interval: float) -> KeySet:
    """A file: checked now (start-up fails on a bad file), re-read when a kid is unknown (rotation)."""

    def load() -> Any:
        return jsonutil.loads(path.read_bytes())

    try:
        parse_jwks(load(), str(path), strict=True)
    except (OSError, jsonutil.InvalidJson) as exc:
        raise JwksError(f"{path}: cannot read JWK Set ({type(exc).__name__})") from None
    return KeySet(str(path), load, cache_seconds, refresh_interval)


class JwksFetcher:
    """GETs a JWK Set over https: timeout, no redirect, bounded size, JSON only."""

    def __init__(self, session: requests.Session, timeout: float):
        self.session = session
        self.timeout = timeout

    def __call__(self, url: str) -> Any:
        response = self.session.get(url, timeout=(min(self.timeout, 2.0), self.timeout), allow_redirects=False,
                                    stream=True, headers={"Accept": "application/json, application/jwk-set+json"})
        with response:
            if response.status_code != 200:
                raise JwksError(f"{url}: HTTP {response.status_code}")
            body, size = [], 0
            for chunk in response.iter_content(65536):
                size += len(chunk)
                if size > MAX_JWKS_BYTES:
                    raise JwksError(f"{url}: larger than {MAX_JWKS_BYTES} bytes")
                body.append(chunk)
        try:
            return jsonutil.loads(b"".join(body))
        except jsonutil.InvalidJson:
            raise JwksError(f"{url}: not JSON") from None
