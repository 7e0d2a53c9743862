"""Inbox edges: channel webhooks (/inbox/hooks/…) and the consumer web chat (/inbox/chat/…).

Views only translate: verify and parse with the channel adapter, then call the one inbound path
(channels.inbound.inbound_accept → services.message_receive → bot). Webhooks answer 404 for an unknown
account key, 403/401 with a short Chinese message for a bad signature, 400 for a bad shape.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shouhou.core.jsonbody import JsonBodyError, json_body
from shouhou.core.links import LinkGone
from shouhou.core.ratelimit import client_ip, rate_limit
from shouhou.core.signatures import SignatureError
from shouhou.core.webhooks import webhook_verify
from shouhou.inbox.channels import email as email_channel
from shouhou.inbox.channels import social, webchat, wechat, wechat_kf, wecom
from shouhou.inbox.channels.base import ChannelRejected
from shouhou.inbox.channels.inbound import inbound_accept
from shouhou.inbox.choices import Channel
from shouhou.inbox.models import ChannelAccount
from shouhou.inbox.selectors import Cursor, conversation_progress
from shouhou.live.selectors import live_last_seq
from shouhou.live.services import chat_stream

log = logging.getLogger(__name__)


def _account(key: str, channels) -> ChannelAccount:
    account = ChannelAccount.objects.filter(key=key, channel__in=channels, is_active=True) \
        .select_related("shop").first()
    if account is None:
        raise Http404("未知的接入标识")
    return account


def _text(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


# --- WeChat official account ---------------------------------------------------------------------

@csrf_exempt
@require_http_methods(["GET", "POST"])
def hook_wechat(request, key: str):
    account = _account(key, [Channel.WECHAT])
    try:
        if request.method == "GET":
            return _text(wechat.check_url(token=account.token, params=request.GET), 200)
        fields = wechat.open_push(token=account.token, aes_key=account.aes_key, app_id=account.app_id,
                                  params=request.GET, raw=request.body)
        item = wechat.to_inbound(fields, key=account.key)
    except ChannelRejected as exc:
        return _text(str(exc), exc.status)
    if item is not None:
        received = inbound_accept(shop=account.shop, channel=Channel.WECHAT, item=item, account=account)
        if not received.duplicate and item.msg_type in ("image", "file") and item.extra.get("MediaId"):
            wechat.media_fetch_later(message_id=received.message.pk, media_id=item.extra["MediaId"])
    return _text("success", 200)


# --- WeCom ---------------------------------------------------------------------------------------

def _wecom_url_check(request, account: ChannelAccount):
    """WeCom's URL check (GET): the decrypted echostr; the WeCom app and 微信客服 callbacks share it."""
    return _text(wecom.check_url(token=account.token, aes_key=account.aes_key, corp_id=account.app_id,
                                 params=request.GET), 200)


def _wecom_fields(request, account: ChannelAccount) -> dict[str, str]:
    """A verified, decrypted WeCom push (POST); raises ChannelRejected."""
    return wecom.open_push(token=account.token, aes_key=account.aes_key, corp_id=account.app_id,
                           params=request.GET, raw=request.body)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def hook_wecom(request, key: str):
    account = _account(key, [Channel.WECOM])
    try:
        if request.method == "GET":
            return _wecom_url_check(request, account)
        fields = _wecom_fields(request, account)
        item = wechat.to_inbound(fields, key=account.key, prefix="wecom")
    except ChannelRejected as exc:
        return _text(str(exc), exc.status)
    if item is not None:
        if fields.get("AgentID"):
            item.extra["conversation_id"] = f"agent:{fields['AgentID']}"
        inbound_accept(shop=account.shop, channel=Channel.WECOM, item=item, account=account)
    return _text("", 200)


# --- 微信客服 (WeCom customer service) --------------------------------------------------------------------

@csrf_exempt
@require_http_methods(["GET", "POST"])
def hook_wechat_kf(request, key: str):
    """The callback only says "there is something to read": verify, decrypt, queue the read, answer at once."""
    account = _account(key, [Channel.WECHAT_KF])
    try:
        if request.method == "GET":
            return _wecom_url_check(request, account)
        event = wechat_kf.kf_event(_wecom_fields(request, account))
    except ChannelRejected as exc:
        return _text(str(exc), exc.status)
    if event is not None:
        token, open_kfid = event
        wechat_kf.fetch_later(account=account, open_kfid=open_kfid, token=token)
    return _text("", 200)


# --- signed JSON pushes: social comments / private messages, email ------------------------------------

def _signed_json(request, account: ChannelAccount, scope: str):
    """(delivery, payload) or raises ChannelRejected; call inside the transaction that applies it."""
    if not account.secret:
        raise ChannelRejected("该渠道账号未配置签名密钥", status=403)
    try:
        delivery = webhook_verify(request, secret=account.secret, scope=scope, shop=account.shop)
    except SignatureError as exc:
        raise ChannelRejected(f"签名校验失败：{exc}", status=401) from exc
    if not delivery.first:
        return delivery, None
    try:
        payload = json_body(request.body, empty=None)
    except JsonBodyError as exc:  # bad bytes or syntax, too deep, an over-long integer: one neutral answer
        raise ChannelRejected(str(exc)) from exc
    # An empty or `null` body is refused here (inside the caller's transaction, so the signature is not spent):
    # None is how this function says "replay", and such a first delivery was acknowledged as one, unapplied.
    if not isinstance(payload, dict | list):
        raise ChannelRejected("请求体须为 JSON 对象")
    return delivery, payload


def _order(shop, order_no: str):
    from shouhou.commerce.models import Order

    return Order.objects.filter(shop=shop, order_no=order_no).first() if order_no else None


@csrf_exempt
@require_POST
def hook_social(request, key: str):
    account = _account(key, [Channel.SOCIAL_COMMENT, Channel.SOCIAL_DM])
    try:
        with transaction.atomic():
            delivery, payload = _signed_json(request, account, f"inbox.social.{account.key}")
            if payload is None:
                return JsonResponse({**delivery.result, "replayed": True})
            stored = duplicates = 0
            for channel, item in social.parse_push(payload):
                received = inbound_accept(shop=account.shop, channel=channel, item=item, account=account,
                                          order=_order(account.shop, item.order_no))
                duplicates += received.duplicate
                stored += not received.duplicate
            result = {"ok": True, "stored": stored, "duplicates": duplicates}
            delivery.remember(result)
    except ChannelRejected as exc:
        return JsonResponse({"ok": False, "error": str(exc)}, status=exc.status)
    return JsonResponse(result)


@csrf_exempt
@require_POST
def hook_email(request, key: str):
    account = _account(key, [Channel.EMAIL])
    try:
        with transaction.atomic():
            delivery, payload = _signed_json(request, account, f"inbox.email.{account.key}")
            if payload is None:
                return JsonResponse({**delivery.result, "replayed": True})
            item = email_channel.parse_push(payload)
            thread = email_channel.email_thread(shop=account.shop, item=item, account=account)
            received = inbound_accept(shop=account.shop, channel=Channel.EMAIL, item=item, account=account,
                                      conversation=thread, continue_live=False)
            result = {"ok": True, "duplicate": received.duplicate, "conversation": received.conversation.pk,
                      "threaded": thread is not None}
            delivery.remember(result)
    except ChannelRejected as exc:
        return JsonResponse({"ok": False, "error": str(exc)}, status=exc.status)
    return JsonResponse(result)


# --- consumer web chat -----------------------------------------------------------------------------

NEUTRAL = gettext_lazy("订单号或手机尾号不正确，请核对后重试。")


def _chat_or_404(request, token: str):
    conversation, state = webchat.chat_link(token)
    if conversation is None:
        raise LinkGone(state)  # a plain page (or JSON for the page's requests), core/links.py
    return conversation


@rate_limit(scope="webchat-start", rate="20/m", key="ip", methods=("POST",))
def webchat_start(request):
    """Entry from the consumer page: an order already looked up in this session, or order no + last 4."""
    from shouhou.commerce.models import Order
    from shouhou.portal.services import TooManyAttempts, portal_order_lookup

    error, status = None, 200
    order = None
    if request.method == "POST":
        try:
            order = portal_order_lookup(order_no=request.POST.get("order_no", ""),
                                        last4=request.POST.get("last4", ""), ip=client_ip(request))
        except TooManyAttempts:
            error, status = _("尝试次数过多，请15分钟后再试。"), 429
        else:
            if order is None:
                error = NEUTRAL
    elif request.session.get("portal_order_id"):
        order = Order.objects.filter(pk=request.session["portal_order_id"]).select_related("shop", "customer").first()
    if order is not None:
        conversation = webchat.webchat_start(order=order)
        return redirect("inbox:webchat_room", token=webchat.chat_token(conversation))
    return render(request, "inbox/chat_start.html", {"error": error}, status=status)


@require_GET
def webchat_room(request, token: str):
    conversation = _chat_or_404(request, token)
    # The push stream's number first: whatever is stored after it is replayed to the page (docs/live.md).
    live_seq = live_last_seq(chat_stream(conversation.pk))
    # "chat_messages", never "messages": that name belongs to Django's flash messages, which base.html
    # prints for every page (a reload once showed each chat message there as a Python dict)
    chat_messages, cursor = webchat.webchat_read(conversation=conversation)  # the newest messages
    oldest = chat_messages[0]["id"] if len(chat_messages) >= webchat.POLL_LIMIT else None
    earlier = oldest if oldest and webchat.webchat_messages(conversation=conversation, before_id=oldest, limit=1) \
        else None
    return render(request, "inbox/chat.html", {
        "conversation": conversation, "token": token, "chat_messages": chat_messages, "shop": conversation.shop,
        "live_seq": live_seq, "earlier": earlier,
        "progress": conversation_progress(conversation=conversation),
        "cursor": cursor.token()})


def _chat_key(request) -> str:
    """The rate-limit key of a chat: the token's signed payload (the conversation), not the whole token,
    so fresh tokens for the same conversation (a new one on every start) share one budget."""
    return request.resolver_match.kwargs.get("token", "").split(":", 1)[0][:64]


@require_GET
@rate_limit(scope="webchat-poll", rate="120/m", key=_chat_key)
def webchat_poll(request, token: str):
    conversation = _chat_or_404(request, token)
    # `after`: the cursor of the last read ("<settled>" or "<settled>.<seen>.<ms>"; a plain id from an older page)
    messages, cursor = webchat.webchat_read(conversation=conversation, after=Cursor.parse(request.GET.get("after")))
    return JsonResponse({"messages": messages, "cursor": cursor.token(),
                         "progress": conversation_progress(conversation=conversation),
                         "bot": conversation.bot_active})


@require_GET
@rate_limit(scope="webchat-poll", rate="120/m", key=_chat_key)
def webchat_earlier(request, token: str):
    """「查看更早的消息」: the page of the chat before message `before` (the oldest the page shows)."""
    conversation = _chat_or_404(request, token)
    before = request.GET.get("before", "")
    if not (before.isascii() and before.isdigit()) or len(before) > 18:  # 「²」 is a digit to isdigit() only
        return JsonResponse({"ok": False, "error": _("参数有误")}, status=400)
    messages, earlier = webchat.webchat_earlier(conversation=conversation, before_id=int(before))
    return JsonResponse({"messages": messages, "earlier": earlier})


@require_POST
@rate_limit(scope="webchat-send", rate="20/m", key=_chat_key)
def webchat_send(request, token: str):
    conversation = _chat_or_404(request, token)
    try:
        webchat.webchat_post(conversation=conversation, body=request.POST.get("body", ""),
                             client_id=request.POST.get("client_id", ""), upload=request.FILES.get("file"))
    except webchat.ChatError as exc:
        return JsonResponse({"ok": False, "error": str(exc)}, status=400)
    except Exception:
        log.exception("web chat send failed for conversation %s", conversation.pk)
        return JsonResponse({"ok": False, "error": _("消息暂时没有发出，请稍后再试。")}, status=503)
    return JsonResponse({"ok": True})


@require_GET
@rate_limit(scope="webchat-file", rate="120/m", key=_chat_key)
def webchat_file(request, token: str, message_id: int):
    """A photo or file of this chat (the customer's or a reply's, never an internal note's)."""
    from shouhou.core.uploads import file_response

    conversation = _chat_or_404(request, token)
    message = webchat.webchat_attachment(conversation=conversation, message_id=message_id)
    if message is None:
        raise Http404("文件不存在")
    return file_response(message.attachment, message.attachment_name)
