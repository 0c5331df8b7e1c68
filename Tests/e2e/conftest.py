"""Fixtures for the browser (end-to-end) tests of ConsumerDesk.

The environment comes from scripts/test (see README.md here to run these tests alone):
  CONSUMERDESK_BIN        the built server (default: <repo>/.build/debug/consumerdesk)
  SMTP_SINK_PORT          port of the aiosmtpd sink on 127.0.0.1
  MAIL_DIR                Maildir root of that sink; each message is one file in $MAIL_DIR/new
  CHROME_BIN CHROMEDRIVER Debian's chromium and chromedriver
  E2E_ARTIFACTS           screenshots, page sources and the server log go here (default /tmp/e2e-artifacts)
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS", "/tmp/e2e-artifacts"))
READY_TIMEOUT = 60  # seconds for GET /health/ready to answer 200
LOG_TAIL_LINES = 300

CHROME_ARGS = [
    "--headless=new",
    "--no-sandbox",  # we run as root
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--window-size=1280,900",
    "--lang=ru-RU",
    # Nothing but 127.0.0.1 may be contacted: switch off Chromium's own background traffic.
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-sync",
    "--disable-features=Translate,OptimizationHints,MediaRouter,PasswordLeakDetection,"
    "AutofillServerCommunication,CertificateTransparencyComponentUpdater",
]
CHROME_PREFS = {
    "intl.accept_languages": "ru-RU,ru",
    "credentials_enable_service": False,
    "profile.password_manager_enabled": False,
    "profile.password_manager_leak_detection": False,
}

_REPORTS = pytest.StashKey[dict]()  # item -> {"setup"|"call"|"teardown": TestReport}
_LOG_OFFSET = pytest.StashKey[int]()  # item -> size of the server log when the test started
_server_log: Path | None = None  # set once the server fixture has started the server


def _require_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(
            f"environment variable {name} is not set: run scripts/test, or see Tests/e2e/README.md",
            pytrace=False,
        )
    return value


def _tail(path: Path | None, offset: int = 0, lines: int = LOG_TAIL_LINES) -> str:
    if path is None or not path.exists():
        return ""
    with open(path, "rb") as f:
        f.seek(offset)
        text = f.read().decode("utf-8", errors="replace")
    kept = text.splitlines()[-lines:]
    return "\n".join(kept)


def _safe_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_")


# --- reporting hooks: remember each phase's report; attach the server log to failures -------------


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    log = _server_log
    item.stash[_LOG_OFFSET] = log.stat().st_size if log is not None and log.exists() else 0


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    if report.failed and report.when in ("setup", "call"):
        text = _tail(_server_log, item.stash.get(_LOG_OFFSET, 0))
        if text:
            report.sections.append(("consumerdesk server log (during this test)", text))
    return report


# --- the server -------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(proc: subprocess.Popen, base_url: str, log_path: Path) -> None:
    url = f"{base_url}/health/ready"
    deadline = time.monotonic() + READY_TIMEOUT
    last = "no answer yet"
    while time.monotonic() < deadline:
        code = proc.poll()
        if code is not None:
            pytest.fail(
                f"consumerdesk exited with code {code} before {url} was ready.\n"
                f"--- server log ---\n{_tail(log_path)}",
                pytrace=False,
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
                last = f"HTTP {resp.status}"
        except urllib.error.HTTPError as e:
            last = f"HTTP {e.code}"
        except (urllib.error.URLError, OSError) as e:
            last = str(e)
        time.sleep(0.2)
    pytest.fail(
        f"{url} did not answer 200 within {READY_TIMEOUT} s (last: {last}).\n"
        f"--- server log ---\n{_tail(log_path)}",
        pytrace=False,
    )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # its own session: takes any children with it
        proc.wait(timeout=10)



def spawn_server(binary: str, env: dict, log_path: Path):
    """`consumerdesk serve` with `env`, its output in `log_path`; returns (process, open log file)."""
    log_file = open(log_path, "wb")
    proc = subprocess.Popen(
        [binary, "serve"],
        cwd=REPO_ROOT,  # Resources/ and Public/ are found relative to the working directory
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return proc, log_file


def new_chrome():
    """A headless Debian chromium through Selenium (an explicit driver path: nothing fetched online)."""
    opts = Options()
    opts.binary_location = _require_env("CHROME_BIN")
    for arg in CHROME_ARGS:
        opts.add_argument(arg)
    opts.add_experimental_option("prefs", CHROME_PREFS)
    drv = webdriver.Chrome(service=Service(_require_env("CHROMEDRIVER")), options=opts)
    drv.set_page_load_timeout(30)
    return drv


OIDC_CLIENT_ID = "consumerdesk-e2e"
OIDC_USER = {
    "sub": "esia-ivanova", "email": "ivanova.m@example.ru", "email_verified": True, "name": "Мария Иванова",
    "phone_number": "+7 927 555-77-11", "snils": "112-233-445 95",
}


@pytest.fixture(scope="session")
def oidc_issuer(tmp_path_factory: pytest.TempPathFactory):
    """oidc-provider-mock (a real OpenID Connect provider: RS256 tokens, JWKS, code flow) on 127.0.0.1."""
    import json
    import sys

    binary = Path(sys.executable).parent / "oidc-provider-mock"
    if not binary.exists():
        pytest.fail(f"{binary} is missing: install the pinned test tools (scripts/services.sh)", pytrace=False)
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("oidc") / "oidc.log"
    log_file = open(log_path, "wb")
    proc = subprocess.Popen(
        [str(binary), "-H", "127.0.0.1", "-p", str(port), "--user-claims", json.dumps(OIDC_USER, ensure_ascii=False)],
        stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"oidc-provider-mock exited: {_tail(log_path)}", pytrace=False)
            try:
                with urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"oidc-provider-mock did not start: {_tail(log_path)}", pytrace=False)
            time.sleep(0.2)
        yield issuer
    finally:
        _stop(proc)
        log_file.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, oidc_issuer: str):
    """Starts `consumerdesk serve` on a free 127.0.0.1 port with a fresh SQLite file; yields the base URL."""
    global _server_log
    binary = os.environ.get("CONSUMERDESK_BIN") or str(REPO_ROOT / ".build" / "debug" / "consumerdesk")
    if not os.access(binary, os.X_OK):
        pytest.fail(f"server binary not found or not executable: {binary} (set CONSUMERDESK_BIN)", pytrace=False)
    smtp_port = _require_env("SMTP_SINK_PORT")
    _require_env("MAIL_DIR")

    workdir = tmp_path_factory.mktemp("server")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        HOST="127.0.0.1",
        PORT=str(port),
        SQLITE_PATH=str(workdir / "e2e.sqlite"),
        ATTACHMENTS_DIR=str(workdir / "attachments"),
        DEMO="true",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=smtp_port,
        SMTP_SECURITY="none",
        PUBLIC_URL=base_url,
        LOG_LEVEL="info",
        OIDC_ISSUER=oidc_issuer,
        OIDC_CLIENT_ID=OIDC_CLIENT_ID,
        OIDC_CLIENT_SECRET="e2e-secret",
        OIDC_NAME="Госуслуги",
    )
    log_path = workdir / "server.log"
    proc, log_file = spawn_server(binary, env, log_path)
    _server_log = log_path
    try:
        _wait_ready(proc, base_url, log_path)
        yield base_url
    finally:
        _stop(proc)
        log_file.close()
        try:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(log_path, ARTIFACTS / "server.log")
        except OSError:
            pass


# --- the browser ------------------------------------------------------------------------------------


@pytest.fixture
def driver(request: pytest.FixtureRequest):
    """Headless Debian chromium through Selenium; on failure a screenshot lands in $E2E_ARTIFACTS."""
    drv = new_chrome()
    try:
        yield drv
    finally:
        reports = request.node.stash.get(_REPORTS, {})
        if any(r.failed for r in reports.values()):
            _save_browser_artifacts(drv, request.node)
        drv.quit()


def _save_browser_artifacts(drv, node: pytest.Item) -> None:
    try:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        png = ARTIFACTS / f"{_safe_name(node.nodeid)}.png"
        page = png.with_name(png.stem + ".html")
        drv.save_screenshot(str(png))
        page.write_text(f"<!-- {drv.current_url} -->\n{drv.page_source}", encoding="utf-8")
        print(f"\nbrowser artifacts: {png}, {page} (url {drv.current_url})")
    except Exception as e:  # a broken browser must not hide the test's own failure
        print(f"\ncould not save browser artifacts: {e!r}")


# --- mail from the SMTP sink -------------------------------------------------------------------------


def _addressed_to(msg: EmailMessage, addr: str) -> bool:
    values = []
    for header in ("X-RcptTo", "To", "Cc"):  # X-RcptTo: envelope recipients, added by aiosmtpd
        values += [str(v) for v in (msg.get_all(header) or [])]
    wanted = addr.strip().lower()
    return any(a.strip().lower() == wanted for _, a in email.utils.getaddresses(values))


def read_mails(to_addr: str | None = None) -> list[EmailMessage]:
    """All messages in $MAIL_DIR/new (oldest first), optionally only those addressed to to_addr."""
    new = Path(_require_env("MAIL_DIR")) / "new"
    if not new.is_dir():
        return []
    found = []
    for path in sorted(new.iterdir(), key=lambda p: (p.stat().st_mtime, p.name)):
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            continue
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        if to_addr is None or _addressed_to(msg, to_addr):
            found.append(msg)
    return found


def wait_for_mail(to_addr: str, subject_contains: str, timeout: float = 20, body_contains: str | None = None) -> EmailMessage:
    """Polls $MAIL_DIR/new until a message to to_addr whose subject contains subject_contains
    (case-insensitive) — and, if given, whose text contains body_contains — arrives; returns it.
    Body: mail_text(msg). Demo accounts get mail in every run: pass the server's address as
    body_contains to skip letters left in the sink by an earlier run."""
    needle = subject_contains.lower()
    deadline = time.monotonic() + timeout
    while True:
        for msg in read_mails(to_addr):
            if needle in str(msg.get("Subject", "")).lower() and (body_contains is None or body_contains in mail_text(msg)):
                return msg
        if time.monotonic() >= deadline:
            break
        time.sleep(0.2)
    seen = [str(m.get("Subject", "")) for m in read_mails(to_addr)]
    raise AssertionError(
        f"no mail to {to_addr} with subject containing {subject_contains!r} within {timeout} s; "
        f"subjects to that address: {seen}; messages in the sink: {len(read_mails())}"
    )


def mail_text(msg: EmailMessage) -> str:
    """The text/plain body of a message."""
    body = msg.get_body(("plain",))
    assert body is not None, f"mail {msg.get('Subject')!r} has no text/plain part"
    return body.get_content()
