"""Reviewer logins for /review: HTTP Basic against password hashes from CDS_REVIEW_USERS. A refusal is a
401 with a JSON OperationOutcome, like every error of the service (a browser shows its login prompt).

There is no default account: with no users configured every request is refused. A password check
(scrypt) costs tens of milliseconds, so a successful one is remembered for a few minutes by a keyed
digest of the credentials (never the password itself); failures are never cached.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time

from flask import Response
from werkzeug.datastructures import Authorization
from werkzeug.security import check_password_hash

from cds_service.errors import error_response

REMEMBER_SECONDS = 300
MAX_REMEMBERED = 256
_KEY = secrets.token_bytes(32)
_remembered: dict[bytes, float] = {}
_lock = threading.Lock()


def reviewer_refused(users: dict[str, str], auth: Authorization | None) -> Response | None:
    """None when the request carries a valid reviewer login, else the 401 to send."""
    if auth is not None and auth.type == "basic" and auth.username and auth.password is not None:
        hashed = users.get(auth.username)
        if hashed is not None and _verified(auth.username, auth.password, hashed):
            return None
    refused = error_response(401, "Reviewer login required: HTTP Basic with a login from CDS_REVIEW_USERS")
    refused.headers["WWW-Authenticate"] = 'Basic realm="hamstring-cds review", charset="UTF-8"'
    refused.headers["Cache-Control"] = "no-store"
    return refused


def _verified(user: str, password: str, hashed: str) -> bool:
    digest = hmac.new(_KEY, f"{user}\0{password}\0{hashed}".encode(), hashlib.sha256).digest()
    now = time.monotonic()
    with _lock:
        if _remembered.get(digest, 0.0) > now:
            return True
    if not check_password_hash(hashed, password):
        return False
    with _lock:
        if len(_remembered) >= MAX_REMEMBERED:
            _remembered.clear()
        _remembered[digest] = now + REMEMBER_SECONDS
    return True
