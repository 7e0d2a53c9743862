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
import re
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
        _run_guarded(argv)
    except KeyboardInterrupt:  # Ctrl+C in a long command (demo, import): stop, without a stack trace
        raise SystemExit(130) from None
    except BrokenPipeError:  # `shouhou … | head`: the reader left
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(1) from None
    except Exception as exc:
        # The database refused or is not there (PostgreSQL down, a wrong password, a locked or unwritable SQLite
        # file): one line naming it and where it is set, not a stack trace of the command that first touched it.
        problem = None if "--traceback" in argv else database_problem(exc)
        if not problem:
            raise
        sys.stderr.write(f"shouhou: {problem}\n"
                         "  检查数据库是否在运行、SHOUHOU_DATABASE_URL 是否正确、SQLite 所在的数据目录是否有空间且可写"
                         "（docs/configuration.md）；"
                         "加 --traceback 看完整的错误栈\n")
        raise SystemExit(1) from None


# What the database server or file said, when it is about reaching it at all (not an error in a query).
UNREACHABLE = ("connection failed", "connection to server", "server closed the connection", "terminating connection",
               "the connection is closed", "password authentication failed", "could not translate host name")
SQLITE_FILE = {"database is locked": "数据库文件被另一个程序锁住 (database is locked)",
               "unable to open database file": "无法打开数据库文件 (unable to open database file)",
               "disk i/o error": "数据库文件读写失败 (disk I/O error)",
               "database or disk is full": "磁盘已满 (database or disk is full)",
               "attempt to write a readonly database": "数据库文件只读 (readonly database)"}


def database_problem(exc: BaseException) -> str | None:
    """The one line for a database that cannot be reached or written, else None (a real error: its stack trace)."""
    from django.db.utils import InterfaceError, OperationalError

    if not isinstance(exc, (OperationalError, InterfaceError)):
        return None
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    lowered = first.lower()
    for words, said in SQLITE_FILE.items():
        if words in lowered:
            return f"数据库不可用：{said}"
    if isinstance(exc, InterfaceError) or any(words in lowered for words in UNREACHABLE):
        return f"数据库不可用 (database unavailable)：{first}"
    return None


def _run_guarded(argv: list[str]) -> None:
    try:
        _run(argv)
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
            die_with_serve()
    if "--traceback" not in argv and "--settings" not in " ".join(argv):
        problem = _settings_problem()
        if problem:
            sys.stderr.write(f"shouhou: 配置错误 (configuration error)：{problem}\n"
                             "  设置见 docs/configuration.md；加 --traceback 看完整的错误栈\n")
            raise SystemExit(2)
    # before Django's set-up (seconds): a second serve is refused at once
    if argv[1:2] == ["serve"] and not {"-h", "--help"} & set(argv):
        refused = serve_lock_refusal(argv[2:])
        if refused:
            sys.stderr.write(f"shouhou serve: {refused}\n")
            raise SystemExit(1)
    argv[0] = "shouhou"
    from django.core.management import execute_from_command_line

    _say_errors_in_chinese_first()
    if argv[1:2] == ["qcluster"] and not {"--traceback", "-h", "--help"} & set(argv):
        problem = redis_problem()
        if problem:  # serve and systemd start it again (with a back-off): one line each time, not 60 of django-q's
            sys.stderr.write(f"shouhou worker: {problem}\n  检查 Redis 是否在运行、SHOUHOU_REDIS_URL 是否正确"
                             "（docs/configuration.md）；Redis 回来后后台任务进程即可启动\n")
            raise SystemExit(1)
    if len(argv) > 1 and not argv[1].startswith("-") and argv[1] not in {"help", "version"}:
        unknown = _unknown_command(argv[1])
        if unknown:
            sys.stderr.write(unknown)
            raise SystemExit(1)
    execute_from_command_line(argv)


def die_with_serve() -> None:
    """A worker that `serve` started ends when that serve ends, however it ends (config/serve_lock.py): killed
    with SIGKILL, serve left it running, and the next serve started a second worker beside it on the same queue.
    A worker started any other way (systemd, a terminal) is not touched."""
    from shouhou.config import serve_lock

    parent = serve_lock.started_by_serve()
    if parent:
        serve_lock.end_with_parent(parent)


def serve_lock_refusal(args: list[str]) -> str:
    """Take this data directory's serve lock for a `serve` that starts the worker (config/serve_lock.py), or the
    line refusing it when another such serve holds it. Arguments serve's own parser would refuse: no lock, its
    line instead."""
    import argparse

    from django.conf import settings

    from shouhou.config import serve_lock

    parser = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    parser.add_argument("--host", default=serve_lock.DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=serve_lock.DEFAULT_PORT)
    parser.add_argument("--processes")
    parser.add_argument("--no-worker", action="store_true")
    parser.add_argument("--no-migrate", action="store_true")
    try:
        opts, _rest = parser.parse_known_args(args)
    except (argparse.ArgumentError, SystemExit):
        return ""
    if opts.no_worker:
        return ""
    try:
        serve_lock.hold(settings.DATA_DIR, host=opts.host, port=opts.port)
    except serve_lock.AlreadyServing as exc:
        return str(exc)
    return ""


# argparse's own refusals (English, after a usage block of a dozen lines), said as one line: Chinese first, the
# original after it. Messages of shouhou's own argument types are Chinese already and pass as they are.
USAGE_MESSAGES = [
    (re.compile(r"the following arguments are required: (.+)"), "缺少必需的参数：{0}"),
    (re.compile(r"one of the arguments (.+) is required"), "需要以下参数之一：{0}"),
    (re.compile(r"argument (\S+): invalid (\w+) value: (.+)"), "参数 {0} 的值 {2} 无效（应为{1}）"),
    (re.compile(r"argument (\S+): invalid choice: (.+?) \(choose from (.+)\)"), "参数 {0} 不能取 {1}，可选：{2}"),
    (re.compile(r"argument (\S+): expected one argument"), "参数 {0} 需要一个值"),
    (re.compile(r"argument (\S+): not allowed with argument (\S+)"), "参数 {0} 不能与 {1} 同时使用"),
    (re.compile(r"unrecognized arguments: (.+)"), "不认识的参数：{0}"),
]
TYPE_WORDS = {"int": "整数", "float": "数字"}


def usage_message(message: str) -> str:
    """One argparse refusal in Chinese, the English original in brackets; anything else unchanged."""
    for pattern, chinese in USAGE_MESSAGES:
        match = pattern.fullmatch(message)
        if match:
            words = [TYPE_WORDS.get(part, part) for part in match.groups()]
            return f"{chinese.format(*words)} ({message})"
    own = re.fullmatch(r"argument (\S+): (.+)", message)  # a shouhou type's own words (Chinese already)
    return f"参数 {own.group(1)}：{own.group(2)}" if own else message


WORKER_HELP = ("后台任务进程：发送通知、SLA 计时、平台同步等排队的任务（队列在数据库中，设置 SHOUHOU_REDIS_URL 后在 Redis 中）；"
               "可在多台机器上各运行几个，每个有 SHOUHOU_WORKERS 个任务进程 "
               "(the background worker: queued tasks; run several, on any machine)")


def said_as(prog: str) -> str:
    """A command as the user typed it: `shouhou import`, not Django's `shouhou import_orders`."""
    typed = {name: alias for alias, name in ALIASES.items()}
    return " ".join(typed.get(word, word) for word in prog.split(" "))


def _say_errors_in_chinese_first() -> None:
    """A wrong argument, or a command's refusal (CommandError), is one line that starts in Chinese: argparse printed
    its usage block then "error: the following arguments are required", Django "CommandError: …"."""
    from django.core.management.base import BaseCommand, CommandError, CommandParser, SystemCheckError

    if getattr(CommandParser, "_shouhou_said", False):
        return
    parser_error = CommandParser.error

    def error(self, message):
        if not self.called_from_command_line:
            return parser_error(self, message)
        prog = said_as(self.prog)
        self.exit(2, f"{prog}: 参数错误 (usage error)：{usage_message(message)}\n  用法 (usage)：{prog} --help\n")

    run_from_argv = BaseCommand.run_from_argv

    def run_from_argv_said(self, argv):
        execute = self.execute  # this command only: a call_command inside it keeps Django's own behaviour

        def execute_said(*args, **options):
            try:
                return execute(*args, **options)
            except CommandError as exc:
                if isinstance(exc, SystemCheckError) or options.get("traceback"):
                    raise
                sys.stderr.write(f"{said_as(f'shouhou {argv[1]}')}: 错误 (error)：{exc}\n")
                raise SystemExit(exc.returncode) from None

        self.execute = execute_said
        return run_from_argv(self, argv)

    create_parser = BaseCommand.create_parser

    def create_parser_said(self, prog_name, subcommand, **kwargs):
        # `shouhou worker --help` began "usage: shouhou qcluster", `shouhou import --help` "… import_orders"
        parser = create_parser(self, prog_name, subcommand, **kwargs)
        parser.prog = said_as(parser.prog)
        if subcommand == "qcluster":  # django-q's own words, "启动 Django Q 集群", named a library, not the command
            parser.description = WORKER_HELP
        return parser

    CommandParser.error = error
    BaseCommand.run_from_argv = run_from_argv_said
    BaseCommand.create_parser = create_parser_said
    CommandParser._shouhou_said = True


def redis_problem() -> str | None:
    """Why the task queue's Redis (SHOUHOU_REDIS_URL) cannot be reached, else None (reached, or not used)."""
    from django.conf import settings

    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return None
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5).ping()
    except redis.RedisError as exc:
        return f"Redis 不可用 (Redis unavailable)：{exc}"
    return None


def _unknown_command(name: str) -> str:
    """The line for a command that does not exist (Django's own was English), with the nearest ones."""
    import difflib

    import django
    from django.core.management import get_commands

    django.setup()
    commands = get_commands()
    if name in commands:
        return ""
    near = difflib.get_close_matches(name, [*commands, "worker", "import"], n=3)
    hint = f"；是不是 {' / '.join(near)}？" if near else ""
    return (f"shouhou: 没有「{name}」这个命令 (unknown command){hint}\n"
            "  shouhou --help 列出 shouhou 的命令，shouhou help 列出全部\n")


if __name__ == "__main__":
    main()
