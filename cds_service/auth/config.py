"""The `[auth]` table of the TOML config: trusted issuers and the token checks (docs/security.md).

Validated at start-up: an unknown key, a symmetric or `none` algorithm, a JWKS or jku URL that is
not https, or an issuer with no way to find its keys stops the service from starting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from cds_service.netguard import normalize_origin, refused_url

ASYMMETRIC_ALGORITHMS = ("ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
PublicEndpoint = Literal["discovery", "health"]
PUBLIC_BY_DEFAULT: tuple[PublicEndpoint, ...] = ("discovery", "health")


def _https_url(value: str) -> str:
    if not value.startswith("https://") or refused_url(value):
        raise ValueError(f"{value!r} must be an https URL on a routable host")
    return value


class IssuerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    iss: str = Field(min_length=1, description="The token's `iss`, compared exactly")
    jwks_file: Path | None = Field(default=None, description="JWK Set file; relative to the config file")
    jwks_url: str | None = Field(default=None, description="https URL of the JWK Set, fetched and cached")
    jwks: dict[str, Any] | None = Field(default=None, description="The JWK Set inline (`keys = [...]`)")
    allowed_jku: list[str] = Field(default_factory=list,
                                   description="`jku` header values accepted for this issuer, compared exactly")
    tenants: list[str] = Field(default_factory=list,
                               description="When set, the `tenant` claim is required and must be one of these")
    fhir_servers: list[str] = Field(
        default_factory=list,
        description="When set, the only FHIR server origins this issuer's EHR may name as `fhirServer`; each must "
                    "be on fhir_server_allowlist (an issuer narrows the allow-list, never widens it)")

    @field_validator("jwks_url")
    @classmethod
    def https_jwks_url(cls, value: str | None) -> str | None:
        return _https_url(value) if value is not None else None

    @field_validator("allowed_jku")
    @classmethod
    def https_jku(cls, value: list[str]) -> list[str]:
        return [_https_url(v) for v in value]

    @field_validator("fhir_servers")
    @classmethod
    def fhir_server_origins(cls, value: list[str], info: ValidationInfo) -> list[str]:
        origins = []
        for server in value:
            origin = normalize_origin(server)
            if origin is None:
                raise ValueError(f"auth issuer {info.data.get('iss')!r}: fhir_servers: not an http(s) origin: "
                                 f"{server!r}")
            origins.append(origin)
        return origins

    @model_validator(mode="after")
    def one_key_source(self) -> IssuerConfig:
        sources = [s for s in (self.jwks_file, self.jwks_url, self.jwks) if s is not None]
        if len(sources) > 1:
            raise ValueError(f"issuer {self.iss!r}: give one of jwks_file, jwks_url or jwks")
        if not sources and not self.allowed_jku:
            raise ValueError(f"issuer {self.iss!r}: no keys (jwks_file, jwks_url, jwks or allowed_jku)")
        return self


class AuthSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    issuers: list[IssuerConfig] = Field(default_factory=list, description="Trusted JWT issuers ([[auth.issuers]])")
    algorithms: list[str] = Field(default_factory=lambda: ["ES384", "RS384"],
                                  description="Signature algorithms accepted; asymmetric only")
    clock_skew_seconds: int = Field(default=60, ge=0, le=300,
                                    description="Leeway for exp, nbf and iat against the server clock")
    max_token_lifetime_seconds: int = Field(default=3600, ge=60, le=86400,
                                            description="Largest exp - iat accepted")
    public_endpoints: list[PublicEndpoint] = Field(
        default_factory=lambda: list(PUBLIC_BY_DEFAULT),
        description="Endpoints answered without a token: discovery (/cds-services, /criteria, "
                    "/openapi.json) and health (/healthz, /readyz)")
    jwks_cache_seconds: int = Field(default=3600, ge=60, le=86400, description="How long a fetched JWK Set is used")
    jwks_refresh_interval_seconds: int = Field(
        default=60, ge=1, le=3600, description="Least time between two fetches of one JWK Set (unknown kid)")
    jwks_timeout_seconds: float = Field(default=3.0, gt=0, le=10, description="Timeout of one JWK Set fetch")

    @field_validator("algorithms")
    @classmethod
    def asymmetric_only(cls, value: list[str]) -> list[str]:
        refused = [a for a in value if a not in ASYMMETRIC_ALGORITHMS]
        if refused:
            raise ValueError(f"algorithms {refused} refused: only {', '.join(ASYMMETRIC_ALGORITHMS)} "
                             "(never none or HS*)")
        if not value:
            raise ValueError("at least one algorithm")
        return value

    @field_validator("issuers")
    @classmethod
    def unique_issuers(cls, value: list[IssuerConfig]) -> list[IssuerConfig]:
        names = [i.iss for i in value]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"issuer listed twice: {duplicates}")
        return value
