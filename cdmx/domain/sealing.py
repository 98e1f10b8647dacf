"""Encrypting stored secrets (numbers' access tokens) with a key derived from CDMX_SECRET_KEY.

Fernet (AES-128-CBC with HMAC-SHA256), keyed by HKDF-SHA256 over the secret key with a
purpose label, so the session-signing use of the same secret never shares a key with this.
Changing CDMX_SECRET_KEY makes stored tokens unreadable: set them again (`cdmx channels
set-token`).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class SealError(Exception):
    """A sealed value cannot be opened (wrong key, or not ours)."""


class Sealer:
    def __init__(self, secret_key: str) -> None:
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"cdmx stored secrets v1"
        ).derive(secret_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, value: str) -> str:
        """Encrypt ``value`` (the result is ASCII, safe in a text column)."""
        return self._fernet.encrypt(value.encode()).decode()

    def unseal(self, sealed: str) -> str:
        """Decrypt what ``seal`` made; SealError when the key does not fit."""
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise SealError(
                "a stored token cannot be decrypted: was CDMX_SECRET_KEY changed? "
                "Set the number's token again."
            ) from None
