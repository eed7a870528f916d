"""No token, code, state or secret reaches either process's logs, and the product's data files
are private.

A Facebook connect runs over real HTTP between the real ``growth-manager web`` and
``growth-manager sandbox`` processes (uvicorn configured as in production, access logs on),
with both processes' output captured. Every credential the flow used is then looked for in
both logs: the state and code of the callback, the app secret, and every code and token the
sandbox issued (read from its state export).
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest

from growth_manager.providers.registry import descriptor
from tests.support.consent import consent
from tests.support.live_server import free_port

PASSWORD = "log-test-password-Zx81"


@dataclass
class Process:
    base_url: str
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def _serve(argv: list[str], env: dict[str, str], log: Path, health_url: str) -> Iterator[None]:
    with log.open("wb") as sink:
        process = subprocess.Popen(argv, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx2.get(health_url, timeout=2).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            assert time.monotonic() < deadline, f"{health_url} did not answer within 60 s"
            time.sleep(0.2)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Product:
    web: Process
    sandbox: Process
    data_dir: Path
    env: dict[str, str]


@pytest.fixture
def product(tmp_path: Path) -> Iterator[Product]:
    data_dir = tmp_path / "data"
    web_port, sandbox_port = free_port(), free_port()
    web_url, sandbox_url = f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{sandbox_port}"
    clean = {key: value for key, value in os.environ.items() if not key.startswith("GROWTH_")}
    env = clean | {
        "GROWTH_DATA_DIR": str(data_dir),
        "GROWTH_PORT": str(web_port),
        "GROWTH_PUBLIC_URL": web_url,
        "GROWTH_SANDBOX_URL": sandbox_url,
        "GROWTH_SANDBOX_PORT": str(sandbox_port),
        "GROWTH_LOG_LEVEL": "INFO",  # access lines are INFO: the point is to see them
    }
    exe = [sys.executable, "-m", "growth_manager"]
    for command in (
        ["migrate"],
        ["create-user", "--email", "logs@example.com", "--name", "Logs", "--password", PASSWORD],
    ):
        subprocess.run(
            [*exe, *command], env=env, cwd=tmp_path, check=True, capture_output=True, timeout=120
        )
    web = Process(web_url, tmp_path / "web.log")
    sandbox = Process(sandbox_url, tmp_path / "sandbox.log")
    with ExitStack() as stack:
        stack.enter_context(
            _serve(
                [*exe, "sandbox", "--port", str(sandbox_port), "--data", str(tmp_path / "sb")],
                env,
                sandbox.log,
                f"{sandbox_url}/_sandbox/health",
            )
        )
        stack.enter_context(_serve([*exe, "web"], env, web.log, f"{web_url}/health"))
        yield Product(web, sandbox, data_dir, env)


def _string_values(tables: dict[str, list[dict[str, object]]], columns: set[str]) -> set[str]:
    return {
        value
        for rows in tables.values()
        for row in rows
        for column, value in row.items()
        if column in columns and isinstance(value, str) and len(value) >= 8
    }


def test_a_facebook_connect_leaves_no_credential_in_either_log(product: Product) -> None:
    with httpx2.Client(base_url=product.web.base_url, timeout=20) as gm:
        issued = gm.post(
            "/api/v1/auth/token", json={"email": "logs@example.com", "password": PASSWORD}
        )
        assert issued.status_code == 200, issued.text
        api_token = issued.json()["access_token"]
        gm.headers["Authorization"] = f"Bearer {api_token}"
        business = gm.post("/api/v1/businesses", json={"name": "Logs Bakery"}).json()
        started = gm.get(
            "/api/v1/oauth/facebook/authorize",
            params={"business_id": business["id"], "format": "json"},
        )
        assert started.status_code == 200, started.text
        authorize_url = started.json()["authorization_url"]
        callback = consent(authorize_url)
        parts = urlsplit(callback)
        finished = gm.get(f"{parts.path}?{parts.query}", follow_redirects=False)
        assert finished.status_code == 303, finished.text
        pending_token = finished.headers["location"].rsplit("/", 1)[1].split("#")[0]
        listing = gm.get(
            f"/api/v1/businesses/{business['id']}/connections/pending/{pending_token}"
        ).json()
        keys = [identity["key"] for identity in listing["identities"]]
        connected = gm.post(
            f"/api/v1/businesses/{business['id']}/connections/pending/{pending_token}",
            json={"identities": keys},
        )
        assert connected.status_code == 201, connected.text

    state = parse_qs(urlsplit(authorize_url).query)["state"][0]
    code = parse_qs(parts.query)["code"][0]
    issued_by_sandbox = httpx2.get(f"{product.sandbox.base_url}/_sandbox/state").json()["tables"]
    tokens = _string_values(issued_by_sandbox, {"code", "token", "access_token"})
    secrets = {
        "state": {state},
        "code": {code},
        "app secret": {descriptor("facebook").app.sandbox_client[1]},
        "sandbox codes and tokens": tokens,
        "API token": {api_token},
        "password": {PASSWORD},
    }
    assert len(tokens) >= 3  # the code, the short-lived and long-lived user tokens, page tokens

    web_log, sandbox_log = product.web.text(), product.sandbox.text()
    # The logs did record the requests that carried those values, redacted.
    assert "/api/v1/oauth/facebook/callback?code=[redacted]&state=[redacted]" in web_log
    assert "oauth/access_token?" in sandbox_log
    assert "client_secret=[redacted]" in sandbox_log
    assert "fb_exchange_token=[redacted]" in sandbox_log
    assert "access_token=[redacted]" in sandbox_log
    leaks = [
        f"{what} in the {name} log"
        for name, text in (("web", web_log), ("sandbox", sandbox_log))
        for what, values in secrets.items()
        if any(value in text for value in values)
    ]
    assert leaks == []

    # What the processes wrote to the data directory is theirs alone.
    assert stat.S_IMODE(product.data_dir.stat().st_mode) == 0o700
    for name in ("growth.sqlite3", "growth.sqlite3-wal", "secret_key", "token_keys"):
        path = product.data_dir / name
        if name.endswith("-wal") and not path.exists():
            continue
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
