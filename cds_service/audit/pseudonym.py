"""Keyed patient pseudonyms: HMAC-SHA256 of `Patient/<id>` under a secret, so the audit trail can
count calls per patient and be joined with a site's own key, without holding the patient's id.

The secret is `CDS_AUDIT_PSEUDONYM_SECRET`, or a random key made once in the instance folder (mode
0600). Hosts sharing one database must share the secret, or one patient gets several pseudonyms.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

from cds_service.settings import Settings

KEY_FILE = "audit-pseudonym.key"
KEY_BYTES = 32  # written as 64 hex digits
KEY_WAIT_SECONDS = 2.0


class Pseudonymizer:
    def __init__(self, secret: bytes):
        if len(secret) < 16:
            raise ValueError("the audit pseudonym secret must be at least 16 bytes")
        self._secret = secret

    def __call__(self, patient_id: str | None) -> str | None:
        if not patient_id:
            return None
        reference = patient_id if patient_id.startswith("Patient/") else f"Patient/{patient_id}"
        return hmac.new(self._secret, reference.encode(), hashlib.sha256).hexdigest()


def pseudonymizer(settings: Settings) -> Pseudonymizer:
    if settings.audit_pseudonym_secret is not None:
        return Pseudonymizer(settings.audit_pseudonym_secret.get_secret_value().encode())
    return Pseudonymizer(_instance_key(settings.instance_path / KEY_FILE))


def _instance_key(path: Path) -> bytes:
    """The key in `path`, made first if there is none. Workers starting together each write a whole
    key to a file of their own and link it into place: the link is atomic and refuses an existing
    name, so every worker reads the one key that got there first, never a file still being written.
    On a file system without hard links the key is written in place, and readers wait for it whole."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(KEY_BYTES))
                out.flush()
                os.fsync(out.fileno())
            os.link(draft, path)
        except FileExistsError:  # another worker's key got there first
            pass
        except OSError:  # no hard links here
            _write_in_place(path)
        finally:
            draft.unlink(missing_ok=True)
    deadline = time.monotonic() + KEY_WAIT_SECONDS
    key = path.read_text().strip()
    while len(key) < 2 * KEY_BYTES and time.monotonic() < deadline:  # written in place by another worker
        time.sleep(0.01)
        key = path.read_text().strip()
    return key.encode()


def _write_in_place(path: Path) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(KEY_BYTES))
