"""Credentials at rest: app secrets and tokens are encrypted with Fernet (the `cryptography` package),
keyed from the install's SECRET_KEY through HKDF, so a database dump alone does not hand out shop tokens.
Rotating SECRET_KEY means reconnecting the shops (the connection page says so)."""

from __future__ import annotations

import base64
import functools
import json

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class CredentialsUnreadable(Exception):
    """The stored credentials cannot be decrypted (the install's secret key changed)."""


def _fernet() -> Fernet:
    return _fernet_for(settings.SECRET_KEY)


@functools.lru_cache(maxsize=4)
def _fernet_for(secret_key: str) -> Fernet:  # derived once per key, not on every push
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"shouhou.platforms",
               info=b"platform-credentials").derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(data: dict) -> str:
    return _fernet().encrypt(json.dumps(data, ensure_ascii=False).encode()).decode()


def unseal(token: str) -> dict:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as exc:
        raise CredentialsUnreadable("平台凭据无法解密（安装密钥已更换？），请重新授权该店铺。") from exc
