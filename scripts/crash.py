"""Crash durability: drives the server with appeal submissions (REST API with Idempotency-Key, and the
portal form) and a moderator's decisions, kills it with SIGKILL at a random moment, restarts it and
checks the register against what the server acknowledged. Run through `scripts/crash` (see there).

After every restart:
  - every acknowledged appeal (201/200 from the API, 303 to its card from the form) is there exactly
    once, with the number it was acknowledged with; no number is used twice, none is skipped;
  - every appeal has exactly one «submitted» history row and, with an e-mail, exactly one
    registration mail in the outbox; every acknowledged moderator decision has exactly one history row
    and one mail;
  - an API submission whose answer was lost to the kill is sent again with the same Idempotency-Key:
    it is either answered with the appeal it already made or made now, never twice.
At the end every queued mail reaches the SMTP sink (run here, in this process) at least once, and
repeats carry the same Message-ID, so a receiver can drop them.
"""

import argparse
import email
import json
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter

import requests
from aiosmtpd.controller import Controller

NUMBER = re.compile(r"^\d{2}-\d{4}-\d{6,}$")
FORM_MARK = re.compile(r"crash-form-([0-9a-f]{32})")
API_MARK = re.compile(r"заявка ([0-9a-f]{32})")
REGISTERED = re.compile(r"^Обращение № (\S+) зарегистрировано$")
ACCEPTED = re.compile(r"^Обращение № (\S+) принято к рассмотрению$")


class Sink:
    """An SMTP sink counting each Message-ID it receives."""

    def __init__(self):
        self.received = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        with self.lock:
            self.received[(message.get("Message-ID") or "").strip("<> ")] += 1
        return "250 OK"


class Database:
    """Read-only checks straight on the database the server uses."""

    def __init__(self, sqlite_path=None, url=None, schema=None):
        self.sqlite_path, self.url, self.schema = sqlite_path, url, schema

    def rows(self, sql):
        if self.sqlite_path:
            connection = sqlite3.connect(f"file:{self.sqlite_path}?mode=ro", uri=True, timeout=30)
            try:
                return [tuple(row) for row in connection.execute(sql)]
            finally:
                connection.close()
        script = f"SET search_path TO {self.schema};\n{sql};"
        out = subprocess.run(
            ["psql", self.url, "-X", "-q", "-A", "-t", "-F", "\x1f", "-v", "ON_ERROR_STOP=1", "-c", script],
            check=True, capture_output=True, text=True).stdout
        return [tuple(line.split("\x1f")) for line in out.splitlines() if line]


class Server:
    def __init__(self, binary, env, log_path):
        self.binary, self.env, self.log_path, self.process = binary, env, log_path, None
        self.base = f"http://127.0.0.1:{env['PORT']}"

    def start(self):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen([self.binary, "serve"], env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"the server exited with {self.process.returncode} while starting; log: {self.log_path}")
            try:
                if requests.get(self.base + "/health/ready", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        sys.exit(f"the server did not become ready in 120 s; log: {self.log_path}")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


class Load:
    """What the clients did and what the server acknowledged, across all cycles."""

    def __init__(self, base, territory, citizen_token, moderator_token):
        self.base, self.territory = base, territory
        self.citizen_token, self.moderator_token = citizen_token, moderator_token
        self.lock = threading.Lock()
        self.api_acked = {}        # Idempotency-Key -> number
        self.api_unsure = {}       # Idempotency-Key -> body, answer lost to the kill
        self.form_acked = {}       # marker -> number
        self.form_unsure = set()   # markers whose answer was lost
        self.decided = set()       # numbers the moderator's «accept» was acknowledged for
        self.errors = Counter()    # unexpected answers (status -> count)
        self.stop = threading.Event()

    def body(self, text):
        return {"subcategoryCode": "trade-refund-defective", "territoryId": self.territory, "consent": True,
                "text": text, "conflictName": "ООО «Ромашка»", "email": "crash@consumerdesk.test",
                "answers": {"purchaseDate": "2026-10-01", "claimFiled": "да"}}

    def submit_api(self, session, key, body):
        """True when the server answered (either way), False when the answer was lost."""
        try:
            r = session.post(self.base + "/api/v1/appeals", json=body, timeout=30,
                             headers={"Authorization": "Bearer " + self.citizen_token, "Idempotency-Key": key})
        except requests.RequestException:
            return False
        with self.lock:
            if r.status_code in (200, 201):
                number = r.json()["number"]
                if key in self.api_acked and self.api_acked[key] != number:
                    self.errors[f"replay of {key} answered {number}, first {self.api_acked[key]}"] += 1
                self.api_acked[key] = number
                self.api_unsure.pop(key, None)
            elif r.status_code == 503:
                return False  # stopping or starting: not an answer
            else:
                self.errors[f"API submission {r.status_code}"] += 1
                self.api_unsure.pop(key, None)
        return True

    def api_worker(self):
        session = requests.Session()
        while not self.stop.is_set():
            key = uuid.uuid4().hex
            body = self.body(f"Продавец отказался вернуть деньги за неисправный телефон, заявка {key}.")
            if not self.submit_api(session, key, body):
                with self.lock:
                    self.api_unsure[key] = body
                return

    def form_worker(self):
        session = requests.Session()
        try:
            page = session.get(self.base + "/login", timeout=30)
            csrf = re.search(r'name="_csrf" value="([^"]+)"', page.text).group(1)
            r = session.post(self.base + "/login", timeout=30, allow_redirects=False,
                             data={"login": "citizen@consumerdesk.test", "password": "demo2026", "_csrf": csrf})
            if r.status_code != 303:
                with self.lock:
                    self.errors[f"form sign-in {r.status_code}"] += 1
                return
            page = session.get(self.base + "/appeals/new?subcategory=trade-refund-defective", timeout=30)
            csrf = re.search(r'name="_csrf" value="([^"]+)"', page.text).group(1)
        except requests.RequestException:
            return  # the server was killed while signing in
        except AttributeError:
            with self.lock:
                self.errors["a page without its _csrf field"] += 1
            return
        while not self.stop.is_set():
            marker = uuid.uuid4().hex
            form = {"_csrf": csrf, "subcategoryCode": "trade-refund-defective", "territoryId": self.territory,
                    "surname": "Иванова", "name": "Мария", "email": "crash@consumerdesk.test",
                    "text": f"Телефон сломался через неделю, продавец отказал. crash-form-{marker}",
                    "answers[purchaseDate]": "2026-10-01", "answers[claimFiled]": "да", "consent": "1"}
            try:
                r = session.post(self.base + "/appeals", data=form, timeout=30, allow_redirects=False)
            except requests.RequestException:
                with self.lock:
                    self.form_unsure.add(marker)
                return
            location = r.headers.get("Location", "")
            with self.lock:
                if r.status_code == 303 and location.startswith("/my/appeals/"):
                    self.form_acked[marker] = location.rsplit("/", 1)[1]
                elif r.status_code == 503:
                    self.form_unsure.add(marker)
                    return
                else:
                    self.errors[f"form submission {r.status_code}"] += 1

    def moderator_worker(self):
        session = requests.Session()
        headers = {"Authorization": "Bearer " + self.moderator_token}
        while not self.stop.is_set():
            try:
                r = session.get(self.base + "/api/v1/moderation/queue?limit=20", headers=headers, timeout=30)
                if r.status_code != 200:
                    with self.lock:
                        self.errors[f"moderation queue {r.status_code}"] += 1
                    return
                items = r.json()["items"]
                if not items:
                    time.sleep(0.05)
                for item in items:
                    if self.stop.is_set():
                        return
                    r = session.post(self.base + f"/api/v1/appeals/{item['number']}/moderation",
                                     json={"action": "accept"}, headers=headers, timeout=30)
                    with self.lock:
                        if r.status_code == 200:
                            self.decided.add(item["number"])
                        elif r.status_code not in (409, 503):
                            self.errors[f"moderation {r.status_code}"] += 1
            except requests.RequestException:
                return

    def run_until_killed(self, server, kill_after):
        self.stop.clear()
        threads = [threading.Thread(target=self.api_worker) for _ in range(6)]
        threads += [threading.Thread(target=self.form_worker) for _ in range(2)]
        threads += [threading.Thread(target=self.moderator_worker)]
        for thread in threads:
            thread.start()
        # The random moment counts from when every channel is flowing: on a slow machine (a debug build on
        # CI) signing in through the form or the first moderation round can take longer than the kill delay,
        # and a cycle killed before them proves nothing about them. Waiting is bounded.
        with self.lock:
            start = (len(self.api_acked), len(self.form_acked), len(self.decided))
        began = time.monotonic()
        deadline = began + 60
        while time.monotonic() < deadline:
            with self.lock:
                now = (len(self.api_acked), len(self.form_acked), len(self.decided))
            if all(n > s for n, s in zip(now, start)):
                break
            time.sleep(0.02)
        else:
            idle = [name for name, n, s in zip(("API", "form", "moderator"), now, start) if n <= s]
            with self.lock:
                self.errors[f"nothing acknowledged through {', '.join(idle)} within 60 s of a cycle"] += 1
        flowing = time.monotonic() - began
        time.sleep(kill_after)
        server.kill()
        self.stop.set()
        for thread in threads:
            thread.join()
        return flowing

    def retry_unsure(self):
        """After a restart: the API submissions whose answers were lost, again with the same key."""
        session = requests.Session()
        for key, body in list(self.api_unsure.items()):
            if not self.submit_api(session, key, body):
                sys.exit("the server did not answer a retried submission after its restart")


def check_marks(appeals, pattern, acked, kind, problems):
    """Every marked submission is in the register at most once, and each acknowledged one with the
    number it was acknowledged with."""
    count, where = Counter(), {}
    for row in appeals:
        for mark in pattern.findall(row[4] or ""):
            count[mark] += 1
            where[mark] = row[1]
    for mark, times in count.items():
        if times > 1:
            problems.append(("duplicated", f"{kind} submission {mark} saved {times} times"))
    for mark, number in acked.items():
        if where.get(mark) != number:
            found = "missing" if mark not in where else "saved as " + where[mark]
            problems.append(("lost", f"{kind} appeal {number} ({mark}) acknowledged but {found}"))


def check(db, load):
    """Every invariant; returns what is wrong as (kind, text) pairs (empty: all well) and the register's
    size. Kinds: lost, duplicated, numbering, history, mail."""
    problems = []
    appeals = db.rows("SELECT id, number, year, sequence, text, email FROM appeals")
    numbers = Counter(row[1] for row in appeals)
    for number, count in numbers.items():
        if count > 1:
            problems.append(("duplicated", f"number {number} used {count} times"))
    by_year = {}
    for row in appeals:
        by_year.setdefault(int(row[2]), []).append(int(row[3]))
    for year, sequences in by_year.items():
        sequences.sort()
        if sequences != list(range(1, len(sequences) + 1)):
            problems.append(("numbering", f"numbers of {year} are not 1…{len(sequences)} without gaps"))
    keys = dict(db.rows("SELECT key, appeal_id FROM idempotency_keys"))
    by_id = {row[0]: row[1] for row in appeals}
    for key, number in load.api_acked.items():
        if numbers.get(number, 0) == 0:
            problems.append(("lost", f"API appeal {number} (key {key}) acknowledged but missing"))
        elif by_id.get(keys.get(key)) != number:
            problems.append(("lost", f"Idempotency-Key {key} does not lead to {number}"))
    # Each submission's text carries its key (API) or marker (form): a retry that made a second appeal
    # shows up here even though the key table can name only one of them.
    check_marks(appeals, API_MARK, load.api_acked, "API", problems)
    check_marks(appeals, FORM_MARK, load.form_acked, "form", problems)
    submitted = Counter(row[0] for row in db.rows("SELECT appeal_id FROM appeal_events WHERE action = 'submitted'"))
    accepted = Counter(row[0] for row in db.rows("SELECT appeal_id FROM appeal_events WHERE action = 'accepted'"))
    id_of = {row[1]: row[0] for row in appeals}
    for row in appeals:
        if submitted.get(row[0], 0) != 1:
            problems.append(("history", f"appeal {row[1]} has {submitted.get(row[0], 0)} «submitted» history rows"))
    for number in load.decided:
        if accepted.get(id_of.get(number), 0) != 1:
            problems.append(("lost" if accepted.get(id_of.get(number), 0) == 0 else "duplicated",
                             f"acknowledged acceptance of {number} has {accepted.get(id_of.get(number), 0)} history rows"))
    registered, accepted_mail = Counter(), Counter()
    for (subject,) in db.rows("SELECT subject FROM mail_outbox"):
        if m := REGISTERED.match(subject):
            registered[m.group(1)] += 1
        elif m := ACCEPTED.match(subject):
            accepted_mail[m.group(1)] += 1
    for row in appeals:
        if row[5] and registered.get(row[1], 0) != 1:
            problems.append(("mail", f"appeal {row[1]} has {registered.get(row[1], 0)} registration mails"))
    for number, count in registered.items():
        if number not in numbers:
            problems.append(("mail", f"a registration mail for {number}, which is not in the register"))
    for number in load.decided:
        if accepted_mail.get(number, 0) != 1:
            problems.append(("mail", f"acceptance of {number} has {accepted_mail.get(number, 0)} mails"))
    return problems, len(appeals)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--min-seconds", type=float, default=0.5, help="earliest kill after every channel has been acknowledged")
    parser.add_argument("--max-seconds", type=float, default=3.0, help="latest kill after every channel has been acknowledged")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "18097")))
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)

    tmp = tempfile.mkdtemp(prefix="consumerdesk-crash-")
    sink = Sink()
    with socket.socket() as probe:  # a free port for the sink (aiosmtpd cannot be told port 0)
        probe.bind(("127.0.0.1", 0))
        smtp_port = probe.getsockname()[1]
    smtp = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    env = dict(os.environ, PORT=str(args.port), DEMO="true", LOG_LEVEL="warning",
               ATTACHMENTS_DIR=os.path.join(tmp, "files"), SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp_port),
               SMTP_SECURITY="none", MAIL_LEASE_SECONDS="5", RATE_LIMITS="off")
    url = os.environ.get("DATABASE_URL")
    if url:
        schema = os.environ.get("CRASH_SCHEMA") or f"crash_{os.getpid()}"
        env["DATABASE_SCHEMA"] = schema
        db = Database(url=url, schema=schema)
        engine = "postgresql"
    else:
        env["SQLITE_PATH"] = os.path.join(tmp, "crash.sqlite")
        db = Database(sqlite_path=env["SQLITE_PATH"])
        engine = "sqlite"
    server = Server(args.binary, env, os.path.join(tmp, "server.log"))
    print(f"crash test: {engine}, {args.cycles} cycles of SIGKILL, seed {seed}, server log {server.log_path}", flush=True)
    failed = False
    try:
        server.start()
        base = server.base

        def token(login):
            r = requests.post(base + "/api/v1/auth/token", json={"login": login, "password": "demo2026"}, timeout=30)
            r.raise_for_status()
            return r.json()["token"]

        admin = token("admin@consumerdesk.test")
        territories = requests.get(base + "/api/v1/territories", headers={"Authorization": "Bearer " + admin}, timeout=30).json()
        territory = next(t["id"] for t in territories if t["code"] == "vlg-volgograd")
        load = Load(base, territory, token("citizen@consumerdesk.test"), token("moderator@consumerdesk.test"))
        for cycle in range(1, args.cycles + 1):
            kill_after = rng.uniform(args.min_seconds, args.max_seconds)
            flowing = load.run_until_killed(server, kill_after)
            unsure = len(load.api_unsure) + len(load.form_unsure)
            load.form_unsure.clear()  # reported once; a form without a key cannot be retried
            server.start()
            load.retry_unsure()
            problems, total = check(db, load)
            print(f"cycle {cycle:2}: all channels flowing after {flowing:.2f} s, killed {kill_after:.2f} s later; register {total}, acknowledged "
                  f"{len(load.api_acked)} API + {len(load.form_acked)} form, {len(load.decided)} decisions; "
                  f"{unsure} answers lost to the kill; problems: {len(problems)}", flush=True)
            for kind, text in problems[:20]:
                print(f"    {kind}: {text}")
            failed = failed or bool(problems)

        # Every queued mail is delivered: wait for the outbox to empty (a mail claimed at the moment of a
        # kill waits for its lease to run out), then compare with what the sink got.
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            waiting = int(db.rows("SELECT count(*) FROM mail_outbox WHERE status <> 'sent'")[0][0])
            if waiting == 0:
                break
            time.sleep(0.5)
        outbox = [row[0] for row in db.rows("SELECT message_id FROM mail_outbox")]
        with sink.lock:
            received = Counter(sink.received)
        never = [m for m in outbox if received.get(m, 0) == 0]
        again = sum(1 for m in outbox if received.get(m, 0) > 1)
        stray = sum(1 for m in received if m not in set(outbox))
        problems, total = check(db, load)
        kinds = Counter(kind for kind, _ in problems)
        print()
        print(f"register: {total} appeals; acknowledged: {len(load.api_acked)} through the API, "
              f"{len(load.form_acked)} through the form, {len(load.decided)} moderator decisions")
        print(f"lost: {kinds['lost']}, duplicated: {kinds['duplicated']}, numbering gaps: {kinds['numbering']}, "
              f"history mismatches: {kinds['history']}, outbox mismatches: {kinds['mail']}")
        print(f"mail: {len(outbox)} queued, {len(outbox) - len(never)} delivered, {len(never)} never delivered, "
              f"{again} delivered more than once (same Message-ID), {stray} unknown")
        if load.errors:
            print("unexpected answers:", dict(load.errors))
        # A run that acknowledged nothing of a kind proved nothing about it.
        idle = [kind for kind, count in (("API", len(load.api_acked)), ("form", len(load.form_acked)),
                                         ("moderator", len(load.decided))) if count == 0]
        if idle:
            print("nothing acknowledged through:", ", ".join(idle))
        failed = failed or bool(problems) or bool(never) or bool(stray) or bool(load.errors) or waiting > 0 or bool(idle)
        print("crash test:", "FAILED" if failed else "passed")
    finally:
        server.stop()
        smtp.stop()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
