"""Benchmark: a surge of customer messages pushed live to connected agents, across processes.

    python -m bench.live_push [--agents 50] [--customers 200] [--messages 2000] [--seconds 120] [--web 2]
                              [--orders 0] [--threads 8] [--capacity 1000]

The surge of issue 13 (a live session's wave): `--orders 100000 --messages 20000 --seconds 600` —
100,000 orders ingested first (bench.import_orders' export, through `shouhou import_orders`, timed and
printed), then 20,000 customer messages over 10 minutes to 50 agents. A smaller --seconds compresses
time (the same messages faster); the output says so.

The production layout on this machine (docs/deploy.md): a private PostgreSQL server and a private Redis on
free ports, `--web` web processes (`shouhou serve --processes 1`, one port each) and one worker. Every
agent logs in and holds the desk's WebSocket on one of the web processes (round robin); customers send
web-chat messages over HTTP, spread evenly over `--seconds` and over the web processes. For every
(message, agent) pair it records when the agent's socket had it:

- latency from the customer's send (the POST starting) to the agent's socket, p50 / p99 / max;
- lost: pairs that never reached the agent's page by any path within 60 s after the last send returned:
  not as an event (pushed, or read from the table by the consumer's catch-up), and not through a reset
  (`{"type": "reset"}` tells the page to reload its state: the messages it skipped count as reached at the
  reset, read back from the stored events at the end, and are also printed separately with the number of
  resets); duplicated: a stream number received twice on one socket;
- layer drops: the channel layer's "over capacity" log lines of the web processes and the worker (a push the
  layer dropped; the consumer reads it from the table, docs/live.md);
- server CPU: user + system seconds of the web processes and the worker (from /proc), over the run;
- database connections: the most open at once (pg_stat_activity, sampled every second) against the
  server's max_connections; `--threads` is each web process's SHOUHOU_WEB_THREADS (docs/deploy.md).
- CPU by role: the web processes, the worker, PostgreSQL (the postmaster and its backends), Redis, the load
  generator itself, and the whole machine's busy time (/proc/stat), over the same span.

SHOUHOU_DB_POOL (0: a connection per request) and SHOUHOU_LIVE_LAYER (lists: channels-redis' list-based
layer) are passed on to the servers when set, to compare with the defaults (docs/deploy.md, docs/live.md).

The load generator runs on the same cores as the servers: the figures are pessimistic.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import websockets

from bench.sla_sweep import percentile
from shouhou.core.testing.pgserver import PrivatePostgres, free_port

REPO = Path(__file__).resolve().parents[1]
SEED = """
import json
from shouhou.accounts.choices import Role
from shouhou.core.testing.factories import CustomerFactory, MembershipFactory, OrderFactory, ShopFactory, UserFactory
from shouhou.inbox.channels import webchat
shop = ShopFactory(name="小鹿直播旗舰店", code="xiaolu")
for i in range({agents}):
    MembershipFactory(shop=shop, role=Role.AGENT, user=UserFactory(username=f"agent{{i}}"))
tokens = []
for i in range({customers}):
    order = OrderFactory(shop=shop, customer=CustomerFactory(shop=shop, phone=f"139{{i:08d}}"), order_no=f"S{{i:08d}}")
    conv = webchat.webchat_start(order=order)
    conv.bot_active = False
    conv.save(update_fields=["bot_active"])
    tokens.append(webchat.chat_token(conv))
print(json.dumps(tokens))
"""


def descendants(pid: int) -> list[int]:
    """The process and every living process below it (PostgreSQL's backends under its postmaster)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def cpu_by_role(roles: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds so far of each role's processes and everything below them (a backend that ended before
    the reading is counted in its parent's children's time only once the parent reaped it)."""
    seconds = {role: cpu_seconds([p for pid in pids for p in descendants(pid)]) for role, pids in roles.items()
               if role != "bench"}
    own = os.times()
    seconds["bench"] = own.user + own.system  # the load generator alone (its children are the servers)
    busy = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    seconds["machine"] = (sum(int(f) for f in busy) - int(busy[3]) - int(busy[4])) / os.sysconf("SC_CLK_TCK")
    return seconds


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes and their children so far (clock ticks → seconds)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    for entry in Path("/proc").iterdir():  # the web processes' spawned children (uvicorn)
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) in pids:
                total += int(fields[11]) + int(fields[12])
    return total / tick


async def run(args, ports: list[int], tokens: list[str], server_pids: list[int], pg,
              roles: dict[str, list[int]]) -> dict:
    sent: dict[int, float] = {}
    stored: dict[int, float] = {}
    got: dict[tuple[int, int], float] = {}
    duplicates = 0
    resets: list[tuple[int, str, int, int, float]] = []  # (agent, stream, last seq before, reset seq, when)
    stop = asyncio.Event()

    async def agent(i: int):
        nonlocal duplicates
        base = f"127.0.0.1:{ports[i % len(ports)]}"
        async with logins, httpx.AsyncClient(base_url=f"http://{base}", timeout=120) as client:
            await client.get("/accounts/login/")  # a few at a time: each login hashes a password at full cost
            r = await client.post("/accounts/login/", data={"username": f"agent{i}", "password": "pass-12345",
                                                            "csrfmiddlewaretoken": client.cookies["csrftoken"]})
            assert r.status_code == 302, r.text[:200]
            cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        async with websockets.connect(f"ws://{base}/ws/desk/", additional_headers={
                "Cookie": cookie, "Origin": f"http://{base}"}, max_queue=None) as ws:
            seen: set[int] = set()
            last = 0
            connected.append(i)
            while not stop.is_set():
                try:
                    raw = await asyncio.wait_for(ws.recv(), timeout=0.5)
                except TimeoutError:
                    continue
                frame = json.loads(raw)
                if frame.get("type") == "hello":
                    last = frame["seq"]
                if frame.get("type") == "reset":  # the page would reload its state here
                    resets.append((i, frame["stream"], last, frame["seq"], time.monotonic()))
                    last = frame["seq"]
                if frame.get("type") != "event":
                    continue
                if frame["seq"] in seen:
                    duplicates += 1
                seen.add(frame["seq"])
                last = max(last, frame["seq"])
                preview = frame["data"].get("preview", "") if frame["kind"] == "message" else ""
                if preview.startswith("surge-"):
                    got.setdefault((int(preview.split("-")[1]), i), time.monotonic())

    connected: list[int] = []
    logins = asyncio.Semaphore(4)
    agents = [asyncio.create_task(agent(i)) for i in range(args.agents)]
    while len(connected) < args.agents:
        await asyncio.sleep(0.2)
        for task in agents:
            if task.done() and task.exception():
                raise task.exception()

    clients = []
    for n, token in enumerate(tokens):
        c = httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports[n % len(ports)]}", timeout=60)
        await c.get(f"/inbox/chat/{token}/")
        clients.append(c)
    errors = 0
    statuses: dict[int, int] = {}
    refused: set[int] = set()  # answered, but not stored (not 200): not expected at the agents

    async def send(k: int):
        nonlocal errors
        n = k % len(tokens)
        client = clients[n]
        sent[k] = time.monotonic()
        try:
            r = await client.post(f"/inbox/chat/{tokens[n]}/send/", data={"body": f"surge-{k}-请问什么时候发货",
                                                                          "client_id": f"s{k}"},
                                  headers={"X-CSRFToken": client.cookies["csrftoken"]})
        except httpx.HTTPError:  # the server did not answer within the client's timeout: counted, not fatal
            errors += 1
            return
        stored[k] = time.monotonic()
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        if r.status_code != 200:
            errors += 1
            refused.add(k)

    peak_connections = 0

    async def connections():
        nonlocal peak_connections
        while not stop.is_set():
            rows = await asyncio.to_thread(pg.query, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = "
                                                     "'client backend'")
            peak_connections = max(peak_connections, rows[0][0])
            await asyncio.sleep(1)

    sampler = asyncio.create_task(connections())
    cpu_before = cpu_seconds(server_pids)
    roles_before = cpu_by_role(roles)
    started = time.monotonic()
    pending = []
    try:
        for k in range(args.messages):
            delay = started + k * args.seconds / args.messages - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            pending.append(asyncio.create_task(send(k)))
        await asyncio.gather(*pending)
        send_done = time.monotonic()
        deadline = send_done + 60
        while time.monotonic() < deadline and len(got) < args.messages * args.agents:
            await asyncio.sleep(0.2)
        elapsed = time.monotonic() - started
        cpu = cpu_seconds(server_pids) - cpu_before
        roles_after = cpu_by_role(roles)
    finally:
        stop.set()
        await asyncio.gather(*agents, sampler, return_exceptions=True)
    for c in clients:
        await c.aclose()
    # What a reset made the page reload: the surge messages among the events it skipped, read back from the table
    reloaded: dict[tuple[int, int], float] = {}
    for i, stream, before, after, when in resets:
        rows = pg.query("SELECT data->>'preview' FROM live_liveevent WHERE stream = %s AND seq > %s AND seq <= %s "
                        "AND kind = 'message'", (stream, before, after))
        for (preview,) in rows:
            if preview and preview.startswith("surge-"):
                k = int(preview.split("-")[1])
                if (k, i) not in got:
                    reloaded.setdefault((k, i), when)
    latencies = [(t - sent[k]) * 1000 for (k, _agent), t in got.items()] or [float("nan")]
    posts = [(stored[k] - sent[k]) * 1000 for k in stored] or [float("nan")]
    accepted = {k for k in stored if k not in refused}
    delivered = sum(1 for (k, _agent) in got if k in accepted)
    by_reset = sum(1 for (k, _agent) in reloaded if k in accepted)
    within_1s = sum(1 for (k, _agent), t in got.items() if k in accepted and t - sent[k] <= 1.0)
    expected = len(accepted) * args.agents  # messages the server accepted (a timeout or an error status is an error)
    return {"messages": args.messages, "send_errors": errors, "deliveries": delivered,
            "expected": expected, "lost": expected - delivered - by_reset, "within_1s": within_1s,
            "resets": len(resets), "reset_sockets": len({r[0] for r in resets}), "by_reset": by_reset,
            "duplicated": duplicates, "p50": percentile(latencies, 50), "p99": percentile(latencies, 99),
            "max": max(latencies), "statuses": statuses, "post_p50": percentile(posts, 50), "post_p99": percentile(posts, 99), "elapsed": elapsed, "cpu": cpu,
            "peak_connections": peak_connections,
            "roles": {role: roles_after[role] - roles_before[role] for role in roles_after},
            "max_connections": pg.query("SHOW max_connections")[0][0]}


def _layer_drops(path: Path) -> int:
    """Pushes channels-redis dropped (its INFO line "N of M channels over capacity in group …", summed)."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return 0
    return sum(int(line.split(" of ", 1)[0].rsplit(" ", 1)[-1]) for line in lines if "channels over capacity" in line)


def _server_errors(path: Path) -> list[str]:
    """The web processes' distinct errors (the last line of each traceback, the database-unavailable warnings),
    most frequent first."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    counts: dict[str, int] = {}
    for n, line in enumerate(lines):
        if "database unavailable during" in line:  # core.middleware's 503: a warning, no traceback
            key = "503 database unavailable: " + line.rsplit(": ", 1)[-1][:150]
            counts[key] = counts.get(key, 0) + 1
        if line.startswith("Traceback"):
            end = next((m for m in range(n + 1, len(lines)) if lines[m] and not lines[m].startswith(" ")), None)
            if end is not None:
                counts[lines[end][:200]] = counts.get(lines[end][:200], 0) + 1
    return [f"{k} ×{v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])[:5]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--web", type=int, default=2)
    parser.add_argument("--orders", type=int, default=0, help="order lines to import before the surge (100000)")
    parser.add_argument("--capacity", type=int, default=None,
                        help="SHOUHOU_LIVE_CHANNEL_CAPACITY of the servers (default: the setting's default)")
    parser.add_argument("--threads", type=int, default=None,
                        help="SHOUHOU_WEB_THREADS of each web process (default: the setting's default)")
    args = parser.parse_args()
    load_start = os.getloadavg()

    root = Path(tempfile.mkdtemp(prefix="shouhou-surge-"))
    pg = PrivatePostgres().init()
    redis_port = free_port()
    procs = [subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",  # noqa: S607
                               "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOUHOU_")}
    env.update({"SHOUHOU_DATABASE_URL": pg.url, "SHOUHOU_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
                "SHOUHOU_DATA_DIR": str(root), "SHOUHOU_WORKERS": "1", "SHOUHOU_DB_CONN_MAX_AGE": "60",
                "DJANGO_SETTINGS_MODULE": "shouhou.config.settings", "PYTHONPATH": str(REPO),
                "SHOUHOU_LOG_LEVEL": "INFO"})  # channels-redis says at INFO when it drops a push (over capacity)
    if args.threads is not None:
        env["SHOUHOU_WEB_THREADS"] = str(args.threads)
    if os.environ.get("SHOUHOU_LIVE_LAYER"):
        env["SHOUHOU_LIVE_LAYER"] = os.environ["SHOUHOU_LIVE_LAYER"]
    if args.capacity is not None:
        env["SHOUHOU_LIVE_CHANNEL_CAPACITY"] = str(args.capacity)

    def shouhou(*a):
        return subprocess.run([sys.executable, "-m", "shouhou", *a], cwd=REPO, env=env, check=True,  # noqa: S603
                              capture_output=True, text=True, timeout=1800).stdout

    try:
        shouhou("migrate", "-v", "0")
        tokens = json.loads(shouhou("shell", "-c", SEED.format(agents=args.agents, customers=args.customers))
                            .strip().splitlines()[-1])
        if args.orders:
            from bench.import_orders import generate

            export = root / "orders.csv"
            generate(export, args.orders)
            started = time.monotonic()
            shouhou("import_orders", str(export), "--shop", "xiaolu", "--system")
            ingest = time.monotonic() - started
            print(f"ingest: {args.orders:,} order lines imported in {ingest:.1f} s = {args.orders / ingest:,.0f} rows/s "
                  f"(order-placed messages included)", flush=True)
        ports = [free_port() for _ in range(args.web)]
        web_env = dict(env)
        if os.environ.get("SHOUHOU_DB_POOL"):
            web_env["SHOUHOU_DB_POOL"] = os.environ["SHOUHOU_DB_POOL"]
        server_log = open(root / "servers.log", "wb")  # noqa: SIM115 - closed with the processes
        servers = [subprocess.Popen([sys.executable, "-m", "shouhou", "serve", "--no-worker", "--no-migrate",  # noqa: S603
                                     "--processes", "1", "--port", str(p)], cwd=REPO, env=web_env,
                                    stdout=server_log, stderr=server_log) for p in ports]
        worker = subprocess.Popen([sys.executable, "-m", "shouhou", "worker"], cwd=REPO, env=env,  # noqa: S603
                                  stdout=server_log, stderr=server_log)
        procs += [*servers, worker]
        for p in ports:
            for _ in range(240):
                try:
                    if httpx.get(f"http://127.0.0.1:{p}/accounts/login/", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.5)
        postmaster = int((pg.data / "postmaster.pid").read_text().split()[0])
        roles = {"web": [s.pid for s in servers], "worker": [worker.pid], "postgres": [postmaster],
                 "redis": [procs[0].pid], "bench": []}
        r = asyncio.run(run(args, ports, tokens, [s.pid for s in servers] + [worker.pid], pg, roles))
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        pg.stop()
        errors_seen = _server_errors(root / "servers.log")
        drops = _layer_drops(root / "servers.log")
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(pg.root, ignore_errors=True)

    for line in errors_seen:
        print(f"  server error       {line}")
    cores = len(os.sched_getaffinity(0))
    print(f"surge: {args.messages} customer messages over {args.seconds:.0f} s to {args.agents} agents, "
          f"{args.web} web processes + 1 worker, PostgreSQL + Redis, {cores} cores")
    print(f"  send errors        {r['send_errors']}   (HTTP statuses of the answered sends: {r['statuses']})")
    print(f"  deliveries         {r['deliveries']:,} of {r['expected']:,} (stored message × agent)")
    print(f"  resets             {r['resets']:,} on {r['reset_sockets']} of {args.agents} sockets; "
          f"{r['by_reset']:,} deliveries reached only through them (the page reloads its state)")
    print(f"  layer drops        {drops:,} pushes dropped by the channel layer (over capacity; read from the table)")
    print(f"  lost               {r['lost']:,}   (reached the page by no path: push, catch-up or reset)")
    print(f"  within 1 s         {r['within_1s']:,} ({100 * r['within_1s'] / max(1, r['expected']):.1f} %)")
    print(f"  duplicated         {r['duplicated']:,}")
    print(f"  latency p50        {r['p50']:.0f} ms   (customer's send → agent's socket)")
    print(f"  latency p99        {r['p99']:.0f} ms")
    print(f"  latency max        {r['max']:.0f} ms")
    print(f"  send request p50   {r['post_p50']:.0f} ms, p99 {r['post_p99']:.0f} ms   (the customer's POST, stored)")
    print(f"  server CPU         {r['cpu']:.1f} s in {r['elapsed']:.0f} s = {100 * r['cpu'] / r['elapsed']:.0f} % of one core")
    print("  CPU by role        " + ", ".join(f"{role} {seconds:.1f} s" for role, seconds in r["roles"].items())
          + f"   (per accepted message: web {1000 * r['roles']['web'] / max(1, r['expected'] // args.agents):.1f} ms)")
    print(f"  db connections     {r['peak_connections']} at most at once (max_connections {r['max_connections']})")
    rate = args.messages / args.seconds
    if args.messages and abs(rate - 20_000 / 600) > 0.5:
        print(f"  time               {rate:.1f} messages/s (issue 13's surge: 33.3/s, 20,000 in 10 minutes)")
    load_end = os.getloadavg()
    print(f"  load average       {load_start[0]:.1f} at start, {load_end[0]:.1f} at end (1 min; other sessions share the cores)")


if __name__ == "__main__":
    main()
