"""The Flask side: `require_caller(group)` is a blueprint's before_request that admits a verified EHR.

CORS preflights pass (browsers never send a token with them). A refused call becomes a 401 with
`WWW-Authenticate: Bearer` and a generic body; the reason goes to the log, the token nowhere.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import current_app, g, request

from cds_service.auth.config import PublicEndpoint
from cds_service.auth.verify import AuthFailed
from cds_service.errors import Unauthorized

log = logging.getLogger(__name__)


def require_caller(group: PublicEndpoint | None = None) -> Callable[[], None]:
    """Checks the token on every call, unless auth is off or `group` is listed as public."""

    def check() -> None:
        if request.method == "OPTIONS":
            return
        settings = current_app.extensions["cds"].settings
        if not settings.auth_required or (group is not None and group in settings.auth.public_endpoints):
            return
        try:
            g.caller = current_app.extensions["cds_auth"].authenticate(request.headers.get("Authorization"),
                                                                        audience())
        except AuthFailed as exc:
            log.warning("authentication refused: %s", exc.reason, extra={"auth": exc.context})
            current_app.extensions["cds"].metrics.auth_refused(exc.reason)
            raise Unauthorized() from None

    return check


def audience() -> str:
    """The exact URL invoked, as the EHR sees it: CDS_PUBLIC_BASE_URL behind a proxy, else this request's."""
    base = current_app.extensions["cds"].settings.public_base_url or request.url_root.rstrip("/")
    return base + request.path
