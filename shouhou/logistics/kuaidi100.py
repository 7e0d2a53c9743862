"""Kuaidi100 adapter: the subscription request (poll API) over real HTTP. No database.

POST https://poll.kuaidi100.com/poll, form `schema=json` and `param` = JSON
{"company", "number", "key", "parameters": {"callbackurl", "salt", "resultv2", "autoCom"}}.
Answer {"result", "returnCode", "message"}: 200 accepted, 501 already being tracked (not an error for us),
500 Kuaidi100's server error (retry); 600/601 key invalid/expired, 700/701/702 bad data (not retried).
Sources in docs/logistics.md.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

DEFAULT_POLL_URL = "https://poll.kuaidi100.com/poll"
ACCEPTED = {"200", "501"}  # 501 = 重复订阅: the number is already being tracked
RETRYABLE = {"500"}


class Kuaidi100Unavailable(Exception):
    """Network error, timeout, HTTP 5xx/429 or an unreadable answer: try again later."""


@dataclass(frozen=True)
class SubscribeAnswer:
    return_code: str
    message: str

    @property
    def accepted(self) -> bool:
        return self.return_code in ACCEPTED

    @property
    def retryable(self) -> bool:
        return self.return_code in RETRYABLE


def subscribe_param(*, company: str, number: str, key: str, callback_url: str, salt: str = "",
                    resultv2: str = "4", phone: str = "") -> str:
    parameters = {"callbackurl": callback_url, "resultv2": resultv2}
    if salt:
        parameters["salt"] = salt
    if not company:
        parameters["autoCom"] = "1"  # Kuaidi100 recognises the carrier from the number
    if phone:
        parameters["phone"] = phone  # 顺丰 requires the receiver's phone (or its last 4 digits)
    return json.dumps({"company": company, "number": number, "key": key, "parameters": parameters},
                      ensure_ascii=False, separators=(",", ":"))


def subscribe(url: str, param: str, *, timeout: float = 10) -> SubscribeAnswer:
    body = urllib.parse.urlencode({"schema": "json", "param": param}).encode()
    req = urllib.request.Request(url, data=body, method="POST",  # noqa: S310 - URL from settings
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise Kuaidi100Unavailable(f"网络错误：{exc}") from exc
    if status >= 500 or status == 429:
        raise Kuaidi100Unavailable(f"快递100 HTTP {status}")
    try:
        doc = json.loads(raw.decode("utf-8") or "{}")
    except ValueError as exc:
        raise Kuaidi100Unavailable(f"快递100 返回无法解析（HTTP {status}）") from exc
    if not isinstance(doc, dict):
        raise Kuaidi100Unavailable(f"快递100 返回无法解析（HTTP {status}）")
    return SubscribeAnswer(return_code=str(doc.get("returnCode", "")).strip(),
                           message=str(doc.get("message", ""))[:300])
