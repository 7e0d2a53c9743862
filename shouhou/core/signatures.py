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


TOLERANCE = 300  # seconds either side of our clock that a signed timestamp may be


def secret_missing(secret: str | None) -> bool:
    """An empty secret signs nothing: anyone can compute a MAC or hash over an empty key."""
    return not (secret or "").strip()


def check_timestamp(timestamp: str | None, tolerance: int = TOLERANCE) -> None:
    """Raise SignatureError unless `timestamp` (unix seconds) is within `tolerance` of now."""
    if not timestamp:
        raise SignatureError("缺少时间戳")
    try:
        ts = int(str(timestamp).strip())
    except ValueError:
        raise SignatureError("时间戳格式错误")
    if abs(time.time() - ts) > tolerance:
        raise SignatureError("时间戳超出允许范围（可能是重放）")


def verify(secret: str, timestamp: str | None, body: bytes, signature: str | None, tolerance: int = TOLERANCE) -> None:
    """Raise SignatureError unless a secret is configured, `signature` is HMAC(secret, "ts." + body) and ts
    is fresh."""
    if secret_missing(secret):
        raise SignatureError("未配置签名密钥，拒绝推送")
    if not timestamp or not signature:
        raise SignatureError("缺少签名或时间戳")
    check_timestamp(timestamp, tolerance)
    expected = sign(secret, timestamp, body)
    if not same_text(expected, signature.strip().lower()):
        raise SignatureError("签名不匹配")


def same_text(expected: str, given: str) -> bool:
    """Constant-time comparison of two signature texts. hmac.compare_digest raises TypeError for a str holding
    a non-ASCII character (a header or a query of 「é」 answered 500 on every signed webhook): compared as UTF-8
    bytes, such a signature is simply wrong."""
    return hmac.compare_digest(expected.encode(), given.encode())
