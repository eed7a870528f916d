"""Whom the login limit counts: the connecting address, unless it is a trusted proxy.

These run the real ``growth-manager web`` command (uvicorn as it is configured in production),
because a forged ``X-Forwarded-For`` is believed or not by how the server and app are set up,
which an in-process test client can't show.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import pytest
from pydantic import ValidationError

from growth_manager.config import Settings
from tests.support.live_server import free_port


def _environment(data_dir: Path, port: int, **extra: str) -> dict[str, str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("GROWTH_")}
    return clean | {
        "GROWTH_DATA_DIR": str(data_dir),
        "GROWTH_PORT": str(port),
        "GROWTH_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "GROWTH_LOG_LEVEL": "WARNING",
        "GROWTH_LOGIN_RATE_LIMIT": "3/minute",
        **extra,
    }


@contextmanager
def web_process(tmp_path: Path, **extra: str) -> Iterator[str]:
    """``growth-manager web`` on a migrated SQLite database; yields its base URL."""
    data_dir = tmp_path / "data"
    port = free_port()
    env = _environment(data_dir, port, **extra)
    subprocess.run(
        [sys.executable, "-m", "growth_manager", "migrate"],
        env=env,
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=120,
    )
    log = (tmp_path / "web.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "growth_manager", "web"],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "web.log").read_text()
            try:
                if httpx2.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            assert time.monotonic() < deadline, "web did not answer /health within 60 s"
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _token_attempt(base: str, forwarded_for: str) -> int:
    response = httpx2.post(
        f"{base}/api/v1/auth/token",
        json={"email": "nobody@example.com", "password": "wrong password"},
        headers={"X-Forwarded-For": forwarded_for},
        timeout=10,
    )
    return response.status_code


def test_by_default_a_forged_forwarded_for_does_not_escape_the_login_limit(
    tmp_path: Path,
) -> None:
    with web_process(tmp_path) as base:
        statuses = [_token_attempt(base, f"203.0.113.{n}") for n in range(1, 6)]
    # Five different claimed addresses, one real one (127.0.0.1): one count.
    assert statuses == [401, 401, 401, 429, 429]


def test_a_listed_proxy_has_the_forwarded_client_counted(tmp_path: Path) -> None:
    with web_process(tmp_path, GROWTH_TRUSTED_PROXIES="127.0.0.1") as base:
        first = [_token_attempt(base, "203.0.113.7") for _ in range(4)]
        # Another client behind the same proxy has a count of its own.
        other = _token_attempt(base, "203.0.113.8")
        # The proxy appends the connecting address: only the last entry is believed, so a
        # client can't pick its address by sending its own header through the proxy.
        chained = _token_attempt(base, "198.51.100.1, 203.0.113.7")
    assert first == [401, 401, 401, 429]
    assert other == 401
    assert chained == 429


def test_trusted_proxies_are_read_from_a_comma_separated_list() -> None:
    settings = Settings(trusted_proxies="127.0.0.1, 10.0.0.0/8 ,::1")  # type: ignore[arg-type]
    assert settings.trusted_proxies == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    assert Settings().trusted_proxies == []


def test_a_malformed_trusted_proxy_says_what_to_fix() -> None:
    with pytest.raises(ValidationError, match=r"'proxy\.internal' is not an IP address"):
        Settings(trusted_proxies="127.0.0.1,proxy.internal")  # type: ignore[arg-type]
