"""shouhou notify push-urls: the addresses to enter in the SMS gateways' consoles for delivery reports and replies."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from shouhou.notifications import gateway_pushes

CONSOLE = {
    ("aliyun_sms", "report"): "阿里云短信：短信发送状态报告（SmsReport）的 HTTP 批量推送地址",
    ("aliyun_sms", "reply"): "阿里云短信：上行短信（SmsUp）的 HTTP 批量推送地址",
    ("tencent_sms", "report"): "腾讯云短信：短信下发状态回调地址",
    ("tencent_sms", "reply"): "腾讯云短信：短信回复回调地址",
}


class Command(BaseCommand):
    help = "关怀消息：列出要填到短信服务商控制台的回执与回复推送地址"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("push-urls", help="短信回执与回复的推送地址（含密钥，勿外传）",
                       description="短信回执与回复的推送地址（含密钥，勿外传）")

    def handle(self, *args, action, **options):
        base = settings.SHOUHOU["PUBLIC_BASE_URL"].rstrip("/")
        for provider in gateway_pushes.PROVIDERS:
            token = gateway_pushes.push_token(provider)
            if not token:
                raise CommandError("未配置 SHOUHOU_NOTIFY_WEBHOOK_SECRET（或服务商的 push_token），推送地址无法生成")
            for kind in gateway_pushes.KINDS:
                path = reverse("notifications:gateway_push", kwargs={"provider": provider, "token": token, "kind": kind})
                self.stdout.write(f"{CONSOLE[(provider, kind)]}\n  {base}{path}\n")
