"""What a newcomer and an operator meet first: `dev.py run`, the settings read from the environment, the
deploy files, and the `shouhou` command's answers to a wrong setting.

- A wrong environment variable (a mistyped switch, a number that is not one, an unknown database URL) is one
  line naming it and exit code 2, never a stack trace of settings.py; `SHOUHOU_PRODUCTION=ture` used to start
  as "not production" without a word.
- The secret key of `deploy/systemd/shouhou.env.example`, copied unedited, is refused in production (the
  placeholder it carried was long enough to pass, so such a production signed with a key printed here).
- The notification providers and tunables documented as variables are read from the environment (they
  were Django settings only: real SMS sending could not be configured without editing settings.py).
- An install outside the checkout (the Docker image) finds the front-end packages through
  SHOUHOU_FRONTEND_DIR (the dashboards had no charts, /api/docs no Swagger UI).
- Every variable docs/configuration.md lists is read somewhere, and every one settings.py reads is listed.
- Production without SHOUHOU_PUBLIC_BASE_URL links customers to https://<its host>, not to 127.0.0.1:8000.
- compose.yaml trusts exactly its nginx: the example's 127.0.0.1 is never the proxy inside compose, so every
  client was the proxy's address (one login lock for all) and X-Forwarded-Proto was dropped.
- `dev.py run --port N` prints the address it serves, and says so before starting when the port is taken;
  a command refused a port or a file by the machine says so in one line (it was a stack trace).
"""

from __future__ import annotations

import importlib.util
import re
import socket
from pathlib import Path

import pytest
import yaml

from shouhou.config.secret import key_problem
from shouhou.core.testing.commands import command_env, run_shouhou

REPO = Path(__file__).resolve().parents[3]
OLD_EXAMPLE_KEY = "change-me-to-64-random-characters-python3-c-import-secrets-token_urlsafe-64"  # noqa: S105


_env, _shouhou = command_env, run_shouhou


def _show(tmp: Path, expression: str, **extra: str) -> str:
    done = _shouhou(_env(tmp, **extra), "shell", "--no-imports", "-c",
                    f"from django.conf import settings; print(repr({expression}))")
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def _dev():
    spec = importlib.util.spec_from_file_location("shouhou_dev_py", REPO / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- a wrong setting -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "value"), [
    ("SHOUHOU_WORKERS", "two"),
    ("SHOUHOU_PRODUCTION", "ture"),
    ("SHOUHOU_DATABASE_URL", "mysqll://shouhou@db/shouhou"),
    ("SHOUHOU_NOTIFY_PROVIDERS", "{aliyun_sms: {}}"),
])
def test_a_wrong_setting_is_one_line_naming_it_not_a_traceback(tmp_path, name, value):
    done = _shouhou(_env(tmp_path, **{name: value}), "check")
    assert done.returncode == 2, done.stdout + done.stderr
    assert name in done.stderr and "配置错误" in done.stderr
    assert "Traceback" not in done.stderr


def test_production_without_a_key_still_says_why_in_one_line(tmp_path):
    done = _shouhou(_env(tmp_path, SHOUHOU_PRODUCTION="true"), "serve", "--no-worker")
    assert done.returncode == 2
    assert "生产模式拒绝启动" in done.stderr and "Traceback" not in done.stderr


def test_switches_read_their_usual_spellings(tmp_path):
    assert _show(tmp_path, "settings.DEBUG", SHOUHOU_DEBUG="On") == "True"
    assert _show(tmp_path, "settings.DEBUG", SHOUHOU_DEBUG="0") == "False"
    assert _show(tmp_path, "settings.DEBUG", SHOUHOU_DEBUG="") == "False"


# --- the deploy files ------------------------------------------------------------------------------------

def _example_env() -> dict[str, str]:
    text = (REPO / "deploy" / "systemd" / "shouhou.env.example").read_text()
    return dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))


def test_the_example_env_files_key_is_refused_in_production():
    assert key_problem(_example_env()["SHOUHOU_SECRET_KEY"]) is not None
    # and the placeholder it carried before, wherever it was copied to
    assert key_problem(OLD_EXAMPLE_KEY) is not None
    assert key_problem("CHANGE-ME-" + "x" * 60) is not None


def test_compose_trusts_its_own_proxy_and_sets_the_front_end_folder():
    compose = yaml.safe_load((REPO / "deploy" / "compose.yaml").read_text())
    trusted = compose["x-shouhou"]["environment"]["SHOUHOU_TRUSTED_PROXIES"]
    proxy_ip = compose["services"]["proxy"]["networks"]["default"]["ipv4_address"]
    assert trusted == proxy_ip
    subnet = compose["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert re.search(r"172\.30\.77\.\d+", proxy_ip) and "172.30.77.0/24" in subnet
    dockerfile = (REPO / "deploy" / "Dockerfile").read_text()
    folder = re.search(r"SHOUHOU_FRONTEND_DIR=(\S+)", dockerfile).group(1)
    assert "COPY --from=frontend /src/frontend/node_modules ./frontend/node_modules" in dockerfile
    assert folder == "/opt/shouhou/frontend/node_modules"  # WORKDIR /opt/shouhou + ./frontend/node_modules


def test_production_sends_customers_links_to_its_own_site_not_to_localhost(tmp_path):
    key = "Zx8-q2Lr7vB0kTn4Wm1yHs6pJd3fGc9aXe5uRi0oPl2KjQw7Nb"  # noqa: S105 - test value
    production = {"SHOUHOU_PRODUCTION": "true", "SHOUHOU_SECRET_KEY": key,
                  "SHOUHOU_ALLOWED_HOSTS": "kefu.example.com,10.0.0.5"}
    assert _show(tmp_path, "settings.SHOUHOU['PUBLIC_BASE_URL']", **production) == "'https://kefu.example.com'"
    assert _show(tmp_path, "settings.SHOUHOU['PUBLIC_BASE_URL']", **production,
                 SHOUHOU_PUBLIC_BASE_URL="https://kf.example.cn") == "'https://kf.example.cn'"
    assert _show(tmp_path, "settings.SHOUHOU['PUBLIC_BASE_URL']") == "'http://127.0.0.1:8000'"


def test_an_install_outside_the_checkout_finds_the_front_end_packages(tmp_path):
    (tmp_path / "modules" / "chart.js" / "dist").mkdir(parents=True)
    shown = _show(tmp_path, "[str(d[1]) for d in settings.STATICFILES_DIRS if isinstance(d, tuple)]",
                  SHOUHOU_FRONTEND_DIR=str(tmp_path / "modules"))
    assert str(tmp_path / "modules" / "chart.js" / "dist") in shown


# --- documented variables are read, read ones documented ---------------------------------------------------

def _documented() -> set[str]:
    names = set()
    for line in (REPO / "docs" / "configuration.md").read_text().splitlines():
        if line.startswith("| `SHOUHOU_"):
            names.update(re.findall(r"`(SHOUHOU_[A-Z0-9_]+)`", line.split("|")[1]))
    return names


def _product_code() -> str:
    return "\n".join(p.read_text() for p in (REPO / "shouhou").rglob("*.py")
                     if "tests" not in p.parts and "testing" not in p.parts)


def _read_by_settings() -> set[str]:
    settings_text = (REPO / "shouhou" / "config" / "settings.py").read_text()
    read = set(re.findall(r'env_\w+\(f?"(SHOUHOU_[A-Z0-9_]+)"', settings_text))
    tunables = re.search(r'for _name in \(([^)]*)\)\s*\n?\s*if env_str\(f"SHOUHOU_NOTIFY_', settings_text)
    return read | {f"SHOUHOU_NOTIFY_{n}" for n in re.findall(r'"([A-Z_]+)"', tunables.group(1))}


def test_every_documented_variable_is_read_by_the_product():
    code, read = _product_code(), _read_by_settings()
    unread = sorted(name for name in _documented() - read if f'"{name}"' not in code)
    assert unread == [], f"documented in docs/configuration.md but never read: {unread}"


def test_every_variable_the_settings_read_is_documented():
    missing = sorted(_read_by_settings() - _documented())
    assert missing == [], f"read by settings.py but not in docs/configuration.md: {missing}"


def test_notification_providers_and_limits_come_from_the_environment(tmp_path):
    channels = '{"sms": "aliyun_sms"}'
    providers = '{"aliyun_sms": {"access_key_id": "id", "access_key_secret": "s", "sign_name": "店"}}'
    shown = _show(tmp_path, "(settings.SHOUHOU_NOTIFY_CHANNELS, settings.SHOUHOU_NOTIFY_PROVIDERS['aliyun_sms']"
                            "['sign_name'], settings.SHOUHOU_NOTIFY_DAILY_CAP, settings.SHOUHOU_NOTIFY_QUIET_START)",
                  SHOUHOU_NOTIFY_CHANNELS=channels, SHOUHOU_NOTIFY_PROVIDERS=providers,
                  SHOUHOU_NOTIFY_DAILY_CAP="5", SHOUHOU_NOTIFY_QUIET_START="23")
    assert shown == "({'sms': 'aliyun_sms'}, '店', 5, 23)"
    # unset: the outbox for every channel, and the services' own defaults (no setting at all)
    assert _show(tmp_path, "(settings.SHOUHOU_NOTIFY_CHANNELS, hasattr(settings, 'SHOUHOU_NOTIFY_DAILY_CAP'))") \
        == "({}, False)"


# --- the command and dev.py ------------------------------------------------------------------------------

def test_the_command_help_is_chinese_first_and_names_every_command(tmp_path):
    done = _shouhou(_env(tmp_path), "--help")
    first = done.stdout.strip().splitlines()[0]
    assert re.search(r"[\u4e00-\u9fff]", first)
    for command in ("serve", "worker", "demo", "import", "policy", "reviews", "token", "report", "platforms"):
        assert f"shouhou {command}" in done.stdout


@pytest.mark.parametrize("args", [("policy", "check"), ("policy", "decide"), ("reviews", "train"),
                                  ("reviews", "classify"), ("token", "list"), ("token", "create"),
                                  ("report", "weekly"), ("report", "rollup")])
def test_each_subcommand_says_what_it_does_in_its_help(tmp_path, args):
    done = _shouhou(_env(tmp_path), *args, "--help")
    assert done.returncode == 0, done.stderr
    # the line after the usage block describes the subcommand, in Chinese
    description = done.stdout.split("\n\n")[1].strip()
    assert re.search(r"[\u4e00-\u9fff]", description) and not description.startswith(("positional", "options")), \
        done.stdout


@pytest.mark.parametrize("port", ["taken", "99999"])
def test_a_port_the_machine_refuses_is_one_line_not_a_traceback(tmp_path, port):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        number = str(taken.getsockname()[1]) if port == "taken" else port
        done = _shouhou(_env(tmp_path), "platforms", "sandbox", "--port", number, "--seconds", "1")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "shouhou: 错误" in done.stderr and "Traceback" not in done.stderr


def test_dev_run_prints_the_address_it_serves():
    dev = _dev()
    assert dev.site_url([]) == "http://127.0.0.1:8000/"
    assert dev.site_url(["--port", "8123"]) == "http://127.0.0.1:8123/"
    assert dev.site_url(["--platform-sandbox", "youzan", "--host", "0.0.0.0", "--port=9001"]) == \
        "http://127.0.0.1:9001/"


def test_dev_run_says_a_taken_port_before_starting_anything():
    dev = _dev()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        problem = dev.port_problem(["--port", str(port)])
    assert str(port) in problem and f"--port {port + 1}" in problem
    assert dev.port_problem(["--port", "http"]).startswith("--port")


def test_dev_names_the_python_it_needs():
    dev = _dev()
    assert dev.python_problem((3, 11)) == ""
    assert "3.13" in dev.python_problem((3, 13)) and ">=3.11,<3.12" in dev.python_problem((3, 13))
