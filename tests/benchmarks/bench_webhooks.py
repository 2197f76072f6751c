"""Webhook benchmarks; prints one JSON object. Run: python tests/benchmarks/bench_webhooks.py

- ack: the receiver on the app's loop (qasync, offscreen Qt) in its own process, with the
  real store behind it; a client in another process sends realistic GigRadar
  OPPORTUNITY.CREATE deliveries (the sandbox's own job objects) at a fixed rate over
  keep-alive connections, open loop: each latency runs from the moment the delivery was
  due to its 200, so a slow answer also delays the ones queued behind it;
- visible: the real window (its inbox already holding --rows opportunities) receives a
  burst of --burst deliveries as fast as a client with --burst-connections connections
  (default 32) can send them; for
  each, the time from the receiver having read and authenticated it to its row being in
  the filtered table, and the longest stall of the UI loop meanwhile.

Figures, not assertions (shared, noisy machines). Budgets (DESIGN.md): ack p99 < 5 ms at
500 deliveries/s; received → visible p99 < 20 ms during a 1,000-delivery burst; loop
stall < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

USER, PASSWORD = "bench", "bench-password"
AUTH = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()

# Shared by both drivers: a profile with one GigRadar account and its webhook credentials.
SETUP = r"""
import keyring
from tests.helpers.memkeyring import MemoryKeyring
keyring.set_keyring(MemoryKeyring())
from app.domain import Account, Platform
from app.ingest.webhooks import HookCredentials
from app.services.secrets import SecretStore

def prepare(accounts):
    # The account once per profile; its credentials in this process's (memory) keyring.
    if accounts.get("gr") is None:
        accounts.add(Account(name="gr", platform=Platform.GIGRADAR, base_url="http://127.0.0.1:9"))
    SecretStore().set(
        "webhook:gr", HookCredentials(username="bench", password="bench-password").to_json()
    )
"""

ACK_SERVER = (
    r"""
import asyncio, json, os, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
sys.path.insert(0, sys.argv[2])
import qasync
from pathlib import Path
from PySide6.QtWidgets import QApplication
"""
    + SETUP
    + r"""
from app.ingest.realtime import Realtime, RealtimeConfig
from app.services.container import open_services

qapp = QApplication([])

async def main():
    services = open_services(Path(sys.argv[1]))
    prepare(services.store.accounts)
    realtime = Realtime.of(services, config=RealtimeConfig(enabled=True))
    handled = []  # server side: from the handler's start to its answer
    handle = realtime.receiver._handle
    async def timed(request):
        t = time.perf_counter()
        response = await handle(request)
        handled.append(time.perf_counter() - t)
        return response
    realtime.receiver._handle = timed
    await realtime.start()
    print(json.dumps({"port": realtime.receiver.port}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    await realtime.receiver.wait_idle()
    stored = services.store.opportunities.count()
    await realtime.stop()
    await services.aclose()
    handled.sort()
    print(json.dumps({"stored": stored, "handler_ms_p50": handled[len(handled) // 2] * 1000,
                      "handler_ms_p99": handled[int(len(handled) * 0.99)] * 1000}), flush=True)

with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
    runner.run(main())
"""
)


def bodies(n: int, prefix: str) -> list[bytes]:
    """Realistic GigRadar OPPORTUNITY.CREATE envelopes with ids unique to `prefix`."""
    from app.sandbox import Sandbox, SandboxConfig

    world = Sandbox(SandboxConfig(seed=3, arrivals=False, initial_opportunities=0))
    out = []
    for i in range(n):
        wire = world.add_opportunity()
        wire["id"] = f"{prefix}{i:020x}"[-24:]
        out.append(json.dumps({"type": "GIGRADAR.OPPORTUNITY.CREATE", "data": wire}).encode())
    return out


def request(port: int, body: bytes) -> bytes:
    head = (
        f"POST /hooks/gigradar/gr HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: {AUTH}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def send(self, data: bytes) -> int:
        self.writer.write(data)
        status_line = await self.reader.readline()
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return int(status_line.split()[1])


async def send_paced(
    port: int, payloads: list[bytes], rate: float, connections: int
) -> tuple[list[float], list[int]]:
    """Open loop at `rate`/s; latency from when each was due to its answer."""
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(Connection(*await asyncio.open_connection("127.0.0.1", port)))
    latencies: list[float] = []
    statuses: list[int] = []

    async def one(due: float, data: bytes) -> None:
        conn = await idle.get()
        statuses.append(await conn.send(data))
        latencies.append(time.perf_counter() - due)
        idle.put_nowait(conn)

    # One pacer hands each delivery out when it is due (creating thousands of sleeping
    # tasks up front would itself make the first ones late).
    start = time.perf_counter() + 0.05
    running: list[asyncio.Task[None]] = []
    for i, payload in enumerate(payloads):
        due = start + i / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        running.append(asyncio.ensure_future(one(due, payload)))
    await asyncio.gather(*running)
    while not idle.empty():
        idle.get_nowait().writer.close()
    return latencies, statuses


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def ack(rate: float, seconds: float, connections: int) -> dict[str, float]:
    n = int(rate * seconds)
    payloads_raw = bodies(n, "ack")
    with tempfile.TemporaryDirectory(prefix="biddesk-bench-") as tmp:
        server = subprocess.Popen(
            [sys.executable, "-c", ACK_SERVER, str(Path(tmp) / "profile"), str(ROOT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        )
        assert server.stdout is not None and server.stdin is not None
        port = json.loads(server.stdout.readline())["port"]
        payloads = [request(port, b) for b in payloads_raw]
        began = time.perf_counter()
        latencies, statuses = asyncio.run(send_paced(port, payloads, rate, connections))
        elapsed = time.perf_counter() - began
        server.stdin.write("\n")
        server.stdin.flush()
        final = json.loads(server.stdout.readline())
        stored = final["stored"]
        server.wait(timeout=30)
    return {
        "deliveries": n,
        "rate_per_s_target": rate,
        "rate_per_s_achieved": round(n / elapsed, 1),
        "non_200": sum(s != 200 for s in statuses),
        "stored": stored,
        "ack_ms_p50": round(statistics.median(latencies) * 1000, 3),
        "ack_ms_p99": round(pct(latencies, 0.99) * 1000, 3),
        "ack_ms_max": round(max(latencies) * 1000, 3),
        "handler_ms_p50": round(final["handler_ms_p50"], 3),
        "handler_ms_p99": round(final["handler_ms_p99"], 3),
    }


VISIBLE_DRIVER = (
    r"""
import asyncio, json, os, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
sys.path.insert(0, sys.argv[2])
import qasync
from pathlib import Path
from PySide6.QtWidgets import QApplication
"""
    + SETUP
    + r"""
from app.store import Store
from app.ui.app import App, GuiOptions
from app.ui.models.opportunities import OpportunityTableModel
from tests.benchmarks.bench_webhooks import bodies, request

profile, n = Path(sys.argv[1]), int(sys.argv[3])
store = Store.open(profile)
prepare(store.accounts)
store.settings.set("webhooks", {"enabled": True, "port": 0, "tunnel": "none"})
store.close()
qapp = QApplication([])
received, visible = {}, {}
original = OpportunityTableModel.add_or_update

def timed(self, opportunities):
    original(self, opportunities)
    now = time.perf_counter()
    for opp in opportunities:
        if opp.key not in visible and self.row_of(opp.key) is not None:
            visible[opp.key] = now

OpportunityTableModel.add_or_update = timed

async def main():
    app = App(qapp, GuiOptions(profile=profile))
    await app.start()
    rx = app.realtime.receiver
    def on_delivery(delivery, _previous=rx._on_delivery):
        received["gigradar:" + delivery.data["id"]] = delivery.received_at
        if _previous is not None:
            _previous(delivery)
    rx._on_delivery = on_delivery
    await asyncio.sleep(2.0)  # let the inbox load and start-up settle
    payloads = [request(rx.port, b) for b in bodies(n, "vis" + sys.argv[4])]
    gaps, stop = [], asyncio.Event()
    async def heartbeat():
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now
    beat = asyncio.ensure_future(heartbeat())
    # The client is another process, as a platform is: the app's process only serves
    # and shows (a sender thread here would take the GIL from the UI loop).
    import pickle, tempfile
    with tempfile.NamedTemporaryFile(suffix=".pickle", delete=False) as f:
        pickle.dump(payloads, f)
    t0 = time.perf_counter()
    sender = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
        "from tests.benchmarks.bench_webhooks import send_burst_file; send_burst_file()",
        sys.argv[2], str(rx.port), f.name, sys.argv[5], sys.argv[6],
    )
    await sender.wait()
    sent = time.perf_counter() - t0
    os.unlink(f.name)
    while len(visible) < n and time.perf_counter() - t0 < 30:
        await asyncio.sleep(0.005)
    stop.set()
    await beat
    rows = app.window.model.total_count()
    await app.stop()
    lat = sorted(visible[k] - received[k] for k in visible if k in received)
    print(json.dumps({
        "rows_in_inbox": rows, "visible": len(visible), "sent_s": sent,
        "p50_ms": lat[len(lat) // 2] * 1000,
        "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000,
        "max_ms": lat[-1] * 1000, "longest_stall_ms": max(gaps) * 1000,
    }))

with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
    runner.run(main())
"""
)


def send_burst(port: int, payloads: list[bytes], connections: int) -> None:
    """As fast as `connections` keep-alive connections allow (runs its own loop)."""

    async def run() -> None:
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        for p in payloads:
            queue.put_nowait(p)

        async def worker() -> None:
            conn = Connection(*await asyncio.open_connection("127.0.0.1", port))
            while not queue.empty():
                await conn.send(queue.get_nowait())
            conn.writer.close()

        await asyncio.gather(*(worker() for _ in range(connections)))

    asyncio.run(run())


def send_burst_file() -> None:
    """`python -c ... ROOT PORT FILE CONNECTIONS`: the burst from pickled requests."""
    import pickle

    port, path, connections = int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    rate = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
    with open(path, "rb") as f:
        payloads = pickle.load(f)
    if rate > 0:
        asyncio.run(send_paced(port, payloads, rate, connections))
    else:
        send_burst(port, payloads, connections)


def visible(
    rows: int, burst: int, runs: int, connections: int, rate: float = 0.0
) -> dict[str, float]:
    from tests.benchmarks.bench_ui import build_profile

    results = []
    with tempfile.TemporaryDirectory(prefix="biddesk-bench-") as tmp:
        profile = Path(tmp) / "profile"
        build_profile(profile, rows)
        for run in range(runs):
            out = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    VISIBLE_DRIVER,
                    str(profile),
                    str(ROOT),
                    str(burst),
                    str(run),
                    str(connections),
                    str(rate),
                ],
                capture_output=True,
                text=True,
                timeout=300,
                env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
                check=True,
            )
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))

    def med(name: str) -> float:
        return round(statistics.median(r[name] for r in results), 2)

    return {
        "rows_in_inbox": rows,
        "burst": burst,
        "sender_connections": connections,
        "sender_rate_per_s": rate or "as fast as answered",
        "runs": runs,
        "all_visible": all(r["visible"] == burst for r in results),
        "burst_sent_in_s_median": med("sent_s"),
        "received_to_visible_ms_p50_median": med("p50_ms"),
        "received_to_visible_ms_p99_median": med("p99_ms"),
        "received_to_visible_ms_p99_worst": round(max(r["p99_ms"] for r in results), 2),
        "received_to_visible_ms_max": round(max(r["max_ms"] for r in results), 2),
        "longest_loop_stall_ms_median": med("longest_stall_ms"),
        "longest_loop_stall_ms_runs": [round(r["longest_stall_ms"], 1) for r in results],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16, help="for the ack figure")
    parser.add_argument(
        "--burst-connections", type=int, default=32, help="concurrent senders of the burst"
    )
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--burst", type=int, default=1_000)
    parser.add_argument(
        "--burst-rate", type=float, default=0.0, help="deliveries/s (0: as fast as answered)"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-ack", action="store_true")
    parser.add_argument("--skip-visible", action="store_true")
    args = parser.parse_args()
    report: dict[str, object] = {}
    if not args.skip_ack:
        report["ack"] = ack(args.rate, args.seconds, args.connections)
    if not args.skip_visible:
        report["visible"] = visible(
            args.rows, args.burst, args.runs, args.burst_connections, args.burst_rate
        )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
