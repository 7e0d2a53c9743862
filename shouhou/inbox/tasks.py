"""Background tasks of inbox: take ids, call a service, safe to run twice."""

from __future__ import annotations


def message_deliver(message_id: int) -> None:
    """Send an outbound message through its channel adapter (scheduled after the reply committed)."""
    from shouhou.inbox.channels import deliver_outbound

    deliver_outbound(message_id=message_id)


def tickets_route_waiting_task() -> int:
    """Assign queued tickets to agents who came on duty or got room."""
    from shouhou.inbox.routing import tickets_route_waiting

    return tickets_route_waiting()


def delivery_retry_task() -> int:
    """Try again failed channel sends whose back-off has passed."""
    from shouhou.inbox.channels import delivery_retry_due

    return delivery_retry_due()


def kf_fetch_task(account_id: int, open_kfid: str, token: str = "") -> int:
    """微信客服: read what a kf_msg_or_event callback announced (kf/sync_msg from the stored cursor). A refusal
    or outage is logged and kept on the cursor; the next callback reads on from the same place."""
    import logging

    from shouhou.inbox.channels.wechat_kf import KfError, kf_fetch
    from shouhou.inbox.choices import Channel
    from shouhou.inbox.models import ChannelAccount

    account = ChannelAccount.objects.select_related("shop").filter(pk=account_id, channel=Channel.WECHAT_KF,
                                                                   is_active=True).first()
    if account is None:
        return 0
    try:
        return kf_fetch(account=account, open_kfid=open_kfid, token=token).stored
    except KfError as exc:
        logging.getLogger(__name__).warning("wechat_kf fetch failed for account %s / %s: %s", account_id, open_kfid,
                                            exc)
        return 0


def wechat_media_fetch_task(message_id: int, media_id: str) -> bool:
    """Official account: download a customer's picture into its message (checked like a web-chat upload)."""
    from shouhou.inbox.channels.wechat import media_fetch

    return media_fetch(message_id=message_id, media_id=media_id)


def kf_fetch_retry_task() -> int:
    """微信客服: read again where the last read failed (an outage, a rate limit), without waiting for WeCom's
    next callback. Without the callback's token sync_msg is rate-limited, so only failed cursors are read."""
    from shouhou.inbox.choices import Channel
    from shouhou.inbox.models import KfCursor

    stored = 0
    failed = (KfCursor.objects.exclude(last_error="")
              .filter(account__channel=Channel.WECHAT_KF, account__is_active=True)
              .values_list("account_id", "open_kfid").order_by("pk")[:50])
    for account_id, open_kfid in failed:
        stored += kf_fetch_task(account_id, open_kfid, "")
    return stored
