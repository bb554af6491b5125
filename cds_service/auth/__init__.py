"""Authentication of the EHR by its signed JWT (CDS Hooks 2.0; procedure in docs/security.md).

- `config`: the `[auth]` table (trusted issuers, algorithms, skew, lifetime, public endpoints);
- `keys`: JWK Sets from files, inline tables or allow-listed URLs, cached, refreshed on rotation;
- `replay`: the jti store (`ReplayGuard`), in the service database;
- `verify`: the checks, in order, raising `AuthFailed` with a reason for the log only;
- `registry`: builds the `Authenticator` at start-up; `web`: the Flask before_request;
- `devkeys`: a local development issuer for `hamstring-cds dev-keys` / `dev-token`.
"""
