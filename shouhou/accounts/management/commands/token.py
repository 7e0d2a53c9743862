"""shouhou token create --shop CODE --name N --scopes cases,inbox --role agent (--as USERNAME | --system)
shouhou token list --shop CODE
shouhou token revoke PREFIX (--as USERNAME | --system)"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from shouhou.accounts import services
from shouhou.accounts.choices import Role
from shouhou.accounts.cli import actor_from_options, add_actor_arguments
from shouhou.accounts.models import ApiToken
from shouhou.api.errors import DomainError
from shouhou.commerce.models import Shop
from shouhou.core.clock import now


class Command(BaseCommand):
    help = "管理店铺的 API 令牌（签发 / 列表 / 吊销）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="签发令牌（密钥只显示一次）", description="签发令牌（密钥只显示一次）")
        create.add_argument("--shop", required=True, help="店铺代码")
        create.add_argument("--name", required=True)
        create.add_argument("--scopes", required=True, help="逗号分隔，如 cases,inbox 或 cases:read；* 为全部")
        create.add_argument("--role", default=Role.AGENT, choices=Role.values)
        create.add_argument("--expires-days", type=int, default=None, help="有效天数（1–3650）；不填为长期有效")
        add_actor_arguments(create)
        lst = sub.add_parser("list", help="列出令牌", description="列出令牌")
        lst.add_argument("--shop", required=True)
        revoke = sub.add_parser("revoke", help="吊销令牌", description="吊销令牌")
        revoke.add_argument("prefix")
        add_actor_arguments(revoke)

    def handle(self, *args, action, **options):
        if action == "revoke":
            token = ApiToken.objects.filter(prefix=options["prefix"]).first()
            if token is None:
                raise CommandError(f"未找到令牌：{options['prefix']}")
            try:
                services.token_revoke(token=token, actor=actor_from_options(options, command="token revoke"))
            except PermissionDenied as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"已吊销 {token.prefix}")
            return
        shop = Shop.objects.filter(code=options["shop"]).first()
        if shop is None:
            raise CommandError(f"未找到店铺：{options['shop']}")
        if action == "list":
            for t in ApiToken.objects.filter(shop=shop).order_by("created_at"):
                state = "已吊销" if t.revoked_at else (
                    f"已过期（{t.expires_at:%Y-%m-%d}）" if t.expires_at and t.expires_at <= now() else
                    (f"有效至 {t.expires_at:%Y-%m-%d}" if t.expires_at else "有效"))
                self.stdout.write(f"{t.prefix}\t{t.name}\t{','.join(t.scopes)}\t{t.role}\t{state}")
            return
        try:
            issued = services.token_issue(shop=shop, name=options["name"], scopes=options["scopes"].split(","),
                                          role=options["role"], expires_in_days=options["expires_days"],
                                          actor=actor_from_options(options, command="token create"))
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(issued.secret)
        self.stderr.write("请立即保存上面的令牌：它不会再显示。用法：Authorization: Bearer <令牌>")
