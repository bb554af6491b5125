"""The one FHIR client: one `requests.Session`, explicit timeouts, typed errors raised from one place.

It only ever contacts origins on the configured allow-list that `netguard` also accepts (https; a
plain-http loopback server only when allowed; never link-local or metadata addresses, checked again
on each resolved address at connect time), never follows a redirect, bounds the size of what it
reads, and sends the bearer token only to fhirServer's origin. Tokens are never logged: log lines
name the origin and path only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from cds_service import jsonutil, tracing
from cds_service.netguard import guarded_session, normalize_origin, refused_url

log = logging.getLogger(__name__)
MAX_RESPONSE_BYTES = 32 * 1024 * 1024
FHIR_JSON = "application/fhir+json, application/json;q=0.9"


class FhirError(Exception):
    """A FHIR request that did not give usable data; the message is safe to show and log."""

    outcome = "error"  # the fetch outcome in metrics and traces


class NotAllowed(FhirError):
    outcome = "not_allowed"


class FhirUnavailable(FhirError):
    outcome = "unavailable"


class FhirRefused(FhirError):
    outcome = "refused"

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class FhirInvalid(FhirError):
    outcome = "invalid"


class FhirClient:
    def __init__(self, allowlist: list[str], max_response_bytes: int = MAX_RESPONSE_BYTES,
                 allow_http_loopback: bool = False, on_fetch: Callable[[float, str], None] | None = None):
        """`on_fetch(seconds, outcome)` hears of every GET (cds_service/metrics.py)."""
        self.on_fetch = on_fetch
        self.allowlist = frozenset(allowlist)
        self.max_response_bytes = max_response_bytes
        self.allow_http_loopback = allow_http_loopback
        self.session = guarded_session(allow_loopback=allow_http_loopback)

    def is_allowed(self, url: str) -> bool:
        return normalize_origin(url) in self.allowlist and refused_url(url, self.allow_http_loopback) is None

    def get_json(self, url: str, token: str | None, timeout: float, token_origin: str | None = None) -> dict[str, Any]:
        """GET `url`; `token` goes along only when `url` is on `token_origin` (fhirServer's origin)."""
        started, outcome = time.perf_counter(), "error"
        try:
            with tracing.Outbound(url) as call:
                data = self._get_json(url, token, timeout, token_origin, call)
            outcome = "ok"
            return data
        except FhirError as exc:
            outcome = exc.outcome
            raise
        finally:
            if self.on_fetch is not None:
                self.on_fetch(time.perf_counter() - started, outcome)

    def _get_json(self, url: str, token: str | None, timeout: float, token_origin: str | None,
                  call: tracing.Outbound) -> dict[str, Any]:
        if not self.is_allowed(url):
            raise NotAllowed(f"{normalize_origin(url) or 'this URL'} is not on the FHIR server allow-list")
        where = _describe(url)
        headers = {"Accept": FHIR_JSON, **call.headers()}
        if token:
            if token_origin is None or normalize_origin(url) != normalize_origin(token_origin):
                raise NotAllowed(f"{where}: the access token is only ever sent to fhirServer's origin")
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = self.session.get(url, headers=headers, timeout=(min(timeout, 2.0), timeout),
                                        allow_redirects=False, stream=True)
        except requests.RequestException as exc:
            raise FhirUnavailable(f"{where}: {type(exc).__name__}") from None
        call.answered(response.status_code)
        with response:
            if response.status_code != 200:
                raise FhirRefused(f"{where}: HTTP {response.status_code}", response.status_code)
            body = self._read_bounded(response, where)
        try:
            data = jsonutil.loads(body)
        except jsonutil.InvalidJson:
            raise FhirInvalid(f"{where}: response is not JSON") from None
        if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
            raise FhirInvalid(f"{where}: response is not a FHIR resource")
        return data

    def _read_bounded(self, response: requests.Response, where: str) -> bytes:
        chunks, size = [], 0
        try:
            for chunk in response.iter_content(chunk_size=65536):
                size += len(chunk)
                if size > self.max_response_bytes:
                    raise FhirInvalid(f"{where}: response larger than {self.max_response_bytes} bytes")
                chunks.append(chunk)
        except requests.RequestException as exc:
            raise FhirUnavailable(f"{where}: {type(exc).__name__}") from None
        return b"".join(chunks)


def _describe(url: str) -> str:
    parts = urlsplit(url)
    return f"{normalize_origin(url)}{parts.path}"
