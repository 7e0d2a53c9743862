"""HMAC-SHA256 signatures for inbound webhooks, with a replay window."""

from __future__ import annotations

import hashlib
import hmac
import time


class SignatureError(Exception):
    pass


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return mac.hexdigest()


def verify(secret: str, timestamp: str | None, body: bytes, signature: str | None, tolerance: int = 300) -> None:
    """Raise SignatureError unless `signature` is HMAC(secret, "ts." + body) and ts is fresh."""
    if not timestamp or not signature:
        raise SignatureError("缺少签名或时间戳")
    try:
        ts = int(timestamp)
    except ValueError:
        raise SignatureError("时间戳格式错误")
    if abs(time.time() - ts) > tolerance:
        raise SignatureError("时间戳超出允许范围（可能是重放）")
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise SignatureError("签名不匹配")
