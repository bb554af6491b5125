"""Builds the `Authenticator` from settings at start-up: the trusted issuers and their key sets.

Files and inline sets are read and checked now, so a broken key file stops the start-up. URL sets
(`jwks_url`, each `allowed_jku`) are fetched on first use; one cache per URL, shared by issuers.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cds_service.auth.config import AuthSettings, IssuerConfig
from cds_service.auth.keys import JwksError, JwksFetcher, KeySet, file_key_set, static_key_set
from cds_service.auth.replay import ReplayGuard, SqliteReplayGuard
from cds_service.auth.verify import Authenticator, TrustedIssuer
from cds_service.netguard import guarded_session
from cds_service.settings import Settings


class AuthConfigError(ValueError):
    pass


def build_authenticator(settings: Settings, replay: ReplayGuard | None = None) -> Authenticator:
    auth = settings.auth
    if not auth.issuers:
        raise AuthConfigError(
            "authentication is required but no issuer is trusted: add [[auth.issuers]] to the file named by "
            "CDS_CONFIG (`hamstring-cds dev-keys` writes one for local development), or set "
            "CDS_AUTH_REQUIRED=false for local development only")
    base_dir = settings.config.resolve().parent if settings.config else Path.cwd()
    fetch = JwksFetcher(guarded_session(), auth.jwks_timeout_seconds)
    url_sets: dict[str, KeySet] = {}

    def url_set(url: str) -> KeySet:
        if url not in url_sets:
            url_sets[url] = KeySet(url, lambda: fetch(url), auth.jwks_cache_seconds,
                                   auth.jwks_refresh_interval_seconds)
        return url_sets[url]

    issuers = {}
    for issuer in auth.issuers:
        issuers[issuer.iss] = TrustedIssuer(iss=issuer.iss, keys=_out_of_band(issuer, auth, base_dir, url_set),
                                            allowed_jku=frozenset(issuer.allowed_jku),
                                            tenants=frozenset(issuer.tenants),
                                            fhir_servers=frozenset(issuer.fhir_servers))
        for jku in issuer.allowed_jku:
            url_set(jku)
    jku_sets = {jku: url_sets[jku] for issuer in auth.issuers for jku in issuer.allowed_jku}
    guard = replay
    database = settings.database
    if guard is None and not database.startswith("sqlite:///"):
        raise AuthConfigError("the jti replay guard keeps its records in SQLite (sqlite:///PATH database URLs); "
                              f"no ReplayGuard for {database.split(':', 1)[0]} yet")

    def replay_guard() -> ReplayGuard:
        nonlocal guard
        if guard is None:
            guard = SqliteReplayGuard.from_url(database)
        return guard

    return Authenticator(issuers, jku_sets, auth, replay_guard)


def _out_of_band(issuer: IssuerConfig, auth: AuthSettings, base_dir: Path,
                 url_set: Callable[[str], KeySet]) -> KeySet | None:
    try:
        if issuer.jwks is not None:
            return static_key_set(f"inline JWK Set of {issuer.iss}", issuer.jwks)
        if issuer.jwks_file is not None:
            path = issuer.jwks_file if issuer.jwks_file.is_absolute() else base_dir / issuer.jwks_file
            return file_key_set(path, auth.jwks_cache_seconds, auth.jwks_refresh_interval_seconds)
    except JwksError as exc:
        raise AuthConfigError(f"issuer {issuer.iss!r}: {exc}") from None
    if issuer.jwks_url is not None:
        return url_set(issuer.jwks_url)
    return None
