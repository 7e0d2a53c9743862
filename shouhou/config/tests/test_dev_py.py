"""`python3 dev.py run` on a later day: `demo --if-empty` keeps the demo built on the first day, whose live
sessions, orders and timers stay dated from then (a week later the latest session is a week old). dev.py says
so, in the shop's day (Asia/Shanghai, the anchor's own offset), and names the command that rebuilds it."""

from __future__ import annotations

import datetime as dt
import importlib.util

from shouhou.core.testing.commands import REPO


def _dev():
    spec = importlib.util.spec_from_file_location("shouhou_dev_py_h8", REPO / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _at(text: str) -> float:
    return dt.datetime.fromisoformat(text).timestamp()


def test_a_demo_built_on_an_earlier_day_is_pointed_out_with_the_command_that_renews_it():
    note = _dev().stale_demo_note("2026-11-29T00:00:00+08:00", now=_at("2026-12-06T10:00:00+08:00"))
    assert note.startswith("演示数据是 2026-11-29 生成的") and "-m shouhou demo" in note


def test_a_demo_of_today_in_the_shops_zone_says_nothing():
    dev = _dev()
    # 18:30 UTC on 6 December is 02:30 on the 7th in Shanghai: a demo built that night is today's
    assert dev.stale_demo_note("2026-12-07T00:00:00+08:00", now=_at("2026-12-06T18:30:00+00:00")) == ""
    assert dev.stale_demo_note("2026-12-07T00:00:00+08:00", now=_at("2026-12-07T23:59:59+08:00")) == ""
    assert dev.stale_demo_note("", now=_at("2026-12-07T12:00:00+08:00")) == ""


def test_a_second_dev_py_run_names_the_serve_already_running_before_it_sets_anything_up(tmp_path, monkeypatch):
    import subprocess
    import sys

    dev = _dev()
    monkeypatch.setenv("SHOUHOU_DATA_DIR", str(tmp_path))
    assert dev.serving_problem() == ""
    script = ("import sys, time\nfrom shouhou.config import serve_lock\n"
              "serve_lock.hold(sys.argv[1], host='127.0.0.1', port=8000)\nprint('held', flush=True)\ntime.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], cwd=REPO, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        problem = dev.serving_problem()
        assert problem.startswith(f"数据目录 {tmp_path} 已有一个 shouhou serve 在运行（pid {holder.pid}，"
                                  "http://127.0.0.1:8000/）")
    finally:
        holder.kill()
        holder.wait(timeout=10)
    assert dev.serving_problem() == ""  # a dead holder's file blocks nothing


class _Running:
    def __init__(self):
        self.code = None

    def poll(self):
        return self.code


def test_the_ready_banner_waits_until_the_address_answers(capsys):
    # it was printed before serve started: the address was refused for the half minute the processes took to load
    import http.server
    import threading

    from shouhou.core.testing.asgiserver import free_port

    dev, port, child = _dev(), free_port(), _Running()
    url = f"http://127.0.0.1:{port}/"
    child.code = 1  # serve stopped before it answered: no banner
    assert dev.announce_when_answering(url, "READY", child) is False
    child.code = None
    result = []
    waiter = threading.Thread(target=lambda: result.append(dev.announce_when_answering(url, "READY", child, 60)))
    waiter.start()
    waiter.join(1.5)
    assert waiter.is_alive() and "READY" not in capsys.readouterr().out  # nothing listens yet
    server = http.server.HTTPServer(("127.0.0.1", port), http.server.BaseHTTPRequestHandler)  # answers 501
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        waiter.join(30)
        assert result == [True] and "READY" in capsys.readouterr().out
    finally:
        server.shutdown()
        server.server_close()
