"""WeChat/WeCom signatures and EncodingAESKey encryption: pure functions, both directions."""

from __future__ import annotations

import base64
import hashlib
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from shouhou.inbox.channels import crypto

KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as the consoles generate


def test_sha1_signature_sorts_the_parts_before_hashing():
    # given three parts in any order / when signed / then it is sha1 of their sorted concatenation
    expected = hashlib.sha1(b"".join(sorted([b"tok", b"1700000000", b"nonce1"]))).hexdigest()
    assert crypto.sha1_signature("tok", "1700000000", "nonce1") == expected
    assert crypto.sha1_signature("nonce1", "tok", "1700000000") == expected


def test_signature_ok_refuses_missing_or_wrong_signatures():
    good = crypto.sha1_signature("tok", "1", "n")
    assert crypto.signature_ok(("tok", "1", "n"), good.upper())
    assert not crypto.signature_ok(("tok", "1", "n"), "")
    assert not crypto.signature_ok(("tok", "1", "n"), None)
    assert not crypto.signature_ok(("tok", "2", "n"), good)


def test_encrypt_decrypt_round_trip_with_chinese_text():
    encrypted = crypto.encrypt(KEY, "<xml><Content>你好，我的快递到哪了</Content></xml>", "wx5823bf96d3bd56c7")
    assert crypto.decrypt(KEY, encrypted, "wx5823bf96d3bd56c7") == "<xml><Content>你好，我的快递到哪了</Content></xml>"


def test_ciphertext_layout_is_random16_length_message_receiveid_padded_to_32():
    # given a fixed random prefix / when encrypted / then decrypting by hand shows the documented layout
    encrypted = crypto.encrypt(KEY, "hello", "corp1", random16=b"R" * 16)
    key = base64.b64decode(KEY + "=")
    raw = base64.b64decode(encrypted)
    plain = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor().update(raw)
    assert len(raw) % 32 == 0
    pad = plain[-1]
    body = plain[:-pad]
    assert body[:16] == b"R" * 16
    assert struct.unpack(">I", body[16:20]) == (5,)
    assert body[20:25] == b"hello"
    assert body[25:] == b"corp1"
    assert plain[-pad:] == bytes([pad]) * pad


def test_decrypt_refuses_a_foreign_receive_id():
    encrypted = crypto.encrypt(KEY, "hi", "corpA")
    with pytest.raises(crypto.CryptoError, match="接收方"):
        crypto.decrypt(KEY, encrypted, "corpB")


def test_decrypt_with_the_wrong_key_fails_cleanly():
    encrypted = crypto.encrypt(KEY, "hi", "corpA")
    other = "B" * 43
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt(other, encrypted, "corpA")


@pytest.mark.parametrize("bad", ["", "short", "A" * 44, "!" * 43])
def test_bad_encoding_aes_keys_are_refused(bad):
    with pytest.raises(crypto.CryptoError):
        crypto.aes_key(bad)


@pytest.mark.parametrize("bad", ["", "not base64!!", base64.b64encode(b"x" * 15).decode()])
def test_damaged_ciphertext_is_refused(bad):
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt(KEY, bad, None)


def test_new_encoding_aes_key_is_usable():
    key = crypto.new_encoding_aes_key()
    assert len(key) == 43
    assert crypto.decrypt(key, crypto.encrypt(key, "x", "id"), "id") == "x"
