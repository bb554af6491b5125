"""Service settings: environment variables prefixed `CDS_`, then the TOML file named by `CDS_CONFIG`.

Precedence: explicit overrides (tests, `create_app(overrides)`) > environment > TOML file > defaults.
Every setting is listed in the README's settings table; a test keeps the two in step.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from cds_service.auth.config import AuthSettings
from cds_service.netguard import normalize_origin, refused_url


class Settings(BaseSettings):
    # hide_input_in_errors: an error never repeats the value (a password pasted where its hash belongs)
    model_config = SettingsConfigDict(env_prefix="CDS_", extra="forbid", frozen=True, hide_input_in_errors=True)

    config: Path | None = Field(default=None, description="TOML file with further settings")
    fhir_server_allowlist: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="FHIR server origins the service may call (comma-separated)")
    fhir_time_budget_seconds: float = Field(default=3.0, gt=0, le=30,
                                            description="Overall time for all FHIR fetches of one call")
    fhir_max_pages: int = Field(default=5, ge=1, le=100, description="Search pages followed per prefetch key")
    instance_path: Path = Field(default=Path("instance"), description="Folder for the embedded SQLite store")
    database_url: str | None = Field(default=None, description="Store URL; default SQLite in the instance folder")
    guideline_file: Path | None = Field(default=None, description="Reviewed guideline config (TOML)")
    max_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, description="Largest request body accepted")
    public_base_url: str | None = Field(default=None, description="Public URL of the service behind a proxy")
    auth_required: bool = Field(default=True, description="Require a signed JWT on hook and feedback calls; "
                                                          "false is for local development only")
    auth: AuthSettings = Field(default_factory=AuthSettings,
                               description="[auth] table: trusted JWT issuers and token checks (docs/security.md)")
    fhir_allow_http_loopback: bool = Field(
        default=False, description="Allow http:// and loopback FHIR servers on the allow-list (development only)")
    cors_allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Browser origins allowed by CORS (comma-separated; * for any, tests only)")
    max_json_depth: int = Field(default=100, ge=8, le=1000,
                                description="Deepest JSON nesting accepted in a request body (400 above)")
    log_level: str = Field(default="INFO", description="Python log level")
    metrics_port: int | None = Field(default=None, ge=1, le=65535,
                                     description="Serve Prometheus metrics on this port of CDS_METRICS_HOST, apart "
                                                 "from the service's port (docs/observability.md); none: no metrics")
    metrics_host: str = Field(default="127.0.0.1", description="Address the metrics listener binds")
    database_migrate_on_start: bool = Field(
        default=True, description="Run the database migrations at `serve` and when the store is first opened")
    audit_pseudonym_secret: SecretStr | None = Field(
        default=None, description="HMAC key for patient pseudonyms in the audit trail; default: a random key "
                                  "kept in the instance folder (set it when several hosts share a database)")
    audit_store_patient_reference: bool = Field(
        default=False, description="Also store the raw patient reference in audit records (pseudonym only if false)")
    audit_capture_requests: bool = Field(
        default=False, description="Keep each hook request (tokens removed, resolved prefetch) for `replay`")
    audit_capture_retention_days: int = Field(
        default=30, ge=1, le=3650, description="Days captured requests are kept (removed by `audit prune`)")
    audit_spool_file: Path | None = Field(
        default=None, description="Where records wait while the database is unreachable; default "
                                  "audit-spool.jsonl in the instance folder")
    audit_journal_fsync: bool = Field(
        default=False, description="Sync each call's audit record to disk before the answer (survives a power "
                                   "loss, not only a crash of the process); costs one fsync per call")
    audit_retry_seconds: float = Field(
        default=5.0, gt=0, le=300, description="Pause between attempts to reach an unreachable audit database")
    monitor_recent_days: int = Field(default=7, ge=1, le=90,
                                     description="Firing-rate monitor: days of the recent window (today included)")
    monitor_baseline_days: int = Field(default=28, ge=1, le=365,
                                       description="Firing-rate monitor: days of the baseline window before it")
    monitor_spike_ratio: float = Field(default=2.0, gt=1, description="Firing-rate monitor: a rate above this "
                                                                      "many times the baseline is a spike")
    monitor_drop_ratio: float = Field(default=0.5, gt=0, lt=1, description="Firing-rate monitor: a rate below this "
                                                                           "fraction of the baseline is a drop")
    monitor_min_expected_cards: float = Field(
        default=10.0, gt=0, description="Firing-rate monitor: cards the baseline rate must predict for the recent "
                                        "window (or a spike must show) before a criterion is judged")
    monitor_max_failures: int = Field(
        default=0, ge=0, description="Firing-rate monitor: calls in which a criterion may raise in the recent "
                                     "window before it is flagged")
    monitor_max_skipped_percent: float = Field(
        default=1.0, ge=0, le=100, description="Firing-rate monitor: share of a service's recent calls with "
                                               "resources that could not be read before it is flagged (percent)")
    review_users: dict[str, str] = Field(
        default_factory=dict, description="Reviewer logins for /review: user name -> password hash from "
                                          "`hamstring-cds review-password`; none means /review is closed")

    @field_validator("fhir_server_allowlist", mode="before")
    @classmethod
    def split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [v for v in value.split(",") if v.strip()]
        if isinstance(value, list | tuple):
            origins = []
            for item in value:
                origin = normalize_origin(str(item))
                if origin is None:
                    raise ValueError(f"not an http(s) origin: {item!r}")
                origins.append(origin)
            return origins
        return value

    @field_validator("cors_allowed_origins", mode="before")
    @classmethod
    def split_cors_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, list | tuple):
            origins = []
            for item in value:
                origin = "*" if str(item).strip() == "*" else normalize_origin(str(item))
                if origin is None:
                    raise ValueError(f"not an http(s) origin: {item!r}")
                origins.append(origin)
            return origins
        return value

    @model_validator(mode="after")
    def fhir_servers_are_safe(self) -> Settings:
        for origin in self.fhir_server_allowlist:
            why = refused_url(origin, self.fhir_allow_http_loopback)
            if why:
                raise ValueError(f"fhir_server_allowlist: {origin} refused ({why})")
        return self

    @model_validator(mode="after")
    def issuer_fhir_servers_are_allowed(self) -> Settings:
        for issuer in self.auth.issuers:
            for origin in issuer.fhir_servers:  # origins already (IssuerConfig)
                if origin not in self.fhir_server_allowlist:
                    raise ValueError(f"auth issuer {issuer.iss!r}: fhir_servers: {origin} is not on "
                                     "fhir_server_allowlist (an issuer narrows the allow-list, never widens it)")
        return self

    @field_validator("review_users")
    @classmethod
    def hashed_passwords_only(cls, value: dict[str, str]) -> dict[str, str]:
        for user, hashed in value.items():
            if not hashed.startswith(("scrypt:", "pbkdf2:")):
                raise ValueError(f"review_users.{user}: give a password hash from `hamstring-cds review-password`, "
                                 "never the password")
        return value

    @field_validator("audit_pseudonym_secret")
    @classmethod
    def long_enough_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Checked here so a weak key stops the start-up instead of failing every call.
        if value is not None and len(value.get_secret_value().encode()) < 16:
            raise ValueError("the audit pseudonym secret must be at least 16 bytes")
        return value

    @field_validator("public_base_url")
    @classmethod
    def strip_slash(cls, value: str | None) -> str | None:
        """An http(s) URL without a trailing slash: card links, feedback URLs and exported moduleUri build on it."""
        if value is None:
            return None
        parsed = urlsplit(value.strip())
        if parsed.scheme not in ("http", "https") or not parsed.netloc or any(c.isspace() for c in value.strip()):
            raise ValueError("give the service's public http(s) URL, e.g. https://cds.example.org")
        return value.strip().rstrip("/")

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{(self.instance_path / 'cds.sqlite3').resolve()}"

    @property
    def spool_file(self) -> Path:
        return self.audit_spool_file or self.instance_path / "audit-spool.jsonl"

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("CDS_CONFIG")
        if config_file:
            if not Path(config_file).is_file():  # a misspelt path would start the service without its issuers
                raise ValueError(f"CDS_CONFIG names {config_file}, which is not a file (unset CDS_CONFIG to start "
                                 "without a settings file)")
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)
