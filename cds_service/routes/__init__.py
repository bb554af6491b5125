"""HTTP routes, one blueprint per concern. Views stay thin: parse, call, serialize."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import current_app, request
from werkzeug.sansio.utils import get_current_url

from cds_service import jsonutil
from cds_service.errors import BadRequest
from cds_service.state import ServiceState


def state() -> ServiceState:
    return current_app.extensions["cds"]


def json_body() -> Any:
    settings = state().settings
    data = request.get_data(cache=False)
    if len(data) >= settings.max_body_bytes:
        request.stream.read(1)  # a chunked body stops at the limit; reading on is a 413, not a truncated body
    try:
        body = jsonutil.loads(data)
    except jsonutil.InvalidJson:
        raise BadRequest("The request body is not valid JSON") from None
    limit = settings.max_json_depth
    if jsonutil.nesting_exceeds(data, limit):
        raise BadRequest(f"The request body nests JSON deeper than {limit} levels")
    return body


def base_url() -> str:
    configured = state().settings.public_base_url
    return configured or _host_url(request.scheme, request.host).rstrip("/")


@lru_cache(maxsize=64)
def _host_url(scheme: str, host: str) -> str:
    """`request.host_url`, which werkzeug rebuilds (as an IRI) on every request."""
    return get_current_url(scheme, host)
