"""WeChat / WeCom callback signatures and the EncodingAESKey message encryption ("safe mode").

Both platforms use the same scheme:

- plaintext-mode signature (WeChat official account URL check and pushes):
  sha1 of the sorted strings token, timestamp, nonce concatenated;
- msg_signature (safe mode, and every WeCom callback): sha1 of sorted token, timestamp, nonce, Encrypt;
- AES-256-CBC with key = base64decode(EncodingAESKey + "="), IV = the key's first 16 bytes, PKCS#7
  padding to 32-byte blocks, plaintext = random(16) + len(msg) as 4 bytes big-endian + msg + receiveid
  (the AppID for an official account, the CorpID for WeCom).

Pure functions: no database, no Django; tested with our own encrypt helper in both directions.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from shouhou.core.signatures import SignatureError, check_timestamp, same_text, secret_missing

BLOCK = 32


class CryptoError(ValueError):
    """A payload that cannot be authenticated or decrypted (answer 403, never a traceback)."""


def sha1_signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(str(p) for p in parts)).encode()).hexdigest()  # noqa: S324 - the platform's scheme


def signature_ok(expected_parts: tuple[str, ...], signature: str | None) -> bool:
    """The first part is the account's token: without one nothing is verified (the SHA-1 over an empty
    token and public timestamp/nonce is computable by anyone)."""
    if not signature or not expected_parts or secret_missing(expected_parts[0]):
        return False
    return same_text(sha1_signature(*expected_parts), signature.strip().lower())


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte key from the 43-character EncodingAESKey."""
    key = (encoding_aes_key or "").strip()
    if len(key) != 43:
        raise CryptoError("EncodingAESKey 应为 43 个字符")
    try:
        raw = base64.b64decode(key + "=", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CryptoError("EncodingAESKey 不是有效的 Base64") from exc
    if len(raw) != 32:
        raise CryptoError("EncodingAESKey 解码后应为 32 字节")
    return raw


def _pad(data: bytes) -> bytes:
    n = BLOCK - len(data) % BLOCK
    return data + bytes([n]) * n


def _unpad(data: bytes) -> bytes:
    if not data:
        raise CryptoError("密文为空")
    n = data[-1]
    if n < 1 or n > BLOCK or data[-n:] != bytes([n]) * n:
        raise CryptoError("填充错误（EncodingAESKey 不匹配？）")
    return data[:-n]


def encrypt(encoding_aes_key: str, message: str, receive_id: str, *, random16: bytes | None = None) -> str:
    """Base64 ciphertext of `message` as the platform sends it (used by tests and by safe-mode replies)."""
    key = aes_key(encoding_aes_key)
    rand = random16 if random16 is not None else os.urandom(16)
    if len(rand) != 16:
        raise CryptoError("随机串应为 16 字节")
    body = message.encode()
    plain = _pad(rand + struct.pack(">I", len(body)) + body + receive_id.encode())
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def decrypt(encoding_aes_key: str, encrypted: str, receive_id: str | None) -> str:
    """The message inside `encrypted`. Raises CryptoError on any damage or on a foreign receiveid
    (pass receive_id=None to skip that check)."""
    key = aes_key(encoding_aes_key)
    try:
        cipher_bytes = base64.b64decode(encrypted or "", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CryptoError("密文不是有效的 Base64") from exc
    if not cipher_bytes or len(cipher_bytes) % 16:
        raise CryptoError("密文长度错误")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = _unpad(decryptor.update(cipher_bytes) + decryptor.finalize())
    if len(plain) < 20:
        raise CryptoError("明文过短")
    (length,) = struct.unpack(">I", plain[16:20])
    if 20 + length > len(plain):
        raise CryptoError("消息长度字段错误")
    message, tail = plain[20:20 + length], plain[20 + length:]
    if receive_id is not None and tail.decode(errors="replace") != receive_id:
        raise CryptoError("接收方 ID 不匹配（AppID/CorpID）")
    try:
        return message.decode()
    except UnicodeDecodeError as exc:
        raise CryptoError("消息不是 UTF-8 文本") from exc


def new_encoding_aes_key() -> str:
    """A fresh 43-character EncodingAESKey (what the platform's console generates)."""
    return base64.b64encode(os.urandom(32)).decode()[:43]


def fresh(timestamp: str | None) -> bool:
    """WeChat and WeCom sign a unix timestamp: one more than 5 minutes from our clock is a replay."""
    try:
        check_timestamp(timestamp)
    except SignatureError:
        return False
    return True
