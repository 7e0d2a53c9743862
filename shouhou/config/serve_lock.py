"""One `shouhou serve` with its worker per data directory (standard library only: dev.py reads it before the
virtual environment exists).

Two of them on one data directory both started, then fought over the SQLite file, the port and the task queue
(two workers, two schedulers). The one that serves holds an advisory lock (flock) on DATA_DIR/serve.lock with its
pid and address written in it; a second one is refused at once naming the first. The kernel drops the lock when
the process ends, however it ends (Ctrl+C, kill -9, a crash), so a lock left by a dead process blocks nothing:
the file stays, the lock does not. `serve --no-worker` (production: several web instances on one data
directory, docs/deploy.md) takes no lock.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: no lock, as before
    fcntl = None

LOCK_NAME = "serve.lock"
# serve's own defaults, read by its parser and by the lock taken before Django starts (cli.serve_lock_refusal)
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
_held: list = []  # the open lock file of this process: kept open (so locked) until the process ends


class AlreadyServing(Exception):
    def __init__(self, data_dir: Path, holder: dict):
        self.data_dir, self.holder = Path(data_dir), holder
        super().__init__(refusal(self.data_dir, holder))


def _address(holder: dict) -> str:
    host = str(holder.get("host") or "127.0.0.1")
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 - a listen address: the browser opens this machine
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{holder['port']}/" if holder.get("port") else ""


def refusal(data_dir: Path, holder: dict) -> str:
    """The one line for a second serve: Chinese, then the same in English in brackets."""
    pid, url = holder.get("pid"), _address(holder)
    who_zh = "，".join(part for part in (f"pid {pid}" if pid else "", url) if part)
    who_en = ", ".join(part for part in (f"pid {pid}" if pid else "", url) if part)
    stop = f"kill {pid}" if pid else "Ctrl+C"
    return (f"数据目录 {data_dir} 已有一个 shouhou serve 在运行（{who_zh}）：用它即可，或先停止它（Ctrl+C 或 {stop}），"
            f"或用另一个 SHOUHOU_DATA_DIR 再启动 "
            f"(shouhou serve is already running on this data directory: {who_en}; use it, stop it first, "
            f"or start with another SHOUHOU_DATA_DIR)")


def _read(handle) -> dict:
    # The holder writes its line right after it locks: a reader that came in between sees an empty file for a moment.
    for _ in range(20):
        handle.seek(0)
        text = handle.read().strip()
        if text:
            try:
                return json.loads(text)
            except ValueError:
                return {}
        time.sleep(0.05)
    return {}


def hold(data_dir: Path, *, host: str, port: int | None) -> None:
    """Lock DATA_DIR/serve.lock for this process's lifetime, or raise AlreadyServing naming the holder."""
    if fcntl is None:
        return
    path = Path(data_dir) / LOCK_NAME
    handle = path.open("a+", encoding="utf-8")  # not inherited by the processes serve starts (close-on-exec)
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _read(handle)
        handle.close()
        raise AlreadyServing(Path(data_dir), holder) from None
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps({"pid": os.getpid(), "host": host, "port": port,
                             "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}) + "\n")
    handle.flush()
    _held.append(handle)


def serving(data_dir: Path) -> dict | None:
    """Who serves this data directory now ({"pid", "host", "port"}), else None (nobody, or a dead holder's file)."""
    if fcntl is None:
        return None
    path = Path(data_dir) / LOCK_NAME
    if not path.exists():
        return None
    with path.open("r", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read(handle)
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return None


def end_with_parent(parent: int) -> None:
    """Have the kernel send this process SIGTERM when its parent `serve` dies (Linux, PR_SET_PDEATHSIG). Serve
    stops its worker and web processes on Ctrl+C or SIGTERM; killed with SIGKILL (or by the out-of-memory killer)
    it left them running: the web processes kept the port, so the next serve was refused ("address already in
    use"), and the worker ran on beside the next serve's worker."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the line above: the signal would never come
        os.kill(os.getpid(), signal.SIGTERM)


def started_by_serve() -> int | None:
    """The pid of the `shouhou serve` that started this process, else None (systemd, a terminal, a test)."""
    parent = os.getppid()
    try:
        with open(f"/proc/{parent}/cmdline", "rb") as cmdline:  # noqa: PTH123
            words = cmdline.read().split(b"\0")
    except OSError:
        return None
    if b"serve" in words and any(b"shouhou" in word for word in words):
        return parent
    return None
