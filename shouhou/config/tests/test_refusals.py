"""What an operator sees when something is wrong, as `shouhou …` prints it (a separate process, the real settings).

- Production names every problem at once (it stopped at the first: fix the key, restart, then learn that
  ALLOWED_HOSTS was 127.0.0.1,localhost and every request of the shop's staff got 400).
- SHOUHOU_PUBLIC_BASE_URL alone is enough: the host names served and the CSRF origins come from it.
- A database that is down or a URL of an engine shouhou does not run on: one line, not a stack trace.
- A wrong argument, a command's refusal, an unknown command: one line, Chinese first (argparse printed a usage
  block then "error: the following arguments are required", Django "CommandError: …" or "Unknown command").
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from shouhou.cli import usage_message
from shouhou.config.production import production_problems
from shouhou.core.testing.commands import REPO, command_env, run_shouhou

GOOD_KEY = "Zx8-q2Lr7vB0kTn4Wm1yHs6pJd3fGc9aXe5uRi0oPl2KjQw7Nb-h8"  # noqa: S105 - test value


def _first_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_production_lists_every_problem_at_once(tmp_path: Path):
    done = run_shouhou(command_env(tmp_path, SHOUHOU_PRODUCTION="true", SHOUHOU_DEBUG="true",
                                   SHOUHOU_PUBLIC_BASE_URL="kefu.example.com"), "check")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "生产模式拒绝启动" in done.stderr and "3 项" in done.stderr
    for name in ("SHOUHOU_DEBUG", "SHOUHOU_SECRET_KEY", "SHOUHOU_PUBLIC_BASE_URL"):
        assert name in done.stderr


def test_production_with_a_key_but_no_public_host_refuses(tmp_path: Path):
    done = run_shouhou(command_env(tmp_path, SHOUHOU_PRODUCTION="true", SHOUHOU_SECRET_KEY=GOOD_KEY), "check")
    assert done.returncode == 2, done.stdout
    assert "没有对外的主机名" in done.stderr and "SHOUHOU_PUBLIC_BASE_URL" in done.stderr


@pytest.mark.parametrize(("hosts", "public", "refused"), [
    (["127.0.0.1", "localhost"], "", True),
    (["*"], "", True),
    (["*"], "https://kefu.example.com", False),
    (["kefu.example.com"], "", False),
    (["127.0.0.1", "kefu.example.com"], "https://kefu.example.com", False),
])
def test_which_host_settings_production_accepts(hosts, public, refused):
    assert bool(production_problems(debug=False, key=GOOD_KEY, allowed_hosts=hosts, public_base_url=public)) is refused


def test_the_public_address_alone_gives_the_host_names_and_the_csrf_origin(tmp_path: Path):
    env = command_env(tmp_path, SHOUHOU_PRODUCTION="true", SHOUHOU_SECRET_KEY=GOOD_KEY,
                      SHOUHOU_PUBLIC_BASE_URL="https://kefu.example.com")
    done = run_shouhou(env, "shell", "--no-imports", "-c", "from django.conf import settings as s; "
                       "print(s.ALLOWED_HOSTS, s.CSRF_TRUSTED_ORIGINS, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[-2] == (
        "['127.0.0.1', 'localhost', 'testserver', 'kefu.example.com'] ['https://kefu.example.com'] True 31536000")
    # set on their own, they win
    env.update(SHOUHOU_ALLOWED_HOSTS="a.example.com", SHOUHOU_CSRF_TRUSTED_ORIGINS="https://b.example.com")
    done = run_shouhou(env, "shell", "--no-imports", "-c",
                       "from django.conf import settings as s; print(s.ALLOWED_HOSTS, s.CSRF_TRUSTED_ORIGINS)")
    assert done.stdout.split("\n")[-2] == "['a.example.com'] ['https://b.example.com']"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the probe is closed


def test_a_database_that_is_down_is_one_line(tmp_path: Path):
    url = f"postgres://postgres@127.0.0.1:{_closed_port()}/shouhou"
    done = run_shouhou(command_env(tmp_path, SHOUHOU_DATABASE_URL=url), "migrate", "--noinput")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert _first_lines(done.stderr)[0].startswith("shouhou: 数据库不可用")
    assert "SHOUHOU_DATABASE_URL" in done.stderr


def test_a_database_engine_shouhou_does_not_run_on_is_refused_by_name(tmp_path: Path):
    done = run_shouhou(command_env(tmp_path, SHOUHOU_DATABASE_URL="mysql://u:p@127.0.0.1/shouhou"), "check")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "只支持 PostgreSQL 与 SQLite" in done.stderr


@pytest.mark.parametrize(("args", "code", "start"), [
    (["token"], 2, "shouhou token: 参数错误 (usage error)：缺少必需的参数：action"),
    (["serve", "--port", "abc"], 2, "shouhou serve: 参数错误 (usage error)：参数 --port 的值 'abc' 无效（应为整数）"),
    (["demo", "--orders", "0"], 2, "shouhou demo: 参数错误 (usage error)：参数 --orders：应在"),
    (["policy", "check"], 2, "shouhou policy check: 参数错误 (usage error)：缺少必需的参数"),
    (["import", "/no/such/file.csv", "--shop", "x", "--system"], 1, "shouhou import: 错误 (error)：找不到文件"),
    (["worker", "--bogus"], 2, "shouhou worker: 参数错误 (usage error)：不认识的参数：--bogus"),
    (["servr"], 1, "shouhou: 没有「servr」这个命令 (unknown command)；是不是 serve"),
])
def test_wrong_input_is_one_line_in_chinese_first(tmp_path: Path, args, code, start):
    done = run_shouhou(command_env(tmp_path), *args)
    assert done.returncode == code, done.stderr
    lines = _first_lines(done.stderr)
    assert lines[0].startswith(start), done.stderr
    assert len(lines) <= 2 and "usage: " not in done.stderr and "Traceback" not in done.stderr


def test_argparse_words_are_said_in_chinese_with_the_original_after():
    assert usage_message("unrecognized arguments: --bogus") == "不认识的参数：--bogus (unrecognized arguments: --bogus)"
    assert usage_message("argument --week: 应为 2026-W48") == "参数 --week：应为 2026-W48"
    assert usage_message("something else") == "something else"


@pytest.mark.parametrize(("said", "line"), [
    ("database is locked", "数据库不可用：数据库文件被另一个程序锁住 (database is locked)"),
    ("database or disk is full", "数据库不可用：磁盘已满 (database or disk is full)"),
    ('connection failed: connection to server at "127.0.0.1", port 5432 failed: Connection refused',
     '数据库不可用 (database unavailable)：connection failed: connection to server at "127.0.0.1", port 5432 failed: '
     "Connection refused"),
    ("duplicate column name: complaint_type", None),  # an error in a migration or a query keeps its stack trace
])
def test_which_database_errors_are_one_line(said, line):
    from django.db.utils import OperationalError

    from shouhou.cli import database_problem

    assert database_problem(OperationalError(said)) == line
    assert database_problem(ValueError(said)) is None


def test_a_worker_whose_redis_is_down_says_so_in_one_line(tmp_path: Path):
    # it printed django-q's "Can not connect to Redis server" and some sixty lines of stack traces, at every
    # restart by serve or systemd
    env = command_env(tmp_path, SHOUHOU_REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0")
    done = run_shouhou(env, "worker")
    assert done.returncode == 1
    assert _first_lines(done.stderr)[0].startswith("shouhou worker: Redis 不可用 (Redis unavailable)")
    assert "Traceback" not in done.stderr and len(_first_lines(done.stderr)) == 2


# Names in the product's code that are not settings an operator sets, each with why.
NOT_SETTINGS = {
    "SHOUHOU_SERVING": "set by `shouhou serve` for the processes it starts (core/runtime.py)",
    "SHOUHOU_DATABASE": "dev.py: the prefix of the variables it leaves out of the test environment",
}


def test_every_variable_the_product_or_dev_py_reads_is_documented():
    # core/tests/test_operator_setup.py checks settings.py's; serve.py, cli.py and dev.py read their own
    import re

    doc = (REPO / "docs" / "configuration.md").read_text()
    files = [p for p in (REPO / "shouhou").rglob("*.py") if not {"tests", "testing"} & set(p.parts)]
    missing = set()
    for path in [*files, REPO / "dev.py"]:
        for match in re.finditer(r'(getattr\(settings, )?"(SHOUHOU_[A-Z0-9_]+)"', path.read_text()):
            name = match.group(2)  # getattr(settings, "SHOUHOU_…"): a Django setting of that name, not a variable
            if not match.group(1) and name not in NOT_SETTINGS and f"`{name}`" not in doc:
                missing.add(f"{path.relative_to(REPO)}: {name}")
    assert sorted(missing) == [], "read but not in docs/configuration.md"


@pytest.mark.parametrize(("args", "usage", "words"), [
    (["worker", "--help"], "usage: shouhou worker ", "后台任务进程"),
    (["import", "--help"], "usage: shouhou import ", "导入订单导出文件"),
])
def test_help_names_the_command_as_typed_not_djangos_name(tmp_path: Path, args, usage, words):
    # it began "usage: shouhou qcluster" (and "启动 Django Q 集群") or "usage: shouhou import_orders"
    done = run_shouhou(command_env(tmp_path), *args)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(usage) and words in done.stdout
    assert "usage: shouhou qcluster" not in done.stdout and "启动 Django Q 集群" not in done.stdout
    assert "import_orders" not in done.stdout
