"""shouhou 售后 — 唯一的命令入口 (the one entry point)

    shouhou serve              网页服务 127.0.0.1:8000（每核一个进程，--processes N）+ 后台任务进程
                               web server plus the background worker
    shouhou worker             只运行后台任务进程（可在多台机器上各运行几个）/ the background worker alone
    shouhou demo               生成演示数据：一家直播店铺；--platform-sandbox [平台] 同时运行平台沙箱
                               fill the database with a simulated live-stream shop (logins demo / shouhou-demo)
    shouhou import FILE        导入订单导出文件（.xlsx/.csv）/ import an order export
    shouhou policy check|decide          检查售后政策，或按政策判定一个申请 / check a policy, decide a claim
    shouhou reviews train|evaluate|classify   评价分类模型 / review classifier
    shouhou token create|list|revoke      API 令牌 / API tokens
    shouhou report weekly|rollup          售后周报 (.xlsx) / weekly report
    shouhou platforms sandbox  本地平台沙箱（抖店、快手、微信小店、有赞）/ a local platform sandbox
    shouhou <Django 命令>      任何 Django 管理命令（migrate、createsuperuser …）/ any Django command

每个命令的说明 (each command's options)：shouhou <命令> --help
配置全部来自环境变量 (every setting is an environment variable)：docs/configuration.md
"""

from __future__ import annotations

import os
import sys

ALIASES = {
    "worker": "qcluster",
    "import": "import_orders",
}


def _settings_problem() -> str | None:
    """Load the settings once, before Django does: a wrong environment variable (a mistyped switch, a
    missing production key, an unknown database URL) is one clear line, not a stack trace of settings.py."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        settings.INSTALLED_APPS  # noqa: B018 - reading it loads the settings module
    except ImproperlyConfigured as exc:
        return str(exc)
    return None


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    try:
        _run(argv)
    except KeyboardInterrupt:  # Ctrl+C in a long command (demo, import): stop, without a stack trace
        raise SystemExit(130) from None
    except BrokenPipeError:  # `shouhou … | head`: the reader left
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(1) from None
    except (OSError, OverflowError) as exc:
        # What the machine refused (a file or folder that is not there, a port in use or out of range, a
        # permission): the message says what to change; a stack trace of the command's code would not.
        if "--traceback" in argv:
            raise
        sys.stderr.write(f"shouhou: 错误 (error)：{exc}\n  加 --traceback 看完整的错误栈\n")
        raise SystemExit(1) from None


def _run(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouhou.config.settings")
    if len(argv) < 2 or argv[1] in {"-h", "--help"}:
        print(__doc__)
        if len(argv) < 2:
            return
    else:
        argv[1] = ALIASES.get(argv[1], argv[1])
        if argv[1] == "qcluster":
            # The worker forks its task processes: none may inherit a pool's open connections (config/env.py).
            from shouhou.config.env import POOL_ENV

            os.environ[POOL_ENV] = "0"
    if "--traceback" not in argv and "--settings" not in " ".join(argv):
        problem = _settings_problem()
        if problem:
            sys.stderr.write(f"shouhou: 配置错误 (configuration error)：{problem}\n"
                             "  设置见 docs/configuration.md；加 --traceback 看完整的错误栈\n")
            raise SystemExit(2)
    argv[0] = "shouhou"
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
