"""Credentials at rest: app secrets and tokens, sealed as one JSON document with Fernet keyed from the install's
SECRET_KEY (shouhou/core/crypto.py, this module's own HKDF salt and info), so a database dump alone does not
hand out shop tokens. Rotating SECRET_KEY means reconnecting the shops (the connection page says so)."""

from __future__ import annotations

import json

from shouhou.core.crypto import Unreadable, decrypt, encrypt

_SALT, _INFO = b"shouhou.platforms", b"platform-credentials"


class CredentialsUnreadable(Exception):
    """The stored credentials cannot be decrypted (the install's secret key changed)."""


def seal(data: dict) -> str:
    return encrypt(json.dumps(data, ensure_ascii=False), salt=_SALT, info=_INFO)


def unseal(token: str) -> dict:
    if not token:
        return {}
    try:
        return json.loads(decrypt(token, salt=_SALT, info=_INFO))
    except Unreadable as exc:
        raise CredentialsUnreadable("平台凭据无法解密（安装密钥已更换？），请重新授权该店铺。") from exc
