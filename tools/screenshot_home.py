"""Take docs/screenshot-home.png: the demo shop's home page after login, in Debian chromium.

    python tools/screenshot_home.py [--out docs/screenshot-home.png]

Builds the demo into a scratch SQLite data dir, serves it on a free local port, logs in as demo.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshot-home.png"))
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="shouhou-shot-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOUHOU_")}
    env.update(SHOUHOU_DATA_DIR=str(scratch), PYTHONPATH=str(ROOT))
    run = [sys.executable, "-m", "shouhou"]
    subprocess.run([*run, "migrate", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
    subprocess.run([*run, "demo", "--seed", "42"], cwd=ROOT, env=env, check=True)  # noqa: S603
    port = free_port()
    server = subprocess.Popen([*run, "runserver", f"127.0.0.1:{port}", "--noreload"], cwd=ROOT, env=env,  # noqa: S603
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/accounts/login/", timeout=2)  # noqa: S310
                break
            except OSError:
                time.sleep(0.5)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                         args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                       viewport={"width": 1280, "height": 900}).new_page()
            page.goto(f"{base}/accounts/login/")
            page.fill("#id_username", "demo")
            page.fill("#id_password", "shouhou-demo")
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=args.out, full_page=True)
            browser.close()
        print(f"已保存 {args.out}")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
