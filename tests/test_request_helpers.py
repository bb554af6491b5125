"""Per-request helpers outside the pipeline's logic: card uuids and the service's own base URL."""

from __future__ import annotations

import uuid

import pytest
from werkzeug.wrappers import Request

from cards.render import new_uuid
from cds_service.routes import _host_url


def test_card_uuids_are_version_7_uuids() -> None:
    made = [new_uuid() for _ in range(200)]
    assert len(set(made)) == 200
    for text in made:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant, str(parsed)) == (7, uuid.RFC_4122, text)


@pytest.mark.parametrize(("scheme", "host"), [("http", "localhost"), ("https", "ehr.example.org:8443"),
                                              ("http", "xn--bcher-kva.example"), ("http", "[::1]:8080")])
def test_base_url_host_part_is_what_werkzeug_gives(scheme: str, host: str) -> None:
    environ = {"wsgi.url_scheme": scheme, "HTTP_HOST": host, "SERVER_NAME": "x", "SERVER_PORT": "80",
               "REQUEST_METHOD": "GET", "PATH_INFO": "/"}
    assert _host_url(scheme, host) == Request(environ).host_url
