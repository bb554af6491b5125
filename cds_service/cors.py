"""CORS for browser-based CDS clients (the CDS Hooks sandbox): only the configured origins.

A preflight (`OPTIONS` with `Access-Control-Request-Method`) is answered 204 before authentication,
since browsers never attach the token to it. The allow headers go on every response to an allowed
origin, errors included, or the browser would hide a 401 or 412 from the client. No credentials:
the JWT travels in a header, not a cookie. `*` allows any origin and is meant for tests only.
"""

from __future__ import annotations

from flask import Flask, Response, request

ALLOW_METHODS = "GET, POST, OPTIONS"
ALLOW_HEADERS = "Authorization, Content-Type, X-Request-ID"
EXPOSE_HEADERS = "X-Request-ID, WWW-Authenticate"
MAX_AGE_SECONDS = "600"


def install_cors(app: Flask, allowed_origins: list[str]) -> None:
    allowed = frozenset(allowed_origins)
    any_origin = "*" in allowed

    def is_preflight() -> bool:
        return request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers

    @app.before_request
    def preflight() -> Response | None:
        return Response(status=204) if is_preflight() else None

    @app.after_request
    def cors_headers(response: Response) -> Response:
        _vary_on_origin(response)
        origin = request.headers.get("Origin")
        if not origin or not (any_origin or origin in allowed):
            return response
        response.headers["Access-Control-Allow-Origin"] = "*" if any_origin else origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
        if is_preflight():
            response.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
            response.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
            response.headers["Access-Control-Max-Age"] = MAX_AGE_SECONDS
        return response


def _vary_on_origin(response: Response) -> None:
    """`Vary: Origin` added to what the response varies on (`response.vary.add`, without building a
    header set on every response)."""
    vary = response.headers.get("Vary")
    if not vary:
        response.headers["Vary"] = "Origin"
    elif "origin" not in {token.strip().lower() for token in vary.split(",")}:
        response.headers["Vary"] = f"{vary}, Origin"
