"""Secrets at rest: Fernet (the `cryptography` package), keyed from the install's SECRET_KEY through HKDF with a
salt and info per purpose, so a database dump alone hands out no shop token, webhook secret or app secret.

Two uses: platform credentials sealed as one JSON document (platforms/crypto.py), and single text columns
kept encrypted by `EncryptedTextField` (the channel accounts' Token, EncodingAESKey and Secret). Rotating
SECRET_KEY makes both unreadable: reconnect the platform shops and enter the channel secrets again
(docs/security.md, "Secrets at rest")."""

from __future__ import annotations

import base64
import functools
import logging

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models

log = logging.getLogger("shouhou.crypto")


class Unreadable(Exception):
    """A stored secret cannot be decrypted (the install's secret key changed, or the text was altered)."""


@functools.lru_cache(maxsize=8)
def fernet_for(secret_key: str, salt: bytes, info: bytes) -> Fernet:  # derived once per key and purpose
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(text: str, *, salt: bytes, info: bytes) -> str:
    return fernet_for(settings.SECRET_KEY, salt, info).encrypt(text.encode()).decode()


def decrypt(token: str, *, salt: bytes, info: bytes) -> str:
    try:
        return fernet_for(settings.SECRET_KEY, salt, info).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise Unreadable("无法解密（安装密钥已更换？）") from exc


# --- one encrypted text column ------------------------------------------------------------------------------
FIELD_PREFIX = "fernet:"  # marks a sealed value: a value without it was stored before encryption (read as is)
_FIELD_SALT, _FIELD_INFO = b"shouhou.core", b"encrypted-field"


def seal_text(text: str) -> str:
    return FIELD_PREFIX + encrypt(text, salt=_FIELD_SALT, info=_FIELD_INFO)


def is_sealed(value: str | None) -> bool:
    return bool(value) and value.startswith(FIELD_PREFIX)


def unseal_text(value: str) -> str:
    """The plain text of a stored value; a value stored before encryption comes back unchanged."""
    if not is_sealed(value):
        return value
    return decrypt(value[len(FIELD_PREFIX):], salt=_FIELD_SALT, info=_FIELD_INFO)


class EncryptedTextField(models.TextField):
    """A text column kept encrypted at rest. Python code reads and writes the plain text (model attribute,
    forms, `update()`); the database holds `fernet:<token>` (a new token on every save, so the column can
    neither be filtered nor indexed on). Blank stays blank, so "not filled in" is still visible. A value
    written before encryption (no prefix) is read as is until saved again or migrated. A value that cannot
    be decrypted reads as blank (and is logged), so a webhook refuses it as unconfigured rather than failing;
    entering the secret again repairs it. `dumpdata` writes the sealed form, `loaddata` reads it back."""

    def from_db_value(self, value, expression, connection):
        if not is_sealed(value):
            return value
        try:
            return unseal_text(value)
        except Unreadable:
            log.error("encrypted column %s cannot be decrypted (SECRET_KEY changed?): read as blank", self.name)
            return ""

    def to_python(self, value):
        value = super().to_python(value)
        return self.from_db_value(value, None, None)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return seal_text(str(value))

    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        return seal_text(value) if value else value
