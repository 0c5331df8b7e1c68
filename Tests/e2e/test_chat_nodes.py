"""The chat across two server nodes on one PostgreSQL (docs/chat-protocol.md, «Several nodes»).

Two `consumerdesk serve` processes share a fresh schema of TEST_DATABASE_URL. Two staff members of
different organisations talk in a channel between those organisations, each connected to a different
node: every message reaches the other node (PostgreSQL NOTIFY) with its number and text. One of them
disconnects, misses three messages, reconnects to the *other* node with `after` = the last number it
saw, and receives exactly the three it missed, in order, none twice. A member of neither organisation
is refused with `forbidden`.

Needs TEST_DATABASE_URL (exported by `ci_start` in scripts/services.sh); skipped without it. The nodes'
logs are kept in $E2E_ARTIFACTS (chat-node-a.log, chat-node-b.log).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import websocket  # websocket-client

from conftest import _REPORTS, ARTIFACTS, REPO_ROOT, _free_port, _stop, _tail, _wait_ready, spawn_server

PASSWORD = "demo2026"
FRAME_TIMEOUT = 5.0  # seconds for any expected frame to arrive
QUIET = 1.0  # seconds of silence that show nothing more (no duplicate) is coming
HTTP_TIMEOUT = 10.0
# Straight to 127.0.0.1, whatever http_proxy the environment has.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

# Demo organisations (Sources/App/Seed/DemoData.swift), by their short names in /api/v1/organisations.
TO_VOLZHSKY = "ТО в г. Волжском"
ADM_VOLGOGRAD = "Администрация Волгограда"
RPN = "Управление Роспотребнадзора"


# --- two nodes ---------------------------------------------------------------------------------------


class Node:
    def __init__(self, name: str, proc: subprocess.Popen, base_url: str, log_path: Path, log_file) -> None:
        self.name = name
        self.proc = proc
        self.base_url = base_url
        self.log_path = log_path
        self.log_file = log_file

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://", 1) + "/api/v1/ws"


def _start_node(name: str, binary: str, database_url: str, schema: str, workdir: Path) -> Node:
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    # Only what this test sets decides the database and mail: nothing inherited from the caller.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DATABASE_SCHEMA", "SQLITE_PATH", "SMTP_HOST", "SMTP_PORT", "PORT", "HOST")
    }
    env.update(
        HOST="127.0.0.1",
        PORT=str(port),
        DATABASE_URL=database_url,
        DATABASE_SCHEMA=schema,
        ATTACHMENTS_DIR=str(workdir / f"attachments-{name}"),
        DEMO="true",
        PUBLIC_URL=base_url,
        LOG_LEVEL="info",
    )
    log_path = workdir / f"chat-node-{name}.log"
    proc, log_file = spawn_server(binary, env, log_path)
    return Node(name, proc, base_url, log_path, log_file)


def _drop_schema(database_url: str, schema: str) -> None:
    """Best effort: the schema is throwaway; a failure to drop it only leaves it behind."""
    psql = shutil.which("psql") or "/usr/lib/postgresql/15/bin/psql"
    if not os.access(psql, os.X_OK):
        print(f"\npsql not found: schema {schema} left in the test database")
        return
    try:
        subprocess.run(
            [psql, database_url, "-qAt", "-v", "ON_ERROR_STOP=1", "-c", f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'],
            env={**os.environ, "PGCONNECT_TIMEOUT": "5"},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=30,
            check=True,
        )
    except (subprocess.SubprocessError, OSError) as e:
        print(f"\ncould not drop schema {schema}: {e!r}")


@pytest.fixture
def nodes(request: pytest.FixtureRequest, tmp_path: Path):
    """Two nodes (a, b) on one fresh PostgreSQL schema; a starts first and runs the migrations."""
    database_url = os.environ.get("TEST_DATABASE_URL")
    if not database_url:
        pytest.skip(
            "TEST_DATABASE_URL is not set: the cross-node chat test needs PostgreSQL "
            "(run scripts/test, or `source scripts/services.sh && ci_start` first)"
        )
    binary = os.environ.get("CONSUMERDESK_BIN") or str(REPO_ROOT / ".build" / "debug" / "consumerdesk")
    if not os.access(binary, os.X_OK):
        pytest.fail(f"server binary not found or not executable: {binary} (set CONSUMERDESK_BIN)", pytrace=False)
    # Short: the NOTIFY channel is "consumerdesk_chat_<schema>", and PostgreSQL names stop at 63 bytes.
    schema = f"e2e_nodes_{uuid.uuid4().hex[:12]}"
    started: list[Node] = []
    try:
        for name in ("a", "b"):  # one after the other: the first one migrates and loads the demo data
            node = _start_node(name, binary, database_url, schema, tmp_path)
            started.append(node)
            _wait_ready(node.proc, node.base_url, node.log_path)
        yield started[0], started[1]
    finally:
        for node in started:
            _stop(node.proc)
            node.log_file.close()
        # conftest keeps each phase's report: on a failed test, show both nodes' logs with it.
        failed = any(r.failed for r in request.node.stash.get(_REPORTS, {}).values())
        for node in started:
            try:
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(node.log_path, ARTIFACTS / node.log_path.name)
            except OSError:
                pass
            if failed:
                print(f"\n--- node {node.name} ({node.base_url}) log tail ---\n{_tail(node.log_path, lines=120)}")
        _drop_schema(database_url, schema)


# --- HTTP ----------------------------------------------------------------------------------------------


def _http(method: str, url: str, body: dict | None = None, token: str | None = None) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with _OPENER.open(req, timeout=HTTP_TIMEOUT) as resp:
            raw = resp.read()
            status = resp.status
    except urllib.error.HTTPError as e:
        raw = e.read()
        status = e.code
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode("utf-8", errors="replace")


def token_for(node: Node, login: str) -> tuple[str, dict]:
    """A bearer token and the user (with grants) it belongs to."""
    status, body = _http("POST", f"{node.base_url}/api/v1/auth/token", {"login": login, "password": PASSWORD})
    assert status == 200, f"token for {login} on node {node.name}: HTTP {status} {body}"
    return body["token"], body["user"]


def organisation_ids(node: Node, token: str) -> dict[str, str]:
    status, body = _http("GET", f"{node.base_url}/api/v1/organisations", token=token)
    assert status == 200, f"GET /api/v1/organisations: HTTP {status} {body}"
    return {o["shortName"]: o["id"].upper() for o in body}


def staff_organisations(user: dict) -> set[str]:
    return {g["organisationId"].upper() for g in user["grants"] if g.get("organisationId") and g["role"] != "citizen"}


# --- WebSocket -----------------------------------------------------------------------------------------


class ChatClient:
    """One programmatic chat connection; every received frame is kept (in order) for failure messages."""

    def __init__(self, label: str, node: Node, token: str) -> None:
        self.label = f"{label}@{node.name}"
        self.ws = websocket.create_connection(
            node.ws_url,
            header=[f"Authorization: Bearer {token}"],
            timeout=FRAME_TIMEOUT,
            http_no_proxy=["127.0.0.1"],
        )
        self.received: list[dict] = []

    def send(self, **frame) -> None:
        self.ws.send(json.dumps(frame, ensure_ascii=False))

    def _next(self, deadline: float) -> dict | None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        self.ws.settimeout(remaining)
        try:
            raw = self.ws.recv()
        except websocket.WebSocketTimeoutException:
            return None
        frame = json.loads(raw)
        self.received.append(frame)
        return frame

    def frames(self, count: int, timeout: float = FRAME_TIMEOUT) -> list[dict]:
        """Exactly the next `count` frames, or fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        got: list[dict] = []
        while len(got) < count:
            frame = self._next(deadline)
            if frame is None:
                raise AssertionError(
                    f"{self.label}: expected {count} frames within {timeout} s, got {len(got)}: {got}"
                )
            got.append(frame)
        return got

    def quiet(self, duration: float = QUIET) -> list[dict]:
        """Whatever arrives within `duration` seconds (expected: nothing)."""
        deadline = time.monotonic() + duration
        got = []
        while (frame := self._next(deadline)) is not None:
            got.append(frame)
        return got

    def subscribe(self, topic: str, after: int = 0) -> dict:
        self.send(type="subscribe", topic=topic, after=after)
        (frame,) = self.frames(1)
        assert frame.get("type") == "subscribed" and frame.get("topic", "").upper() == topic.upper(), (
            f"{self.label}: subscribe to {topic} answered {frame}"
        )
        return frame

    def close(self) -> None:
        try:
            self.ws.close(timeout=2)
        except Exception:
            pass


def messages_of(frames: list[dict], topic: str) -> list[dict]:
    return [f for f in frames if f.get("type") == "message" and f.get("topic", "").upper() == topic.upper()]


def acks_of(frames: list[dict], topic: str) -> list[dict]:
    return [f for f in frames if f.get("type") == "ack" and f.get("topic", "").upper() == topic.upper()]


def send_and_confirm(sender: ChatClient, topic: str, text: str, seq: int) -> None:
    """Sends `text`; the sender gets its ack (number `seq`) and its own message back, nothing else."""
    ref = f"ref-{uuid.uuid4().hex[:8]}"
    sender.send(type="send", topic=topic, text=text, ref=ref)
    got = sender.frames(2)
    acks, own = acks_of(got, topic), messages_of(got, topic)
    assert len(acks) == 1 and len(own) == 1, f"{sender.label}: expected an ack and the message, got {got}"
    assert acks[0].get("ref") == ref and acks[0].get("seq") == seq, f"{sender.label}: ack {acks[0]}, expected seq {seq}"
    assert own[0]["seq"] == seq and own[0]["text"] == text, f"{sender.label}: own message {own[0]}"


def assert_message(frame: dict, topic: str, seq: int, text: str, who: str) -> None:
    assert frame.get("type") == "message", f"{who}: expected a message, got {frame}"
    assert frame.get("topic", "").upper() == topic.upper(), f"{who}: message of another topic: {frame}"
    assert (frame.get("seq"), frame.get("text")) == (seq, text), f"{who}: expected #{seq} {text!r}, got {frame}"
    assert frame.get("authorKind") == "staff", f"{who}: {frame}"


# --- the test ------------------------------------------------------------------------------------------


def test_chat_messages_cross_nodes_and_resume_on_the_other_node(nodes) -> None:
    node_a, node_b = nodes
    clients: list[ChatClient] = []
    try:
        _run_scenario(node_a, node_b, clients)
    finally:
        for c in clients:
            c.close()


def _run_scenario(node_a: Node, node_b: Node, clients: list[ChatClient]) -> None:
    # Who is who, from the data rather than assumed: tokens issued by different nodes work on both.
    admin_token, _ = token_for(node_a, "admin@consumerdesk.test")
    orgs = organisation_ids(node_a, admin_token)
    for short in (TO_VOLZHSKY, ADM_VOLGOGRAD, RPN):
        assert short in orgs, f"demo organisation {short!r} missing from /api/v1/organisations: {sorted(orgs)}"
    x_token, x_user = token_for(node_a, "coordinator@consumerdesk.test")
    y_token, y_user = token_for(node_b, "operator@consumerdesk.test")
    z_token, z_user = token_for(node_b, "editor@consumerdesk.test")
    assert orgs[TO_VOLZHSKY] in staff_organisations(x_user), f"coordinator's grants: {x_user['grants']}"
    assert orgs[ADM_VOLGOGRAD] in staff_organisations(y_user), f"operator's grants: {y_user['grants']}"
    z_orgs = staff_organisations(z_user)
    assert z_orgs == {orgs[RPN]}, f"editor's grants: {z_user['grants']} (expected staff of rpn only)"
    assert not z_orgs & {orgs[TO_VOLZHSKY], orgs[ADM_VOLGOGRAD]}

    # A channel between the two organisations, opened by X (a member of one of them) on node A.
    status, body = _http(
        "POST",
        f"{node_a.base_url}/api/v1/messages/channels",
        {
            "title": f"Два узла {uuid.uuid4().hex[:6]}",
            "organisations": [orgs[TO_VOLZHSKY], orgs[ADM_VOLGOGRAD]],
            "includesSubordinates": False,
        },
        token=x_token,
    )
    assert status == 201, f"POST /api/v1/messages/channels: HTTP {status} {body}"
    topic = body["id"]

    x = ChatClient("X(coordinator)", node_a, x_token)
    clients.append(x)
    y = ChatClient("Y(operator)", node_b, y_token)
    clients.append(y)
    assert x.subscribe(topic)["lastSeq"] == 0
    assert y.subscribe(topic)["lastSeq"] == 0

    # X on node A → Y on node B.
    text1 = f"Сообщение 1 с узла A: «проверка» {uuid.uuid4().hex[:6]}"
    send_and_confirm(x, topic, text1, seq=1)
    (frame,) = y.frames(1)
    assert_message(frame, topic, 1, text1, y.label)

    # Y on node B → X on node A.
    text2 = f"Ответ 2 с узла B {uuid.uuid4().hex[:6]}"
    send_and_confirm(y, topic, text2, seq=2)
    (frame,) = x.frames(1)
    assert_message(frame, topic, 2, text2, x.label)
    assert y.quiet() == [], f"{y.label}: unexpected frames"

    # «печатает…» crosses nodes too (never stored, never echoed to the one typing).
    x.send(type="typing", topic=topic)
    (frame,) = y.frames(1)
    assert frame.get("type") == "typing" and frame.get("topic") == topic and frame.get("name") == "Дмитрий Морозов", f"{y.label}: {frame}"
    assert x.quiet() == [], f"{x.label}: its own typing came back"
    assert x.quiet() == [], f"{x.label}: unexpected frames"
    last_seen = max(m["seq"] for m in messages_of(y.received, topic))
    assert last_seen == 2

    # Y goes away; X writes three more that Y misses.
    y.close()
    missed = [f"Пропущенное {n} {uuid.uuid4().hex[:6]}" for n in (3, 4, 5)]
    for seq, text in zip((3, 4, 5), missed):
        send_and_confirm(x, topic, text, seq=seq)

    # Y comes back on the other node (A) and resumes after the last number it saw.
    y2 = ChatClient("Y(operator, reconnected)", node_a, y_token)
    clients.append(y2)
    subscribed = y2.subscribe(topic, after=last_seen)
    assert subscribed["lastSeq"] == 5, f"{y2.label}: {subscribed}"
    resumed = y2.frames(3)
    for frame, seq, text in zip(resumed, (3, 4, 5), missed):
        assert_message(frame, topic, seq, text, y2.label)
    extra = y2.quiet()
    assert extra == [], f"{y2.label}: frames after the three missed messages (a duplicate?): {extra}"
    y2.send(type="ping")
    assert y2.frames(1) == [{"type": "pong"}]
    assert x.quiet(0.3) == [], f"{x.label}: unexpected frames"

    # A staff member of neither organisation (editor @ rpn, the parent of to-volzhsky; the channel does
    # not include subordinates or parents) is refused, on either node, and the socket stays usable.
    for node in (node_b, node_a):
        z = ChatClient("Z(editor)", node, z_token)
        clients.append(z)
        z.send(type="subscribe", topic=topic, after=0)
        (frame,) = z.frames(1)
        assert frame.get("type") == "error" and frame.get("code") == "forbidden", f"{z.label}: {frame}"
        assert frame.get("topic", "").upper() == topic.upper(), f"{z.label}: {frame}"
        z.send(type="ping")
        assert z.frames(1) == [{"type": "pong"}], f"{z.label}: {z.received}"
        assert z.quiet(0.3) == [], f"{z.label}: frames of a channel it may not read: {z.received}"
