"""Social comments and private messages (Douyin, Kuaishou, WeChat Channels, Xiaohongshu …) pushed by a
platform connector in one generic JSON shape (docs/channels.md), signed with shouhou.core.webhooks.

    {"platform": "douyin",
     "messages": [{"id": "7301…", "kind": "comment" | "dm", "user_id": "MS4w…", "nickname": "小鹿",
                   "text": "…", "sent_at": 1764576000, "order_no": "", "post_title": "直播间标题"}]}

A single message object without "messages" is accepted too. Idempotent on (platform, id).
"""

from __future__ import annotations

from shouhou.inbox.channels.base import ChannelRejected, Inbound, from_unix
from shouhou.inbox.choices import Channel

MAX_MESSAGES = 200
KINDS = {"comment": Channel.SOCIAL_COMMENT, "dm": Channel.SOCIAL_DM}


def parse_push(payload) -> list[tuple[str, Inbound]]:
    """(channel, Inbound) per message; ChannelRejected naming the bad field and row."""
    if not isinstance(payload, dict):
        raise ChannelRejected("请求体应为 JSON 对象")
    platform = str(payload.get("platform") or "").strip()[:30]
    if not platform:
        raise ChannelRejected("缺少 platform（平台，如 douyin）")
    rows = payload.get("messages")
    if rows is None:
        rows = [payload]
    if not isinstance(rows, list) or not rows:
        raise ChannelRejected("messages 应为非空数组")
    if len(rows) > MAX_MESSAGES:
        raise ChannelRejected(f"一次最多推送 {MAX_MESSAGES} 条消息")
    out: list[tuple[str, Inbound]] = []
    for i, row in enumerate(rows, start=1):
        where = f"第 {i} 条消息"
        if not isinstance(row, dict):
            raise ChannelRejected(f"{where}应为 JSON 对象")
        ident = str(row.get("id") or "").strip()
        user = str(row.get("user_id") or "").strip()
        text = str(row.get("text") or "").strip()
        kind = str(row.get("kind") or "dm").strip()
        if not ident:
            raise ChannelRejected(f"{where}缺少 id（平台消息ID）")
        if not user:
            raise ChannelRejected(f"{where}缺少 user_id")
        if not text:
            raise ChannelRejected(f"{where}缺少 text")
        if kind not in KINDS:
            raise ChannelRejected(f"{where}的 kind 应为 comment 或 dm")
        sent_at = row.get("sent_at")
        at = from_unix(sent_at) if sent_at not in (None, "") else None
        subject = str(row.get("post_title") or "")[:100]
        out.append((KINDS[kind], Inbound(
            external_id=f"{platform}:{ident}"[:128], contact_handle=f"{platform}:{user}"[:200], body=text[:5000], at=at,
            display_name=str(row.get("nickname") or "")[:100], order_no=str(row.get("order_no") or "")[:64],
            subject=(f"评论：{subject}" if kind == "comment" and subject else ""),
            extra={"platform": platform, "kind": kind})))
    return out
