"""What a channel account must hold before it is saved: a blank token or secret would sign or fetch nothing
(or, worse, let anyone sign: the SHA-1 over an empty token is computable), so it is refused with the field
named. Used by the admin form (inbox/admin.py); the webhooks refuse a blank token again at runtime."""

from __future__ import annotations

from shouhou.inbox.channels import crypto
from shouhou.inbox.choices import Channel

# field → what the account needs it for, per channel
REQUIRED: dict[str, dict[str, str]] = {
    Channel.WECHAT: {"token": "公众号后台「服务器配置」里的 Token"},
    Channel.WECOM: {"app_id": "企业 ID（CorpID）", "token": "接收消息的 Token",
                    "aes_key": "接收消息的 EncodingAESKey"},
    Channel.WECHAT_KF: {"app_id": "企业 ID（CorpID）", "token": "微信客服回调的 Token",
                        "aes_key": "微信客服回调的 EncodingAESKey", "secret": "可调用微信客服接口的应用的 Secret（读取和发送消息）"},
    Channel.SOCIAL_DM: {"secret": "签名密钥"},
    Channel.SOCIAL_COMMENT: {"secret": "签名密钥"},
    Channel.EMAIL: {"secret": "签名密钥"},
}


def account_problems(*, channel: str, app_id: str = "", token: str = "", aes_key: str = "",
                     secret: str = "") -> dict[str, str]:
    """field → why it is refused (empty when the account may be saved)."""
    values = {"app_id": app_id, "token": token, "aes_key": aes_key, "secret": secret}
    problems = {name: f"请填写{label}，不能为空" for name, label in REQUIRED.get(channel, {}).items()
                if not (values[name] or "").strip()}
    if (aes_key or "").strip() and "aes_key" not in problems:
        try:
            crypto.aes_key(aes_key)
        except crypto.CryptoError as exc:
            problems["aes_key"] = str(exc)
    return problems
