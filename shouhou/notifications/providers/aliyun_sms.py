"""Aliyun SMS SendSms (RPC style, API version 2017-05-25, signature method HMAC-SHA1).

Signature: sort the parameters, percent-encode (RFC 3986) keys and values, join as k=v with &,
string-to-sign = "POST&%2F&" + percentEncode(canonical), key = AccessKeySecret + "&", base64(HMAC-SHA1).
Response: {"Code": "OK", "Message": "OK", "BizId": "...", "RequestId": "..."}; other Codes are errors.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime
from urllib.parse import quote

from shouhou.notifications.providers.base import (
    UNKNOWN_OUTCOME_SMS,
    PermanentError,
    Provider,
    SendResult,
    UnknownOutcomeError,
    http_json,
    sms_recipient_check,
    template_values,
)
from shouhou.notifications.providers.sms_errors import ALIYUN, sms_error

RETRYABLE_CODES = frozenset(code for code, (retry, _) in ALIYUN.items() if retry)  # sms_errors.py: code → reason


def percent_encode(value: str) -> str:
    return quote(str(value), safe="~")


def aliyun_signature(params: dict[str, str], secret: str, method: str = "POST") -> str:
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(params[k])}" for k in sorted(params))
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSmsProvider(Provider):
    name = "aliyun_sms"

    def send(self, message) -> SendResult:
        o = self.options
        params = {
            "AccessKeyId": o["access_key_id"],
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": sms_recipient_check(message.recipient),
            "RegionId": o.get("region", "cn-hangzhou"),
            "SignName": o["sign_name"],
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": message.context.get("_template_code") or o["template_codes"][message.trigger],
            "TemplateParam": json.dumps(template_values(message, o), ensure_ascii=False),
            "OutId": str(message.pk),
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        params["Signature"] = aliyun_signature(params, o["access_key_secret"])
        body = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in params.items()).encode()
        try:
            _, data = http_json("POST", o.get("base_url", "https://dysmsapi.aliyuncs.com") + "/", body=body,
                                headers={"Content-Type": "application/x-www-form-urlencoded"},
                                timeout=float(o.get("timeout", 10)))
        except UnknownOutcomeError as exc:
            raise PermanentError(f"阿里云短信 {UNKNOWN_OUTCOME_SMS}（OutId {message.pk}）") from exc
        code = data.get("Code")
        if code == "OK":
            return SendResult(provider_message_id=data.get("BizId", ""))
        raise sms_error("aliyun", str(code or ""), str(data.get("Message") or ""))
