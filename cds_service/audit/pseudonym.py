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
from pathlib import Path

from cds_service.settings import Settings

KEY_FILE = "audit-pseudonym.key"


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
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker made it first
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32))
    return path.read_text().strip().encode()
