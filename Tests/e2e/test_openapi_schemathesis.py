"""The OpenAPI document against the running server: schemathesis generates requests for every
operation of /openapi.json (the examples, the boundary values and random input), once signed in as each
role of the demo (the platform's and an organisation's administrator, moderator, coordinator, executor,
manager, curator, editor, operator, citizen) and once anonymously, and checks that no answer is a 5xx
and that every answer's status, media type and body match the document."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from conftest import ARTIFACTS, REPO_ROOT, _free_port, _stop, _wait_ready, spawn_server
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


@pytest.fixture()
def own_server(tmp_path_factory: pytest.TempPathFactory):
    """A server of its own for each role's run: schemathesis writes (organisations, users, blocks and
    grants, a classifier import), which must change neither what the other journeys see nor the next
    role's run (the administrator's run may block the account the next run signs in with)."""
    binary = os.environ.get("CONSUMERDESK_BIN") or str(REPO_ROOT / ".build" / "debug" / "consumerdesk")
    workdir = tmp_path_factory.mktemp("schemathesis-server")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SMTP_HOST")}
    env.update(
        HOST="127.0.0.1", PORT=str(port), SQLITE_PATH=str(workdir / "api.sqlite"),
        ATTACHMENTS_DIR=str(workdir / "attachments"), DEMO="true", PUBLIC_URL=base_url, LOG_LEVEL="warning",
    )
    log_path = workdir / "server.log"
    proc, log_file = spawn_server(binary, env, log_path)
    try:
        _wait_ready(proc, base_url, log_path)
        yield base_url
    finally:
        _stop(proc)
        log_file.close()


def token(server: str, login: str) -> str:
    answer = requests.post(f"{server}/api/v1/auth/token", json={"login": login, "password": "demo2026"}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["token"]


def test_the_document_describes_the_api(server: str) -> None:
    document = requests.get(f"{server}/openapi.json", timeout=30).json()
    assert document["openapi"] == "3.1.0"
    operations = [op for item in document["paths"].values() for op in item.values()]
    assert len(operations) > 70
    page = requests.get(f"{server}/api/docs", timeout=30)
    assert page.status_code == 200 and "Документация API" in page.text


# Who fuzzes: every role, and nobody. The administrator, who reaches every operation, gets the most
# examples; the others mostly prove that a refusal is a documented 4xx and never a 5xx.
ROLES = [
    ("admin@consumerdesk.test", 12), ("admin.volgograd@consumerdesk.test", 4), ("moderator@consumerdesk.test", 4),
    ("coordinator@consumerdesk.test", 4), ("executor@consumerdesk.test", 4), ("manager@consumerdesk.test", 4),
    ("curator@consumerdesk.test", 4), ("editor@consumerdesk.test", 4), ("operator@consumerdesk.test", 4),
    ("citizen@consumerdesk.test", 6), (None, 6),
]


@pytest.mark.parametrize("login,examples", ROLES, ids=[login or "anonymous" for login, _ in ROLES])
def test_schemathesis_finds_no_server_error_and_no_mismatch(own_server: str, login: str | None, examples: int) -> None:
    server = own_server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    binary = Path(sys.executable).parent / "schemathesis"
    name = (login or "anonymous").split("@")[0]
    command = [
        str(binary), "run", f"{server}/openapi.json",
        "--checks", CHECKS,
        # Signing out would end the run's own session; the socket needs an upgrade, not a request.
        "--exclude-operation-id", "deleteAuthToken", "--exclude-operation-id", "getWs",
        "--max-examples", os.environ.get("SCHEMATHESIS_EXAMPLES", str(examples)),
        "--seed", "20261123",
        "--request-timeout", "30",
        "--max-redirects", "0",
        "--no-color",
        "--report", "junit", "--report-dir", str(ARTIFACTS / "schemathesis" / name),
    ]
    if login:
        command[3:3] = ["-H", f"Authorization: Bearer {token(server, login)}"]
    # Its own working directory: schemathesis keeps found examples in ./.schemathesis.
    run = subprocess.run(command, capture_output=True, text=True, timeout=1800, cwd=ARTIFACTS)
    (ARTIFACTS / f"schemathesis-{name}.log").write_text(run.stdout + run.stderr, encoding="utf-8")
    assert run.returncode == 0, run.stdout[-12000:] + run.stderr[-3000:]
