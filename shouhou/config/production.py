"""What production (SHOUHOU_PRODUCTION=true) refuses to start with, all named at once.

A production used to stop at the first problem (the key), then, once the key was fixed, start with
ALLOWED_HOSTS still 127.0.0.1,localhost: every request from the shop's staff was answered 400, and links sent
to customers pointed at http://127.0.0.1:8000. Now the operator gets the whole list in one go.

Docs: docs/configuration.md ("Production"), docs/deploy.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from shouhou.config.secret import key_problem

# Names that never reach a shop's staff from outside: a production serving only these serves nobody.
LOCAL_NAMES = frozenset({"127.0.0.1", "localhost", "testserver", "::1", "[::1]", "0.0.0.0", ""})  # noqa: S104


@dataclass(frozen=True)
class PublicSite:
    scheme: str
    host: str
    origin: str


def public_site(url: str) -> PublicSite | None:
    """SHOUHOU_PUBLIC_BASE_URL taken apart (scheme, host name, origin), or None when unset or not a URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return PublicSite(scheme=parts.scheme, host=parts.hostname, origin=f"{parts.scheme}://{parts.netloc}")


def production_problems(*, debug: bool, key: str, allowed_hosts: list[str], public_base_url: str) -> list[str]:
    """Every reason production must not start, each with what to set; empty when it may start."""
    problems = []
    if debug:
        problems.append("SHOUHOU_DEBUG 必须关闭 (SHOUHOU_PRODUCTION with SHOUHOU_DEBUG)：调试页面会把代码和设置给任何人看")
    problem = key_problem(key)
    if problem:
        problems.append(f"{problem}：请设置为随机的长字符串，例如 "
                        "python3 -c \"import secrets; print(secrets.token_urlsafe(64))\"（docs/security.md）")
    named = [host for host in allowed_hosts if host not in LOCAL_NAMES]
    if public_base_url.strip() and public_site(public_base_url) is None:
        problems.append(f"SHOUHOU_PUBLIC_BASE_URL 不是网址，收到「{public_base_url}」 (not a URL)：应为站点地址，"
                        "例如 https://kefu.example.com")
    elif not named:
        problems.append("没有对外的主机名 (no public host name)：设置 SHOUHOU_PUBLIC_BASE_URL（例如 "
                        "https://kefu.example.com，主机名与 CSRF 可信来源都由它而来）或 SHOUHOU_ALLOWED_HOSTS；"
                        f"现在只接受 {','.join(allowed_hosts) or '（空）'}，员工的每个请求都会得到 400")
    elif not public_base_url.strip() and all(host == "*" or host.startswith(".") for host in named):
        problems.append(f"SHOUHOU_ALLOWED_HOSTS 只有通配（{','.join(named)}）时必须设置 SHOUHOU_PUBLIC_BASE_URL "
                        "(no public address)：否则发给顾客的链接指向 http://127.0.0.1:8000")
    return problems


def refusal_text(problems: list[str]) -> str:
    lines = "\n".join(f"  {n}. {problem}" for n, problem in enumerate(problems, 1))
    return f"生产模式拒绝启动 (production refuses to start)，请改正以下 {len(problems)} 项：\n{lines}"
