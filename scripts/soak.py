"""Soak: the server under a realistic mix for a long time, at half the rate it can take. Run it through
`scripts/soak` (see there), which finds the binary and drops the PostgreSQL schema afterwards.

1. A fresh database with demo data and N appeals (`consumerdesk demo-load`), an SMTP sink (a process of
   its own) for the mail the appeals cause, the server with RATE_LIMITS=off (one client drives it all),
   TRUST_FORWARDED_FOR=true (each anonymous chat comes from an address of its own in X-Forwarded-For, as
   behind the site's proxy: the chat's own limit of 5 starts per address stays on) and CHAT_HOURS=never
   (the bot answers every consultation, whatever the time of day).
2. Unless a rate is given, the maximum rate of the mix: closed loop, C clients back to back, a few
   seconds of warm-up, then `--measure` seconds counted. The soak runs at half of it.
3. The soak: open loop, arrivals scheduled as a Poisson process at the chosen rate (latency counts from
   the scheduled moment, so a slow answer cannot hide the requests queued behind it), a warm-up of one
   sample interval, then the duration. Every sample interval one line: requests, errors by kind, p50/p99
   per kind, the server's RSS, CPU, open files and threads, and the generator's own CPU and lag behind
   its schedule. At the end: totals per kind, every error, p99 over time, RSS at the start (after the
   warm-up) and the end, and the growth. Exit status 1 when a target is missed (an error, RSS growth of
   10 % or more, the server gone).

The mix (one arrival = one operation; `--mix` changes the weights):
  search      portal search page /search?q=… (Russian words and phrases), anonymous
  search-api  GET /api/v1/search?q=…
  desk        the workspace page /desk with typical filters (folders, overdue, channel, stage, sorting,
              page sizes, number and text search), as a coordinator, manager or executor signed in
              through the /login form (session cookie)
  card        an appeal's staff card /desk/appeals/<number>, as the coordinator or the manager
  submit      POST /api/v1/appeals as the citizen (bearer token), with an Idempotency-Key as an app sends
              it: a random topic of the classifier with its required answers, a territory, a company, a
              unique text, half of them with an e-mail
  staff-msg   a message in a staff channel over the WebSocket (/api/v1/ws, bearer token) from a pool of
              staff connections, five per channel, each subscribed (so every message fans out to four
              colleagues); time until the server's ack
  chat        an anonymous consultation: POST /api/v1/consultations/start with a first question
              (chat-start), the WebSocket opened and subscribed with the chat's key (chat-ws), two more
              questions after a pause to read (1–4 s; none while measuring), each timed until the bot's
              answer (chat-reply), then …/close (chat-close). Questions: the shipped FAQ's and free ones.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections import Counter, defaultdict

import requests
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

PASSWORD = "demo2026"
RSS_TARGET = 10.0  # per cent
OPERATIONS = ["search", "search-api", "desk", "card", "submit", "staff-msg", "chat"]
DEFAULT_MIX = {"search": 22, "search-api": 12, "desk": 20, "card": 16, "submit": 14, "staff-msg": 8, "chat": 8}
# What is timed: one row per request kind (a chat is four kinds).
KINDS = ["search", "search-api", "desk", "card", "submit", "staff-msg", "chat-start", "chat-ws", "chat-reply", "chat-close"]
SHORT = {"search": "search", "search-api": "s-api", "desk": "desk", "card": "card", "submit": "submit",
         "staff-msg": "staff", "chat-start": "c-start", "chat-ws": "c-ws", "chat-reply": "c-reply", "chat-close": "c-close"}

SEARCHES = [
    "возврат", "гарантия", "ремонт", "неустойка", "претензия", "кредит", "страховка", "перерасчёт",
    "отопление", "чек", "маркетплейс", "турагент", "химчистка", "вернуть телефон", "гарантийный ремонт",
    "задержка рейса", "навязали страховку при кредите", "как составить претензию продавцу",
    "возврат денег за товар", "некачественный ремонт обуви", "управляющая компания", "интернет-магазин",
    "платные медицинские услуги", "отмена тура", "коллекторы", "шиномонтаж", "возврат билета",
]
DESK_QUERIES = [
    "", "?folder=in_work", "?folder=done", "?folder=done&limit=100", "?folder=done&sort=desc&limit=50",
    "?folder=in_work&overdue=1", "?folder=answer_prepared", "?folder=postponed", "?folder=returned_within",
    "?folder=done&channel=hotline", "?folder=in_work&channel=portal", "?folder=done&stage=from_higher",
    "?folder=in_work&delegated=1", "?folder=new&sort=desc", "?folder=done&q=" + urllib.parse.quote("ремонт"),
    "?folder=in_work&q=" + urllib.parse.quote("возврат"),
]
COMPANIES = ["ООО «Ромашка»", "ИП Сидоров А. В.", "ООО «ТехноМир»", "АО «Волгоградэнерго»", "ООО «УК Жилсервис»",
             "ПАО «Банк Восток»", "ООО «Турмаркет»", "ООО «Автосалон Юг»", "ООО «Мобильный мир»", "ООО «Чистая линия»",
             "ООО «Вкусно и сытно»", "ООО «Клиника Здоровье»", "АО «Связьтелеком»", "ООО «Мебельград»"]
COMPLAINTS = [
    "Продавец отказался вернуть деньги за неисправный товар, ссылаясь на то, что гарантия не распространяется.",
    "Мастерская затянула ремонт телефона на два месяца и не отвечает на письменную претензию.",
    "Управляющая компания не делает перерасчёт платы за отопление, хотя батареи холодные с октября.",
    "При оформлении кредита мне навязали страховку, а теперь отказываются вернуть её стоимость.",
    "Интернет-магазин не доставил оплаченный заказ и перестал отвечать на звонки.",
    "Турагентство отменило тур за три дня до вылета и не возвращает предоплату.",
    "В кафе подали несвежее блюдо, после которого я отравился; администратор отказался принять жалобу.",
    "Химчистка испортила пальто и предлагает компенсацию в размере половины стоимости.",
    "Оператор связи списывает деньги за подписки, которые я не подключал.",
    "Клиника взяла деньги за анализы, которые положены бесплатно по полису ОМС.",
    "Автосалон навязал дополнительное оборудование и отказывается расторгнуть договор.",
    "Цена на кассе оказалась выше, чем на ценнике, кассир отказался продать по цене ценника.",
]
FREE_QUESTIONS = [
    "Продавец не принимает обратно сломанный пылесос, что делать?",
    "Сколько ждать ответа на претензию?",
    "Можно ли вернуть деньги за тур, если я заболел?",
    "Управляющая компания не отвечает на заявки, куда жаловаться?",
    "Как вернуть страховку по кредиту?",
    "Магазин не выдал чек, это законно?",
    "Через сколько дней можно требовать неустойку?",
    "Мне не вернули предоплату за банкет",
    "Как составить претензию продавцу?",
    "Что делать, если ремонт по гарантии длится больше 45 дней?",
]
NAMES = ["Анна", "Мария", "Елена", "Ольга", "Наталья", "Иван", "Сергей", "Алексей", "Дмитрий", "Андрей", "Татьяна", "Павел"]
STAFF_LINES = [
    "Коллеги, по обращению {n} нужен ответ до пятницы.",
    "Передаю обращение {n} в ваш отдел по компетенции, посмотрите, пожалуйста.",
    "Заявитель по {n} звонил ещё раз, просит ускорить.",
    "По {n} продавец представил документы, проверку можно завершать.",
    "Кто возьмёт выездную проверку по обращению {n}?",
    "Напоминаю: отчёт за месяц до 5-го числа.",
]


def percentile(values: list[float], q: float) -> float:
    """Nearest rank of sorted values (nan for none)."""
    if not values:
        return float("nan")
    return values[min(len(values) - 1, max(0, math.ceil(q * len(values)) - 1))]


def fmt_ms(value: float) -> str:
    if value != value:  # nan
        return "-"
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}"


# --- the server's process ---------------------------------------------------------------------------------


class Proc:
    """Figures of a process from /proc."""

    def __init__(self, pid: int):
        self.pid = pid
        self.ticks = os.sysconf("SC_CLK_TCK")

    def status(self, key: str) -> int:
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith(key + ":"):
                        return int(line.split()[1])
        except OSError:
            pass
        return -1

    def rss_mib(self) -> float:
        kib = self.status("VmRSS")
        return kib / 1024 if kib >= 0 else float("nan")

    def threads(self) -> int:
        return self.status("Threads")

    def fds(self) -> int:
        try:
            return len(os.listdir(f"/proc/{self.pid}/fd"))
        except OSError:
            return -1

    def cpu_seconds(self) -> float:
        try:
            with open(f"/proc/{self.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / self.ticks  # utime, stime


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent on anything but idling (and waiting for the disk), since boot."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


class Server:
    def __init__(self, binary: str, env: dict, log_path: str):
        self.binary, self.env, self.log_path = binary, env, log_path
        self.base = f"http://127.0.0.1:{env['PORT']}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.log_path, "ab")
        # A session of its own (with the kernel's autogroups, a CPU share of its own, apart from the
        # generator's).
        self.process = subprocess.Popen([self.binary, "serve"], env=self.env, stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"the server exited with {self.process.returncode} while starting; log: {self.log_path}")
            try:
                if requests.get(self.base + "/health/ready", timeout=1, proxies={"http": None}).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        sys.exit(f"the server did not become ready in 120 s; log: {self.log_path}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> int | None:
        if not self.process:
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


# --- a small HTTP/1.1 client: keep-alive connections on the event loop, a few µs of Python per request ----


class Response:
    __slots__ = ("status", "headers", "cookies", "body")

    def __init__(self, status, headers, cookies, body):
        self.status, self.headers, self.cookies, self.body = status, headers, cookies, body


class HTTP:
    def __init__(self, host: str, port: int, limit: int):
        self.host, self.port = host, port
        self.hostport = f"{host}:{port}"
        self.idle: list = []
        self.slots = asyncio.Semaphore(limit)
        self.opened = 0

    async def request(self, method: str, target: str, headers: list[tuple[str, str]] = (), body: bytes | None = None,
                      timeout: float = 30) -> Response:
        head = [f"{method} {target} HTTP/1.1\r\nHost: {self.hostport}\r\nUser-Agent: consumerdesk-soak\r\n"]
        for name, value in headers:
            head.append(f"{name}: {value}\r\n")
        if body is not None:
            head.append(f"Content-Length: {len(body)}\r\n")
        head.append("\r\n")
        payload = "".join(head).encode() + (body or b"")
        async with self.slots:
            for attempt in (0, 1):
                conn = self.idle.pop() if self.idle else None
                reused = conn is not None
                try:
                    async with asyncio.timeout(timeout):
                        if conn is None:
                            conn = await asyncio.open_connection(self.host, self.port, limit=1 << 20)
                            self.opened += 1
                        response, keep = await self._exchange(conn, method, payload)
                except (ConnectionError, asyncio.IncompleteReadError) as error:
                    self._close(conn)
                    # A kept-alive connection the server had closed meanwhile: once more on a new one
                    # (only where nothing could have been done twice).
                    if reused and attempt == 0 and method == "GET":
                        continue
                    raise error
                except BaseException:
                    self._close(conn)
                    raise
                if keep:
                    self.idle.append(conn)
                else:
                    self._close(conn)
                return response
        raise AssertionError("unreachable")

    @staticmethod
    def _close(conn) -> None:
        if conn is not None:
            conn[1].close()

    @staticmethod
    async def _exchange(conn, method: str, payload: bytes):
        reader, writer = conn
        writer.write(payload)
        await writer.drain()
        block = await reader.readuntil(b"\r\n\r\n")
        lines = block.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers, cookies = {}, []
        for line in lines[1:]:
            if not line:
                continue
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookies.append(value)
            else:
                headers[name] = value
        keep = headers.get("connection", "").lower() != "close"
        if method == "HEAD" or status in (204, 304) or status < 200:
            body = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            parts = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                        pass
                    break
                parts.append(await reader.readexactly(size))
                await reader.readexactly(2)
            body = b"".join(parts)
        elif "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        else:
            body = await reader.read()
            keep = False
        return Response(status, headers, cookies, body), keep


class Session:
    """A person's browser: cookies from Set-Cookie, sent back on every request."""

    def __init__(self, login: str, cookies: dict[str, str]):
        self.login, self.cookies = login, dict(cookies)

    def header(self) -> tuple[str, str]:
        return ("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))

    def update(self, set_cookies: list[str]) -> None:
        for raw in set_cookies:
            pair = raw.split(";", 1)[0]
            name, _, value = pair.partition("=")
            if name:
                self.cookies[name.strip()] = value.strip()


# --- what is measured ---------------------------------------------------------------------------------------


class Stats:
    """Latencies (ms) and errors per kind, for one sample interval or a whole phase."""

    def __init__(self):
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter = Counter()  # (kind, reason) -> count
        self.lags: list[float] = []  # ms an operation started after its scheduled moment
        self.operations = 0  # finished operations (arrivals), whatever their outcome
        self.overload = 0

    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values()) + sum(self.errors.values())


class Recorder:
    """Where results go: the current interval and the current phase (both replaced as the run goes on)."""

    def __init__(self):
        self.interval = Stats()
        self.phase = Stats()
        self.examples: dict[tuple[str, str], str] = {}

    def ok(self, kind: str, seconds: float) -> None:
        ms = seconds * 1000
        self.interval.latencies[kind].append(ms)
        self.phase.latencies[kind].append(ms)

    def fail(self, kind: str, reason: str, detail: str = "") -> None:
        self.interval.errors[(kind, reason)] += 1
        self.phase.errors[(kind, reason)] += 1
        if detail and (kind, reason) not in self.examples:
            self.examples[(kind, reason)] = detail[:300]

    def lag(self, seconds: float) -> None:
        self.interval.lags.append(seconds * 1000)
        self.phase.lags.append(seconds * 1000)

    def done(self) -> None:
        self.interval.operations += 1
        self.phase.operations += 1

    def take_interval(self) -> Stats:
        stats, self.interval = self.interval, Stats()
        return stats


class Failure(Exception):
    def __init__(self, reason: str, detail: str = ""):
        super().__init__(reason)
        self.reason, self.detail = reason, detail


# --- the staff channels: a pool of subscribed WebSocket connections ----------------------------------------------


class StaffSocket:
    # The server lets a connection send 10 at once, then one a second; kept a little under that here.
    CAPACITY, PER_SECOND = 9.0, 0.9

    def __init__(self, ws, topic: str):
        self.ws, self.topic = ws, topic
        self.tokens, self.stamp = self.CAPACITY, time.perf_counter()
        self.pending: dict[str, asyncio.Future] = {}
        self.subscribed = asyncio.get_running_loop().create_future()
        self.closed = False
        self.reader = asyncio.create_task(self.read())

    def take(self) -> bool:
        now = time.perf_counter()
        self.tokens = min(self.CAPACITY, self.tokens + (now - self.stamp) * self.PER_SECOND)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    async def read(self) -> None:
        try:
            async for raw in self.ws:
                # Colleagues' messages fan out to every connection: only acks, errors and the
                # subscription are read further.
                if '"type":"message"' in raw:
                    continue
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "subscribed" and not self.subscribed.done():
                    self.subscribed.set_result(frame)
                elif kind in ("ack", "error"):
                    future = self.pending.pop(frame.get("ref") or "", None)
                    if future and not future.done():
                        future.set_result(frame)
                    elif kind == "error" and not self.subscribed.done():
                        self.subscribed.set_result(frame)
        except ConnectionClosed:
            pass
        finally:
            self.closed = True
            for future in list(self.pending.values()) + [self.subscribed]:
                if not future.done():
                    future.set_exception(Failure("closed by the server"))


class StaffPool:
    PER_CHANNEL = 5
    LIMIT = 400

    def __init__(self, load: "Load"):
        self.load = load
        self.sockets: list[StaffSocket] = []
        self.channels: list[str] = []
        self.next = 0
        self.opening = 0
        self.channel_lock = asyncio.Lock()

    async def channel(self, index: int) -> str:
        async with self.channel_lock:
            while len(self.channels) <= index:
                load = self.load
                body = json.dumps({"title": f"Soak {len(self.channels) + 1}: оперативные вопросы",
                                   "organisations": load.ctx["channel_orgs"], "includesSubordinates": False}).encode()
                r = await load.http.request("POST", "/api/v1/messages/channels", body=body, headers=[
                    ("Content-Type", "application/json"), ("Authorization", "Bearer " + load.ctx["tokens"]["coordinator"])])
                if r.status != 201:
                    raise Failure(f"channel HTTP {r.status}", r.body[:200].decode("utf-8", "replace"))
                self.channels.append(json.loads(r.body)["id"])
            return self.channels[index]

    async def open(self) -> StaffSocket:
        index = len(self.sockets) + self.opening
        self.opening += 1
        try:
            topic = await self.channel(index // self.PER_CHANNEL)
            accounts = self.load.ctx["staff_ws_tokens"]
            ws = await ws_connect(self.load.ws_url, additional_headers={"Authorization": "Bearer " + accounts[index % len(accounts)]},
                                  compression=None, proxy=None, open_timeout=30, ping_interval=None, close_timeout=2,
                                  max_size=1 << 20)
            sock = StaffSocket(ws, topic)
            await ws.send(json.dumps({"type": "subscribe", "topic": topic, "after": 0}))
            async with asyncio.timeout(30):
                frame = await sock.subscribed
            if frame.get("type") != "subscribed":
                raise Failure(f"subscribe: {frame.get('code')}", json.dumps(frame, ensure_ascii=False))
            self.sockets.append(sock)
            return sock
        finally:
            self.opening -= 1

    async def sender(self) -> StaffSocket:
        while True:
            n = len(self.sockets)
            for i in range(n):
                sock = self.sockets[(self.next + i) % n]
                if not sock.closed and sock.take():
                    self.next = (self.next + i + 1) % n
                    return sock
            if n + self.opening < self.LIMIT:
                sock = await self.open()
                if sock.take():
                    return sock
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        for sock in self.sockets:
            await sock.ws.close()
        await asyncio.gather(*(s.reader for s in self.sockets), return_exceptions=True)


# --- the operations -----------------------------------------------------------------------------------------


class Load:
    def __init__(self, ctx: dict, port: int, rng: random.Random, recorder: Recorder, connections: int):
        self.ctx, self.rng, self.rec = ctx, rng, recorder
        self.http = HTTP("127.0.0.1", port, connections)
        self.ws_url = f"ws://127.0.0.1:{port}/api/v1/ws"
        self.staff = StaffPool(self)
        self.think = (1.0, 4.0)
        self.inflight = 0
        self.counter = 0
        names = list(ctx["mix"])
        self.kinds, self.cumulative = names, []
        total = 0
        for name in names:
            total += ctx["mix"][name]
            self.cumulative.append(total)
        self.total_weight = total

    def pick(self) -> str:
        x = self.rng.random() * self.total_weight
        for name, edge in zip(self.kinds, self.cumulative):
            if x < edge:
                return name
        return self.kinds[-1]

    async def run(self, kind: str, scheduled: float) -> None:
        """One operation; `scheduled`: when it should have started (perf_counter)."""
        self.inflight += 1
        try:
            self.rec.lag(max(0.0, time.perf_counter() - scheduled))
            await getattr(self, "op_" + kind.replace("-", "_"))(scheduled)
        except Exception as error:  # outside a timed step (a step records its own): counted, never lost
            self.rec.fail(kind, "exception " + type(error).__name__, str(error))
        finally:
            self.inflight -= 1
            self.rec.done()

    async def timed(self, kind: str, started: float, call, check) -> Response | None:
        """Runs call(); records its latency from `started` or the failure; returns the response when good."""
        try:
            response = await call()
        except TimeoutError:
            self.rec.fail(kind, "timeout (30 s)")
            return None
        except Failure as failure:
            self.rec.fail(kind, failure.reason, failure.detail)
            return None
        except Exception as error:  # refused connections, closed sockets, failed handshakes, bad frames
            self.rec.fail(kind, type(error).__name__, str(error))
            return None
        elapsed = time.perf_counter() - started
        problem = check(response)
        if problem:
            self.rec.fail(kind, problem, response.body[:300].decode("utf-8", "replace"))
            return None
        self.rec.ok(kind, elapsed)
        return response

    @staticmethod
    def expect(status: int, marker: bytes | None = None):
        def check(r: Response) -> str | None:
            if r.status != status:
                return f"HTTP {r.status}" + (f" → {r.headers.get('location')}" if r.headers.get("location") else "")
            if marker is not None and marker not in r.body:
                return f"HTTP {r.status} without {marker.decode()!r}"
            return None
        return check

    def xff(self) -> str:
        r = self.rng
        return f"10.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}"

    # portal search

    async def op_search(self, t0: float) -> None:
        path = "/search?q=" + urllib.parse.quote(self.rng.choice(SEARCHES))
        await self.timed("search", t0, lambda: self.http.request("GET", path, [("Accept", "text/html")]),
                         self.expect(200, b"</html>"))

    async def op_search_api(self, t0: float) -> None:
        path = "/api/v1/search?q=" + urllib.parse.quote(self.rng.choice(SEARCHES))
        await self.timed("search-api", t0, lambda: self.http.request("GET", path, [("Accept", "application/json")]),
                         self.expect(200, b'"items"'))

    # the workspace

    async def page(self, kind: str, t0: float, session: Session, path: str) -> None:
        async def call():
            r = await self.http.request("GET", path, [("Accept", "text/html"), session.header()])
            session.update(r.cookies)
            return r
        await self.timed(kind, t0, call, self.expect(200, b"</html>"))

    async def op_desk(self, t0: float) -> None:
        session = self.rng.choice(self.ctx["desk_sessions"])
        query = self.rng.choice(DESK_QUERIES)
        if self.rng.random() < 0.08:  # looking an appeal up by its number
            query = "?q=" + self.rng.choice(self.ctx["numbers"])
        await self.page("desk", t0, session, "/desk" + query)

    async def op_card(self, t0: float) -> None:
        session = self.rng.choice(self.ctx["card_sessions"])
        await self.page("card", t0, session, "/desk/appeals/" + self.rng.choice(self.ctx["numbers"]))

    # intake

    async def op_submit(self, t0: float) -> None:
        self.counter += 1
        code, answers = self.rng.choice(self.ctx["topics"])
        body = {"subcategoryCode": code, "territoryId": self.rng.choice(self.ctx["territories"]), "consent": True,
                "text": f"{self.rng.choice(COMPLAINTS)} {self.rng.choice(COMPLAINTS)} Заявка {uuid.uuid4().hex[:16]}.",
                "conflictName": self.rng.choice(COMPANIES), "answers": answers}
        if self.rng.random() < 0.5:
            body["email"] = f"soak{self.counter % 997}@consumerdesk.test"
        data = json.dumps(body, ensure_ascii=False).encode()
        headers = [("Content-Type", "application/json"), ("Accept", "application/json"),
                   ("Authorization", "Bearer " + self.ctx["tokens"]["citizen"]), ("Idempotency-Key", uuid.uuid4().hex)]
        await self.timed("submit", t0, lambda: self.http.request("POST", "/api/v1/appeals", headers, data),
                         self.expect(201, b'"number"'))

    # staff channels

    async def op_staff_msg(self, t0: float) -> None:
        self.counter += 1
        ref = f"s{self.counter}"
        text = self.rng.choice(STAFF_LINES).format(n=self.rng.choice(self.ctx["numbers"]))

        async def call():
            sock = await self.staff.sender()
            future = asyncio.get_running_loop().create_future()
            sock.pending[ref] = future
            try:
                await sock.ws.send(json.dumps({"type": "send", "topic": sock.topic, "text": text, "ref": ref}, ensure_ascii=False))
            except ConnectionClosed as error:
                sock.pending.pop(ref, None)
                raise Failure("closed by the server", str(error))
            async with asyncio.timeout(30):
                frame = await future
            if frame.get("type") != "ack":
                raise Failure(f"error frame {frame.get('code')}", json.dumps(frame, ensure_ascii=False))
            return Response(200, {}, [], b"")
        await self.timed("staff-msg", t0, call, lambda r: None)

    # the citizen's consultation with the bot

    async def op_chat(self, t0: float) -> None:
        address = self.xff()
        question = self.rng.choice(self.ctx["questions"])
        body = json.dumps({"name": self.rng.choice(NAMES), "text": question}, ensure_ascii=False).encode()
        r = await self.timed("chat-start", t0, lambda: self.http.request("POST", "/api/v1/consultations/start", [
            ("Content-Type", "application/json"), ("Accept", "application/json"), ("X-Forwarded-For", address)], body),
            self.expect(201, b'"token"'))
        if r is None:
            return
        started = json.loads(r.body)
        topic, key = started["id"], started["token"]
        frames: asyncio.Queue = asyncio.Queue()
        ws = None

        async def reader():
            try:
                async for raw in ws:
                    frames.put_nowait(json.loads(raw))
            except ConnectionClosed:
                pass
            frames.put_nowait(None)

        async def next_frame():
            frame = await frames.get()
            if frame is None:
                raise Failure("closed by the server")
            return frame

        reading = None
        try:
            t = time.perf_counter()

            async def open_socket():
                nonlocal ws, reading
                ws = await ws_connect(self.ws_url, additional_headers={"X-Forwarded-For": address}, compression=None, proxy=None,
                                      open_timeout=30, ping_interval=None, close_timeout=2, max_size=1 << 20)
                reading = asyncio.create_task(reader())
                await ws.send(json.dumps({"type": "subscribe", "topic": topic, "after": 0, "token": key}))
                async with asyncio.timeout(30):
                    while True:
                        frame = await next_frame()
                        if frame.get("type") == "subscribed":
                            return Response(200, {}, [], b"")
                        if frame.get("type") == "error":
                            raise Failure(f"error frame {frame.get('code')}", json.dumps(frame, ensure_ascii=False))

            if await self.timed("chat-ws", t, open_socket, lambda r: None) is None:
                return
            for i in range(2):
                if self.think[1] > 0:
                    await asyncio.sleep(self.rng.uniform(*self.think))
                ref = f"q{i}"
                text = self.rng.choice(self.ctx["questions"])
                t = time.perf_counter()

                async def ask():
                    await ws.send(json.dumps({"type": "send", "topic": topic, "text": text, "ref": ref}, ensure_ascii=False))
                    mine = None
                    bot_after = []
                    async with asyncio.timeout(30):
                        while True:
                            frame = await next_frame()
                            kind = frame.get("type")
                            if kind == "ack" and frame.get("ref") == ref:
                                mine = frame.get("seq")
                            elif kind == "error":
                                raise Failure(f"error frame {frame.get('code')}", json.dumps(frame, ensure_ascii=False))
                            elif kind == "message" and frame.get("authorKind") == "bot":
                                bot_after.append(frame.get("seq", 0))
                            if mine is not None and any(seq > mine for seq in bot_after):
                                return Response(200, {}, [], b"")

                if await self.timed("chat-reply", t, ask, lambda r: None) is None:
                    return
            t = time.perf_counter()
            close = json.dumps({"token": key}).encode()
            await self.timed("chat-close", t, lambda: self.http.request("POST", f"/api/v1/consultations/{topic}/close", [
                ("Content-Type", "application/json"), ("Accept", "application/json"), ("X-Forwarded-For", address)], close),
                self.expect(200, b'"closed"'))
        finally:
            if ws is not None:
                await ws.close()
            if reading is not None:
                await asyncio.gather(reading, return_exceptions=True)


# --- setting up -----------------------------------------------------------------------------------------------


def sign_in_form(base: str, login: str) -> Session:
    """The browser's sign-in: /login gives the CSRF cookie and field, the form posted back gives the session."""
    http = requests.Session()
    http.trust_env = False
    page = http.get(base + "/login", timeout=30)
    csrf = re.search(r'name="_csrf" value="([^"]+)"', page.text).group(1)
    r = http.post(base + "/login", data={"login": login, "password": PASSWORD, "_csrf": csrf}, timeout=30, allow_redirects=False)
    if r.status_code != 303 or "cd_session" not in http.cookies:
        sys.exit(f"sign-in of {login} through /login answered {r.status_code}")
    return Session(login, http.cookies.get_dict())


def prepare(base: str, mix: dict) -> dict:
    s = requests.Session()
    s.trust_env = False

    def token(login: str) -> str:
        r = s.post(base + "/api/v1/auth/token", json={"login": login, "password": PASSWORD}, timeout=30)
        if r.status_code != 200:
            sys.exit(f"token for {login}: HTTP {r.status_code} {r.text[:200]}")
        return r.json()["token"], r.json()["user"]

    choose = random.Random(0)
    tokens, users = {}, {}
    for role in ("admin", "citizen", "coordinator", "executor", "manager", "operator"):
        tokens[role], users[role] = token(f"{role}@consumerdesk.test")
    auth = lambda role: {"Authorization": "Bearer " + tokens[role]}
    territories = [t["id"] for t in s.get(base + "/api/v1/territories", headers=auth("admin"), timeout=30).json() if t["kind"] != "region"]
    classifier = s.get(base + "/api/v1/classifier", timeout=30).json()
    sample = {"date": "2026-10-01", "number": "12990", "yesno": "да", "text": "Магазин «Электрон», ул. Мира, 5"}
    topics = []
    for category in classifier["categories"]:
        for sub in category["subcategories"]:
            answers = {}
            for q in sub.get("questions", []):
                if q.get("required") or choose.random() < 0.5:
                    answers[q["code"]] = (q.get("options") or ["Другое"])[0] if q["type"] == "choice" else sample.get(q["type"], "нет")
            topics.append((sub["code"], answers))
    # Card pages: appeals the coordinator's organisation holds, from several folders.
    numbers = []
    for folder in ("new", "in_work", "answer_prepared", "postponed", "done"):
        r = s.get(base + f"/api/v1/workspace?folder={folder}&limit=100&sort=desc", headers=auth("coordinator"), timeout=60)
        if r.status_code == 200:
            numbers += [item["number"] for item in r.json()["items"]]
    if not numbers:
        sys.exit("the coordinator's workspace is empty: load appeals first (-n)")

    def organisation(user: dict) -> str:
        return next(g["organisationId"] for g in user["grants"] if g.get("organisationId") and g["role"] != "citizen")

    orgs = sorted({organisation(users["coordinator"]), organisation(users["operator"])})
    questions = list(FREE_QUESTIONS)
    faq_dir = os.path.join("Resources", "Portal", "faq")
    for name in sorted(os.listdir(faq_dir)) if os.path.isdir(faq_dir) else []:
        with open(os.path.join(faq_dir, name), encoding="utf-8") as f:
            m = re.search(r"^question:\s*(.+)$", f.read(), re.M)
            if m:
                questions.append(m.group(1).strip())
    coordinator = [sign_in_form(base, "coordinator@consumerdesk.test") for _ in range(2)]
    manager = sign_in_form(base, "manager@consumerdesk.test")
    executor = sign_in_form(base, "executor@consumerdesk.test")
    return {
        "mix": mix, "tokens": tokens, "territories": territories, "topics": topics, "numbers": numbers,
        "channel_orgs": orgs, "questions": questions,
        "staff_ws_tokens": [tokens["coordinator"], tokens["executor"], tokens["manager"], tokens["operator"]],
        "desk_sessions": coordinator + coordinator + [manager, executor],
        "card_sessions": coordinator + [manager],
    }


class Database:
    def __init__(self, sqlite_path=None, url=None, schema=None):
        self.sqlite_path, self.url, self.schema = sqlite_path, url, schema

    def rows(self, sql: str) -> list[tuple]:
        if self.sqlite_path:
            connection = sqlite3.connect(f"file:{self.sqlite_path}?mode=ro", uri=True, timeout=30)
            try:
                return [tuple(row) for row in connection.execute(sql)]
            finally:
                connection.close()
        out = subprocess.run(["psql", self.url, "-X", "-q", "-A", "-t", "-F", "\x1f", "-v", "ON_ERROR_STOP=1",
                              "-c", f"SET search_path TO {self.schema};\n{sql};"],
                             check=True, capture_output=True, text=True).stdout
        return [tuple(line.split("\x1f")) for line in out.splitlines() if line]


# --- the run ----------------------------------------------------------------------------------------------------


class Soak:
    def __init__(self, args, load: Load, server: Server, proc: Proc):
        self.args, self.load, self.server, self.proc = args, load, server, proc
        self.rec = load.rec
        self.history = []  # one dict per sample interval of the soak
        self.dispatched = 0  # arrivals sent in the current open-loop phase
        self.ran = 0.0  # seconds it dispatched (less than asked when the server went)

    async def closed_loop(self, clients: int, warmup: float, seconds: float) -> dict:
        """Clients back to back; counts what finished within the measured window."""
        load = self.load
        load.think = (0.0, 0.0)
        window = {"ops": 0}
        start = time.perf_counter()
        counted_from, end = start + warmup, start + warmup + seconds

        async def client():
            while time.perf_counter() < end:
                kind = load.pick()
                await load.run(kind, time.perf_counter())
                if counted_from <= time.perf_counter() <= end:
                    window["ops"] += 1

        await asyncio.sleep(0)
        tasks = [asyncio.create_task(client()) for _ in range(clients)]
        await asyncio.sleep(max(0.0, counted_from - time.perf_counter()))
        self.rec.phase = Stats()
        cpu0, own0, wall0, busy0 = self.proc.cpu_seconds(), time.process_time(), time.perf_counter(), machine_busy_seconds()
        await asyncio.sleep(max(0.0, end - time.perf_counter()))
        cpu1, own1, wall1, busy1 = self.proc.cpu_seconds(), time.process_time(), time.perf_counter(), machine_busy_seconds()
        measured = self.rec.phase
        await asyncio.gather(*tasks)
        load.think = (1.0, 4.0)
        return {"ops_per_s": window["ops"] / seconds, "requests_per_s": measured.requests() / seconds, "stats": measured,
                "server_cpu": 100 * (cpu1 - cpu0) / (wall1 - wall0), "own_cpu": 100 * (own1 - own0) / (wall1 - wall0),
                "other_cpu": max(0.0, 100 * ((busy1 - busy0) - (cpu1 - cpu0) - (own1 - own0)) / (wall1 - wall0))}

    def sample(self, elapsed: float, stats: Stats, wall: float, cpu: tuple) -> dict:
        rss = self.proc.rss_mib() if self.server.alive() else float("nan")
        server_cpu = 100 * (cpu[0]) / wall
        row = {"t": elapsed, "requests": stats.requests(), "operations": stats.operations, "errors": sum(stats.errors.values()),
               "by_error": Counter(stats.errors), "rss": rss, "fds": self.proc.fds(), "threads": self.proc.threads(),
               "server_cpu": server_cpu, "own_cpu": 100 * cpu[1] / wall, "inflight": self.load.inflight,
               "other_cpu": max(0.0, 100 * (cpu[2] - cpu[0] - cpu[1]) / wall),
               "lag_p99": percentile(sorted(stats.lags), 0.99), "lag_max": max(stats.lags, default=float("nan")),
               "p50": {}, "p99": {}, "count": {}, "wall": wall}
        everything = []
        for kind in KINDS:
            values = sorted(stats.latencies.get(kind, []))
            everything += values
            row["count"][kind] = len(values)
            row["p50"][kind] = percentile(values, 0.5)
            row["p99"][kind] = percentile(values, 0.99)
        everything.sort()
        row["p99"]["all"] = percentile(everything, 0.99)
        return row

    def print_sample(self, row: dict, label: str) -> None:
        errors = ", ".join(f"{k}: {r} ×{n}" for (k, r), n in sorted(row["by_error"].items())) if row["errors"] else ""
        print(f"[{label}] {row['requests']:7,} req ({row['requests'] / row['wall']:6.1f}/s), {row['operations']:6,} ops, "
              f"errors {row['errors']}{' (' + errors + ')' if errors else ''} | server RSS {row['rss']:7.1f} MiB, "
              f"CPU {row['server_cpu']:4.0f} %, fds {row['fds']}, threads {row['threads']} | generator CPU {row['own_cpu']:3.0f} %, "
              f"other processes {row['other_cpu']:3.0f} %, "
              f"lag p99 {fmt_ms(row['lag_p99'])} ms max {fmt_ms(row['lag_max'])} ms, in flight {row['inflight']}")
        print("          p50/p99 ms: " + "  ".join(
            f"{SHORT[k]} {fmt_ms(row['p50'][k])}/{fmt_ms(row['p99'][k])}" for k in KINDS if row["count"][k]), flush=True)

    async def open_loop(self, rate: float, seconds: float, sample: float, record: bool, label: str, drain: bool) -> None:
        """Poisson arrivals at `rate` for `seconds`; a sample line every `sample` seconds."""
        load, rng = self.load, self.load.rng
        tasks: set = set()
        start = time.perf_counter()
        end = start + seconds
        self.rec.take_interval()
        self.rec.phase = Stats()
        self.dispatched = 0

        async def sampler():
            tick = 1
            last_wall, last_cpu, last_own, last_busy = start, self.proc.cpu_seconds(), time.process_time(), machine_busy_seconds()
            while True:
                target = start + tick * sample
                if target > end + 1e-6:
                    target = end
                await asyncio.sleep(max(0.0, target - time.perf_counter()))
                now, cpu, own, busy = time.perf_counter(), self.proc.cpu_seconds(), time.process_time(), machine_busy_seconds()
                stats = self.rec.take_interval()
                row = self.sample(now - start, stats, now - last_wall, (cpu - last_cpu, own - last_own, busy - last_busy))
                last_wall, last_cpu, last_own, last_busy = now, cpu, own, busy
                if record:
                    self.history.append(row)
                self.print_sample(row, f"{label} {row['t']:5.0f} s")
                if not self.server.alive():
                    print(f"the server has gone (exit status {self.server.process.returncode})", flush=True)
                    return
                if target >= end:
                    return
                tick += 1

        sampling = asyncio.create_task(sampler())
        scheduled = start
        while self.server.alive():
            scheduled += rng.expovariate(rate)
            if scheduled >= end:
                break
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            kind = load.pick()
            if load.inflight >= self.args.max_inflight:
                self.rec.interval.overload += 1
                self.rec.fail(kind if kind != "chat" else "chat-start", f"not sent: {load.inflight} in flight (generator limit)")
                continue
            self.dispatched += 1
            task = asyncio.create_task(load.run(kind, scheduled))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        self.ran = min(seconds, time.perf_counter() - start)
        await sampling
        # What is still in flight finishes and counts in the totals (after the warm-up: in the soak,
        # which starts at once, so that the server never idles in between).
        if drain and tasks:
            await asyncio.wait(tasks, timeout=60)


def server_log_summary(path: str) -> tuple[int, list[str]]:
    pattern = re.compile(r"\[ (WARNING|ERROR|CRITICAL) \]")
    counts: Counter = Counter()
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if pattern.search(line):
                    # Timestamps and request ids differ line to line; the rest says what happened.
                    text = re.sub(r"^\S+T\S+\s+", "", line.strip())
                    text = re.sub(r"\[request-id: [^\]]*\]\s*", "", text)
                    text = re.sub(r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}", "<id>", text)
                    counts[text[:220]] += 1
    except FileNotFoundError:
        return 0, []
    return sum(counts.values()), [f"{n:6} × {text}" for text, n in counts.most_common(8)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--minutes", type=float, default=10, help="soak duration, after the warm-up")
    parser.add_argument("--rate", type=float, default=None, help="operations per second (default: half the measured maximum)")
    parser.add_argument("--sample", type=float, default=30, help="seconds between two lines")
    parser.add_argument("--warmup", type=float, default=None, help="seconds at the soak rate before RSS is taken (default: one sample)")
    parser.add_argument("--measure", type=float, default=25, help="seconds the maximum is measured over (after 5 s of warm-up)")
    parser.add_argument("--clients", type=int, default=32, help="closed-loop clients while measuring the maximum")
    parser.add_argument("--appeals", type=int, default=20000, help="appeals loaded before the start (demo-load)")
    parser.add_argument("--mix", default=None, help="weights, e.g. search=22,desk=20,… (default: " +
                        ",".join(f"{k}={v}" for k, v in DEFAULT_MIX.items()) + ")")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "18098")))
    parser.add_argument("--connections", type=int, default=256, help="HTTP connections at most")
    parser.add_argument("--max-inflight", type=int, default=3000, help="operations in flight before arrivals are dropped")
    parser.add_argument("--command", default="", help="the command line, printed with the results")
    parser.add_argument("--build", default="?")
    parser.add_argument("--smtp-sink", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.smtp_sink:
        return smtp_sink(args.smtp_sink)

    mix = dict(DEFAULT_MIX)
    if args.mix:
        mix = {k: 0 for k in OPERATIONS}
        for part in args.mix.split(","):
            name, _, weight = part.partition("=")
            if name.strip() not in OPERATIONS:
                sys.exit(f"--mix: unknown operation {name!r} (known: {', '.join(OPERATIONS)})")
            mix[name.strip()] = float(weight)
        mix = {k: v for k, v in mix.items() if v > 0}
    warmup = args.sample if args.warmup is None else args.warmup
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)

    probe = socket.socket()
    if probe.connect_ex(("127.0.0.1", args.port)) == 0:
        sys.exit(f"something already listens on 127.0.0.1:{args.port} (an earlier run still stopping?): stop it or set PORT")
    probe.close()

    tmp = tempfile.mkdtemp(prefix="consumerdesk-soak-")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        smtp_port = s.getsockname()[1]
    sink = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--binary", "-", "--smtp-sink", str(smtp_port)],
                            stdout=subprocess.PIPE, text=True)
    env = dict(os.environ, PORT=str(args.port), HOST="127.0.0.1", DEMO="true", LOG_LEVEL="warning", RATE_LIMITS="off",
               TRUST_FORWARDED_FOR="true", CHAT_HOURS="never", ATTACHMENTS_DIR=os.path.join(tmp, "attachments"),
               SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp_port), SMTP_SECURITY="none")
    env.pop("PUBLIC_URL", None)
    url = os.environ.get("DATABASE_URL")
    if url:
        schema = os.environ.get("SOAK_SCHEMA") or f"soak_{os.getpid()}"
        env["DATABASE_SCHEMA"] = schema
        db = Database(url=url, schema=schema)
        engine = f"postgresql (schema {schema})"
    else:
        env["SQLITE_PATH"] = os.path.join(tmp, "soak.sqlite")
        db = Database(sqlite_path=env["SQLITE_PATH"])
        engine = "sqlite"
    server = Server(args.binary, env, os.path.join(tmp, "server.log"))
    print(f"command: {args.command or ' '.join(map(shlex.quote, sys.argv))}")
    print(f"build: {args.build}; database: {engine}; seed {seed}; server log {server.log_path}")
    failed = False
    try:
        if args.appeals > 0:
            t = time.monotonic()
            r = subprocess.run([args.binary, "demo-load", "--appeals", str(args.appeals), "--seed", str(seed % 100000)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if r.returncode != 0:
                sys.exit(f"demo-load failed ({r.returncode}): {r.stderr[-2000:]}")
            print(f"loaded {args.appeals:,} appeals in {time.monotonic() - t:.0f} s (consumerdesk demo-load)")
        server.start()
        proc = Proc(server.process.pid)
        # The generator needs a few per cent of a core, but it must run the moment it wakes, or on a busy
        # machine its schedule (and every latency measured from it) waits in the run queue behind the
        # server and whatever else runs here: real-time priority when allowed (root; the kernel still
        # keeps 5 % of every second for the others; children, such as psql, start at the normal
        # priority), else nice -5. The server, started before, keeps the normal priority.
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO | os.SCHED_RESET_ON_FORK, os.sched_param(10))
            print("generator at real-time priority (SCHED_FIFO 10), the server at the normal one")
        except (OSError, AttributeError):
            try:
                os.setpriority(os.PRIO_PROCESS, 0, -5)
                print("generator at nice -5, the server at 0")
            except OSError:
                print("generator at the normal priority, like the server")
        ctx = prepare(server.base, mix)
        total = sum(mix.values())
        print("mix (per cent of operations): " + ", ".join(f"{k} {100 * v / total:.0f}" for k, v in mix.items())
              + f"; {len(ctx['numbers'])} appeal cards, {len(ctx['topics'])} topics, {len(ctx['questions'])} chat questions")
        print("timed (ms, from the scheduled moment for an operation's first request): search = /search page, s-api = "
              "/api/v1/search, desk = /desk with filters, card = /desk/appeals/N, submit = POST /api/v1/appeals, staff = "
              "channel message until its ack; a chat: c-start = POST …/consultations/start, c-ws = socket open + subscribed, "
              "c-reply = question until the bot's answer (twice), c-close = POST …/close")
        failed = asyncio.run(run(args, ctx, server, proc, rng, warmup, db, seed))
    finally:
        code = server.stop()
        sink.send_signal(signal.SIGTERM)
        try:
            delivered = sink.communicate(timeout=10)[0].strip()
        except subprocess.TimeoutExpired:
            sink.kill()
            delivered = "?"
        if code not in (None, 0, -signal.SIGTERM):
            print(f"the server exited with status {code} when stopped")
            failed = True
        print(f"SMTP sink: {delivered or '?'} mails received")
        # The database and the files go; the server's log stays for a look.
        for name in os.listdir(tmp):
            path = os.path.join(tmp, name)
            if name.startswith("soak.sqlite"):
                os.remove(path)
            elif name == "attachments":
                shutil.rmtree(path, ignore_errors=True)
    print("soak:", "FAILED" if failed else "passed")
    sys.exit(1 if failed else 0)


async def run(args, ctx, server: Server, proc: Proc, rng: random.Random, warmup: float, db: Database, seed: int) -> bool:
    rec = Recorder()
    load = Load(ctx, args.port, rng, rec, args.connections)
    soak = Soak(args, load, server, proc)
    rss_idle = proc.rss_mib()
    print(f"server pid {proc.pid}: RSS {rss_idle:.1f} MiB before any load")
    measured = None
    if args.rate is None:
        print(f"measuring the maximum: {args.clients} clients back to back, 5 s warm-up, then {args.measure:g} s…", flush=True)
        measured = await soak.closed_loop(args.clients, 5, args.measure)
        stats = measured["stats"]
        errors = sum(stats.errors.values())
        print(f"maximum: {measured['ops_per_s']:.1f} operations/s ({measured['requests_per_s']:.1f} requests/s), "
              f"errors {errors}; CPU (100 % = one core, {os.cpu_count()} cores): server {measured['server_cpu']:.0f} %, "
              f"generator {measured['own_cpu']:.0f} %, other processes {measured['other_cpu']:.0f} %")
        print("          p50/p99 ms: " + "  ".join(
            f"{SHORT[k]} {fmt_ms(percentile(sorted(stats.latencies[k]), 0.5))}/{fmt_ms(percentile(sorted(stats.latencies[k]), 0.99))}"
            for k in KINDS if stats.latencies.get(k)))
        if measured["own_cpu"] > 85:
            print("          note: the generator used most of a core; the maximum may be the generator's rather than the server's")
        if measured["other_cpu"] > 25:
            print("          note: other processes took a good share of the machine; the maximum is lower than on a quiet one")
        rate = round(measured["ops_per_s"] / 2, 1)
        print(f"soak rate: half of it, {rate:g} operations/s")
    else:
        rate = args.rate
        print(f"soak rate: {rate:g} operations/s (given)")
    seconds = args.minutes * 60
    if warmup > 0:
        print(f"warm-up: {warmup:g} s at {rate:g} operations/s (not counted)", flush=True)
        await soak.open_loop(rate, warmup, warmup, record=False, label="warm-up", drain=False)
    rss_start = proc.rss_mib()
    print(f"soak: {seconds / 60:g} min at {rate:g} operations/s (Poisson arrivals), a line every {args.sample:g} s; "
          f"RSS at the start {rss_start:.1f} MiB", flush=True)
    t0 = time.perf_counter()
    rec.examples.clear()
    await soak.open_loop(rate, seconds, args.sample, record=True, label="soak", drain=True)
    phase = rec.phase
    wall = time.perf_counter() - t0
    alive = server.alive()
    rss_end = proc.rss_mib() if alive else float("nan")
    await load.staff.close()

    # --- the report ---
    print()
    print("=" * 100)
    print(f"command: {args.command}")
    print(f"build: {args.build}; database: {'postgresql' if db.url else 'sqlite'}; preloaded appeals {args.appeals:,}; seed {seed}")
    if measured:
        print(f"measured maximum: {measured['ops_per_s']:.1f} operations/s ({measured['requests_per_s']:.1f} requests/s) "
              f"with {args.clients} closed-loop clients; soak at {rate:g} operations/s")
    else:
        print(f"soak at {rate:g} operations/s (given)")
    total_ops = phase.operations
    ran = max(soak.ran, 1e-9)
    print(f"soak: {ran:.0f} s{' (ENDED EARLY: the server went)' if ran < seconds - 1 else ''} + {max(0.0, wall - ran):.0f} s "
          f"for the last ones to finish; {soak.dispatched:,} operations started ({soak.dispatched / ran:.1f}/s, {rate:g} "
          f"scheduled), {total_ops:,} finished (with those left from the warm-up), {phase.requests():,} requests "
          f"({phase.requests() / wall:.1f}/s)")
    print()
    print(f"{'kind':12} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'p99.9 ms':>9} {'max ms':>8}")
    errors_by_kind = Counter()
    for (kind, _), n in phase.errors.items():
        errors_by_kind[kind] += n
    for kind in KINDS:
        values = sorted(phase.latencies.get(kind, []))
        if not values and not errors_by_kind[kind]:
            continue
        print(f"{kind:12} {len(values) + errors_by_kind[kind]:9,} {errors_by_kind[kind]:7} {fmt_ms(percentile(values, .5)):>8} "
              f"{fmt_ms(percentile(values, .9)):>8} {fmt_ms(percentile(values, .99)):>8} {fmt_ms(percentile(values, .999)):>9} "
              f"{fmt_ms(values[-1] if values else float('nan')):>8}")
    error_total = sum(phase.errors.values())
    print()
    print(f"errors: {error_total}   [target 0]")
    for (kind, reason), n in phase.errors.most_common():
        example = rec.examples.get((kind, reason))
        print(f"    {kind}: {reason} ×{n}" + (f" — e.g. {example!r}" if example else ""))
    print()
    print("p99 over time (ms; the interval ending at t):")
    shown = [k for k in KINDS if any(row["count"][k] for row in soak.history)]
    print(f"{'t s':>6} {'req/s':>7} {'err':>4} " + " ".join(f"{SHORT[k]:>7}" for k in shown) + f" {'all':>7} {'RSS MiB':>8} {'fds':>5}")
    for row in soak.history:
        print(f"{row['t']:6.0f} {row['requests'] / row['wall']:7.1f} {row['errors']:4} "
              + " ".join(f"{fmt_ms(row['p99'][k]):>7}" for k in shown) + f" {fmt_ms(row['p99']['all']):>7} {row['rss']:8.1f} {row['fds']:5}")
    lags = sorted(phase.lags)
    print()
    growth = 100 * (rss_end - rss_start) / rss_start if rss_start else float("nan")
    rss_values = [row["rss"] for row in soak.history if row["rss"] == row["rss"]]
    print(f"RSS: {rss_idle:.1f} MiB idle before the load, {rss_start:.1f} MiB at the start (after the warm-up), "
          f"{rss_end:.1f} MiB at the end; growth {growth:+.1f} %   [target < {RSS_TARGET:g} %]"
          + (f"; lowest {min(rss_values):.1f}, highest {max(rss_values):.1f} MiB at the samples" if rss_values else ""))
    if len(soak.history) >= 8:
        # The trend over the second half (the first may still be filling caches): MiB per 10 minutes.
        half = soak.history[len(soak.history) // 2:]
        xs, ys = [r["t"] for r in half], [r["rss"] for r in half]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / max(1e-9, sum((x - mx) ** 2 for x in xs))
        print(f"RSS trend over the second half: {slope * 600:+.1f} MiB per 10 min; open files {soak.history[0]['fds']} → "
              f"{soak.history[-1]['fds']}, threads {soak.history[0]['threads']} → {soak.history[-1]['threads']}")
    behind = percentile(lags, 0.99)
    others = sum(r["other_cpu"] * r["wall"] for r in soak.history) / max(1e-9, sum(r["wall"] for r in soak.history))
    print(f"generator: operations started p50 {fmt_ms(percentile(lags, .5))} ms, p99 {fmt_ms(behind)} ms, "
          f"max {fmt_ms(lags[-1] if lags else float('nan'))} ms after their scheduled moment; "
          f"CPU {sum(r['own_cpu'] * r['wall'] for r in soak.history) / max(1e-9, sum(r['wall'] for r in soak.history)):.0f} % "
          f"of one core; {load.http.opened} HTTP connections opened, {len(load.staff.sockets)} staff sockets in "
          f"{len(load.staff.channels)} channels; other processes on the machine used {others:.0f} % CPU on average"
          + (" — KEPT THE SCHEDULE" if behind <= 20 else " — FELL BEHIND its schedule (latencies include its own delay)"))
    try:
        mail = dict((str(status), int(n)) for status, n in db.rows("SELECT status, count(*) FROM mail_outbox GROUP BY status"))
        print(f"mail outbox: {mail}")
    except Exception as error:  # a figure we could not read is reported, never guessed
        print(f"mail outbox unreadable: {error}")
    warnings, top = server_log_summary(server.log_path)
    print(f"server log: {warnings} warning/error lines ({server.log_path})")
    for line in top:
        print("    " + line)
    failed = error_total > 0 or not alive or not (growth < RSS_TARGET)
    verdict = []
    verdict.append(f"errors {error_total} ({'OK' if error_total == 0 else 'OVER'} target 0)")
    verdict.append(f"RSS growth {growth:+.1f} % ({'OK' if growth < RSS_TARGET else 'OVER'} target < {RSS_TARGET:g} %)")
    if not alive:
        verdict.append(f"the server DIED (exit status {server.process.returncode})")
    print("targets: " + "; ".join(verdict))
    return failed


def smtp_sink(port: int) -> None:
    """A process of its own: accepts every mail, prints how many on SIGTERM."""
    from aiosmtpd.controller import Controller

    class Sink:
        count = 0

        async def handle_DATA(self, server, session, envelope):
            Sink.count += 1
            return "250 OK"

    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    done = False

    def stop(*_):
        nonlocal done
        done = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while not done:
        time.sleep(0.2)
    controller.stop()
    print(Sink.count, flush=True)


if __name__ == "__main__":
    main()
