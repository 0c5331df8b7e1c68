"""Load generator for scripts/bench/chat (run it through that script; it starts the server).

N WebSocket clients (ws_clients.c: C, epoll, P threads, at low priority, timing each frame by the
kernel's receive timestamp) all subscribe to one staff channel; then a sender
(asyncio + `websockets`) posts M messages to it, each text carrying its send time (time.time_ns(): every
process here shares the machine's clock). Each client records receive time − send time. Prints how many
clients the node held, its RSS, deliveries received against expected, and the fan-out latency
percentiles. Protocol: docs/chat-protocol.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import subprocess
import sys
import time
import urllib.error
import urllib.request

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

PASSWORD = "demo2026"
RECEIVER = "coordinator@consumerdesk.test"  # to-volzhsky: the channel's creator and every receiving client
SENDER = "operator@consumerdesk.test"  # adm-volgograd: writes (subscribed too; its copies are not counted)
TARGET_CLIENTS = 5000
TARGET_P99_MS = 50.0
SEND_CAPACITY = 10  # the server lets one connection send 10 at once, then one a second

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1 only, never a proxy


def http(method: str, url: str, body: dict | None = None, token: str | None = None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with _OPENER.open(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", errors="replace")


def token_for(base: str, login: str) -> tuple[str, dict]:
    status, body = http("POST", f"{base}/api/v1/auth/token", {"login": login, "password": PASSWORD})
    if status != 200:
        sys.exit(f"token for {login}: HTTP {status} {body}")
    return body["token"], body["user"]


def staff_organisation(user: dict) -> str:
    for grant in user["grants"]:
        if grant.get("organisationId") and grant["role"] != "citizen":
            return grant["organisationId"]
    sys.exit(f"{user.get('email')} has no organisation: {user['grants']}")


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def established_on(port: int) -> int:
    """TCP connections in state ESTABLISHED whose local port is `port` (the server's side of each client)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        count += 1
        except FileNotFoundError:
            pass
    return count


def raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def ws_connect(url: str, token: str, timeout: float):
    return connect(
        url,
        additional_headers={"Authorization": f"Bearer {token}"},
        compression=None,  # the server does not negotiate permessage-deflate anyway
        proxy=None,
        open_timeout=timeout,
        ping_interval=None,  # the server pings every 30 s; the library answers
        close_timeout=2,
        max_size=1 << 20,
    )


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest rank."""
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))]


# --- the sender -----------------------------------------------------------------------------------------


async def send_all(cfg: dict) -> dict:
    """M messages, one every `interval` seconds, round-robin over enough connections that none is
    rate-limited (each sends at most SEND_CAPACITY). Returns acks and errors (the messages the senders
    receive back are not counted)."""
    messages, interval = cfg["messages"], cfg["interval"]
    count = max(1, math.ceil(messages / SEND_CAPACITY))
    senders = [await ws_connect(cfg["url"], cfg["sender_token"], cfg["timeout"]) for _ in range(count)]
    # Subscribed like a person writing from the channel's page (else each send re-checks access).
    for ws in senders:
        await ws.send(json.dumps({"type": "subscribe", "topic": cfg["topic"], "after": 0}))
        raw = await asyncio.wait_for(ws.recv(), cfg["timeout"])
        if json.loads(raw).get("type") != "subscribed":
            sys.exit(f"sender: subscribe answered {raw[:200]}")
    acks: dict[str, float] = {}
    sent_at: dict[str, float] = {}
    errors: list[str] = []
    all_acked = asyncio.Event()

    async def read(ws) -> None:
        try:
            async for raw in ws:
                now = time.time()
                frame = json.loads(raw)
                if frame.get("type") == "ack":
                    acks[frame.get("ref")] = now
                    if len(acks) == messages:
                        all_acked.set()
                elif frame.get("type") == "error":
                    errors.append(raw[:200])
        except ConnectionClosed:
            pass

    readers = [asyncio.create_task(read(ws)) for ws in senders]
    start = time.monotonic()
    for i in range(messages):
        delay = start + i * interval - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        ref = str(i)
        sent_at[ref] = time.time()
        text = f"bench {i} {time.time_ns()}"
        await senders[i % count].send(json.dumps({"type": "send", "topic": cfg["topic"], "text": text, "ref": ref}))
    last_sent = time.time()
    try:
        await asyncio.wait_for(all_acked.wait(), cfg["grace"])
    except asyncio.TimeoutError:
        pass
    for ws in senders:
        await ws.close()
    await asyncio.gather(*readers, return_exceptions=True)
    ack_ms = sorted((acks[r] - sent_at[r]) * 1000 for r in acks if r in sent_at)
    return {"connections": count, "acks": len(acks), "errors": errors, "ack_ms": ack_ms, "last_sent": last_sent}


# --- main ---------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--server-pid", type=int, required=True)
    parser.add_argument("-n", "--clients", type=int, default=TARGET_CLIENTS)
    parser.add_argument("-m", "--messages", type=int, default=30)
    parser.add_argument("-p", "--threads", type=int, default=2, help="receiving threads in ws_clients")
    parser.add_argument("--clients-binary", required=True, help="ws_clients.c, compiled")
    parser.add_argument("--clients-nice", type=int, default=19, help="niceness of the receiving clients")
    parser.add_argument("-i", "--interval-ms", type=float, default=500, help="between two messages sent")
    parser.add_argument("--concurrency", type=int, default=64, help="handshakes in flight per process")
    parser.add_argument("--timeout", type=float, default=60, help="seconds for one handshake or subscription")
    parser.add_argument("--grace", type=float, default=15, help="seconds after the last send to wait for acks and deliveries")
    parser.add_argument("--command", default="", help="the command line, printed with the results")
    parser.add_argument("--build", default="?")
    parser.add_argument("--database", default="?")
    args = parser.parse_args()
    if args.clients < 1 or args.messages < 1 or args.threads < 1:
        sys.exit("-n, -m and -p must be at least 1")
    nofile = raise_nofile()
    base = f"http://127.0.0.1:{args.port}"

    receiver_token, receiver = token_for(base, RECEIVER)
    sender_token, sender = token_for(base, SENDER)
    orgs = sorted({staff_organisation(receiver), staff_organisation(sender)})
    status, body = http(
        "POST",
        f"{base}/api/v1/messages/channels",
        {"title": f"bench {time.strftime('%H:%M:%S')}", "organisations": orgs, "includesSubordinates": False},
        receiver_token,
    )
    if status != 201:
        sys.exit(f"POST /api/v1/messages/channels: HTTP {status} {body}")
    topic = body["id"]
    cfg = {
        "url": f"ws://127.0.0.1:{args.port}/api/v1/ws",
        "token": receiver_token,
        "sender_token": sender_token,
        "topic": topic,
        "messages": args.messages,
        "interval": args.interval_ms / 1000,
        "concurrency": args.concurrency,
        "timeout": args.timeout,
        "grace": args.grace,
    }

    print(f"command:  {args.command or ' '.join(sys.argv)}")
    print(f"build: {args.build}, database: {args.database}, server pid {args.server_pid}, open files limit {nofile}")
    rss_idle = rss_mib(args.server_pid)

    # The receivers: ws_clients.c on a few epoll threads (a Python client spends longer per frame than
    # the server does, so it would time itself rather than the node).
    env = {**os.environ, "WS_TOKEN": receiver_token, "WS_TOPIC": topic}
    # At low priority: on one machine with the node, the clients' reading should not take the cores the
    # node is writing on (remote clients would cost it nothing); the kernel's receive timestamps keep
    # their late reading out of the figures.
    clients = subprocess.Popen(
        ["nice", "-n", str(args.clients_nice), args.clients_binary, str(args.port), str(args.clients), str(args.messages), str(args.threads),
         str(args.concurrency), str(args.timeout)],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )

    def answer(event: str) -> list[dict]:
        line = clients.stdout.readline()
        if not line:
            sys.exit(f"ws_clients ended without '{event}' (exit status {clients.wait()})")
        message = json.loads(line)
        if message.get("event") != event:
            sys.exit(f"ws_clients said {line[:200]!r}, expected '{event}'")
        return message["workers"]

    t0 = time.monotonic()
    print(f"opening {args.clients} clients on {args.threads} threads…", flush=True)
    ready = answer("ready")  # ws_clients bounds every handshake by --timeout
    open_seconds = time.monotonic() - t0
    subscribed = sum(r["subscribed"] for r in ready)
    failed = sum(r["failed"] for r in ready)
    time.sleep(0.5)  # let the last handshakes settle before counting
    held = established_on(args.port)
    rss_loaded = rss_mib(args.server_pid)

    verdict = "OK" if subscribed == args.clients else "NOT ALL"
    print(f"clients:  {subscribed}/{args.clients} subscribed, {failed} failed, in {open_seconds:.1f} s "
          f"({subscribed / max(open_seconds, 1e-9):.0f}/s) — {verdict}   [target {TARGET_CLIENTS:,} clients]")
    for r in ready:
        for sample in r["failure_samples"]:
            print(f"          thread {r['worker']} failure: {sample}")
    print(f"server:   {held} established TCP connections on :{args.port}; "
          f"RSS {rss_idle:.1f} MiB before, {rss_loaded:.1f} MiB with the clients "
          f"(≈ {(rss_loaded - rss_idle) * 1024 / max(subscribed, 1):.1f} KiB per client)")

    sending = asyncio.run(send_all(cfg))
    deadline = sending["last_sent"] + args.grace  # the same bound as for the acks
    clients.stdin.write(f"sent {deadline:.3f}\n")
    clients.stdin.flush()
    done = answer("done")
    clients.wait(timeout=30)
    rss_after = rss_mib(args.server_pid)

    latencies = sorted(x for d in done for x in d["latencies"])
    totals = {k: sum(d["counters"][k] for d in done) for k in done[0]["counters"]}
    reached = [sum(d["reached"][i] for d in done) for i in range(args.messages)]
    # The time until the last client had it, over the messages that every client got.
    worst = sorted(max(d["worst_per_message"][i] for d in done) for i in range(args.messages) if reached[i] == subscribed)
    expected = subscribed * args.messages
    print(f"messages: {args.messages} sent by {sending['connections']} connection(s), one every {args.interval_ms:g} ms; "
          f"acks {sending['acks']}/{args.messages} (p50 {percentile(sending['ack_ms'], 0.5):.1f} ms), "
          f"sender errors {len(sending['errors'])}")
    for sample in sending["errors"][:3]:
        print(f"          sender error: {sample}")
    print(f"deliveries: {totals['received']}/{expected} ({100 * totals['received'] / max(expected, 1):.2f} %) "
          f"within {args.grace:g} s of the last send; "
          f"duplicates {totals['duplicates']}, out of order {totals['out_of_order']}, error frames {totals['errors']}, "
          f"closed by the server {totals['closed']}")
    stamped = totals.get("kernel_stamped", 0)
    print(f"timing:   {stamped}/{totals['received']} deliveries timed by the kernel's receive timestamp "
          f"(SO_TIMESTAMPNS), the rest when read; clients at nice {args.clients_nice}")
    for d in done:
        for sample in d["error_samples"]:
            print(f"          thread {d['worker']} error frame: {sample}")
    p = {q: percentile(latencies, q) for q in (0.5, 0.9, 0.99)}
    ok = "OK" if p[0.99] <= TARGET_P99_MS else "OVER"
    print(f"fan-out latency ms: min {latencies[0] if latencies else float('nan'):.1f}  p50 {p[0.5]:.1f}  p90 {p[0.9]:.1f}  p99 {p[0.99]:.1f}  "
          f"max {latencies[-1] if latencies else float('nan'):.1f} — {ok}   [target p99 ≤ {TARGET_P99_MS:g} ms at {TARGET_CLIENTS:,} clients]")
    print(f"whole fan-out per message ms: p50 {percentile(worst, 0.5):.1f}  max {worst[-1] if worst else float('nan'):.1f} "
          f"(until the last of the {subscribed} clients had it; {len(worst)}/{args.messages} messages reached all, "
          f"{reached.count(0)} reached none)")
    per_message = [max(d["worst_per_message"][i] for d in done) for i in range(args.messages)]
    slowest = sorted(range(args.messages), key=lambda i: -per_message[i])[:3]
    print("slowest messages: " + ", ".join(f"#{i} {per_message[i]:.1f} ms" for i in slowest))
    lags = ", ".join(f"{d['worst_lag_ms']:.1f}" for d in done)
    print(f"load generator: longest pass over ready sockets per thread {lags} ms; "
          f"server RSS after sending {rss_after:.1f} MiB")
    if subscribed != args.clients or totals["received"] != expected or totals["duplicates"] or totals["out_of_order"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
