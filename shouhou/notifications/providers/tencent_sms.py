"""Tencent Cloud SMS SendSms (API 2021-01-11) signed with TC3-HMAC-SHA256.

Response: {"Response": {"SendStatusSet": [{"SerialNo", "PhoneNumber", "Code": "Ok", ...}], "RequestId"}};
a request-level failure is {"Response": {"Error": {"Code", "Message"}, "RequestId"}}.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

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
from shouhou.notifications.providers.sms_errors import sms_error


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def tc3_authorization(*, secret_id: str, secret_key: str, host: str, service: str, payload: str,
                      timestamp: int) -> str:
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical_headers = f"content-type:application/json; charset=utf-8\nhost:{host}\n"
    signed_headers = "content-type;host"
    canonical_request = "\n".join([
        "POST", "/", "", canonical_headers, signed_headers, hashlib.sha256(payload.encode()).hexdigest(),
    ])
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), scope,
                         hashlib.sha256(canonical_request.encode()).hexdigest()])
    k = _hmac(("TC3" + secret_key).encode(), date)
    k = _hmac(k, service)
    k = _hmac(k, "tc3_request")
    signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"


class TencentSmsProvider(Provider):
    name = "tencent_sms"

    def send(self, message) -> SendResult:
        o = self.options
        host = o.get("host", "sms.tencentcloudapi.com")
        params = list(template_values(message, o).values())  # TemplateParamSet is positional: {1}, {2} ...
        phone = sms_recipient_check(message.recipient)
        payload = json.dumps({
            "PhoneNumberSet": [phone if phone.startswith("+") else "+86" + phone],
            # strings in the published API (SDK models: `:type SmsSdkAppId: str`), though they look like numbers
            # and a JSON setting may give them as numbers (1400006666)
            "SmsSdkAppId": str(o["sdk_app_id"]),
            "TemplateId": str(message.context.get("_template_code") or o["template_ids"][message.trigger]),
            "SignName": o["sign_name"],
            "TemplateParamSet": [str(v) for v in params],
            "SessionContext": str(message.pk),
        }, ensure_ascii=False)
        ts = int(time.time())
        headers = {
            "Authorization": tc3_authorization(secret_id=o["secret_id"], secret_key=o["secret_key"], host=host,
                                               service="sms", payload=payload, timestamp=ts),
            "Content-Type": "application/json; charset=utf-8",
            "Host": host,
            "X-TC-Action": "SendSms",
            "X-TC-Version": "2021-01-11",
            "X-TC-Timestamp": str(ts),
            "X-TC-Region": o.get("region", "ap-guangzhou"),
        }
        try:
            _, data = http_json("POST", o.get("base_url", f"https://{host}") + "/", body=payload.encode(),
                                headers=headers, timeout=float(o.get("timeout", 10)))
        except UnknownOutcomeError as exc:
            raise PermanentError(f"腾讯云短信 {UNKNOWN_OUTCOME_SMS}（SessionContext {message.pk}）") from exc
        resp = data.get("Response", {})
        if "Error" in resp:
            raise sms_error("tencent", str(resp["Error"].get("Code") or ""), str(resp["Error"].get("Message") or ""))
        status = (resp.get("SendStatusSet") or [{}])[0]
        if status.get("Code") == "Ok":
            return SendResult(provider_message_id=status.get("SerialNo", ""))
        raise sms_error("tencent", str(status.get("Code") or ""), str(status.get("Message") or ""))
