"""Encrypted text at rest for provider secrets and bot tokens (Fernet, key from the environment)."""

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _fernet(key: str, secret_key: str) -> Fernet:
    if not key:
        key = base64.urlsafe_b64encode(
            hashlib.sha256(("teller-fields:" + secret_key).encode()).digest()
        ).decode()
    return Fernet(key.encode())


def fernet() -> Fernet:
    return _fernet(settings.FIELD_ENCRYPTION_KEY, settings.SECRET_KEY)


class EncryptedTextField(models.TextField):
    """Stores Fernet ciphertext; Python code sees plain text. Empty stays empty."""

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        try:
            return fernet().decrypt(value.encode()).decode()
        except InvalidToken:
            return ""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return fernet().encrypt(value.encode()).decode()
