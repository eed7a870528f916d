"""Passwords and tokens never reach the logs: the real pipeline, and ``redact`` itself."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from fastapi.testclient import TestClient

from growth_manager.logging import REDACTED, redact, redact_text
from tests.auth.conftest import bearer, login_page

SECRET_PASSWORD = "pw-Zq81-unique-for-the-log-test"


@pytest.fixture
def captured_logs(client: TestClient) -> Iterator[io.StringIO]:
    """Everything the app logs, rendered exactly as production renders it (the app's own
    formatter, set up by create_app), into a buffer."""
    root = logging.getLogger()
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(root.handlers[0].formatter)
    root.addHandler(handler)
    yield buffer
    root.removeHandler(handler)


def test_signup_token_and_authenticated_requests_log_neither_password_nor_token(
    client: TestClient, captured_logs: io.StringIO
) -> None:
    signup = client.post(
        "/api/v1/auth/signup",
        json={"email": "logs@example.com", "password": SECRET_PASSWORD, "name": "Logs"},
    )
    assert signup.status_code == 201
    issued = client.post(
        "/api/v1/auth/token", json={"email": "logs@example.com", "password": SECRET_PASSWORD}
    )
    token = issued.json()["access_token"]
    assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 200
    assert client.get("/api/v1/auth/tokens", headers=bearer(token)).status_code == 200
    wrong = client.post(
        "/api/v1/auth/token",
        json={"email": "logs@example.com", "password": SECRET_PASSWORD + "x"},
    )
    assert wrong.status_code == 401
    assert login_page(client, "logs@example.com", SECRET_PASSWORD).status_code == 303
    # A careless log call with the token in a field and in free text is still scrubbed.
    structlog.get_logger("tests.auth").warning(
        "auth.probe.logged", authorization=f"Bearer {token}", note=f"retrying with Bearer {token}"
    )

    output = captured_logs.getvalue()
    events = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    names = {event["event"] for event in events}
    # The capture saw the whole flow, so the absence checks below mean something.
    assert {
        "auth.signup.succeeded",
        "auth.token.issued",
        "auth.login.failed",
        "auth.login.succeeded",
        "http.request.completed",
    } <= names
    assert any(event.get("path") == "/api/v1/auth/me" for event in events)
    probe = next(event for event in events if event["event"] == "auth.probe.logged")
    assert probe["authorization"] == REDACTED
    assert probe["note"] == f"retrying with Bearer {REDACTED}"

    assert SECRET_PASSWORD not in output
    assert token not in output
    assert token.removeprefix("gm_") not in output


def test_redact_replaces_values_of_secret_looking_keys() -> None:
    event = redact(
        None,
        "info",
        {
            "event": "x.y.z",
            "password": "hunter2hunter2",
            "access_token": "at-1",
            "Authorization": "Bearer abc",
            "client_secret": "cs-1",
            "token_id": 42,
            "token_type": "bearer",
            "user_id": 7,
            "payload": {"refresh_token": "rt-1", "name": "ok", "nested": {"api_key": "k"}},
        },
    )
    assert event["password"] == REDACTED
    assert event["access_token"] == REDACTED
    assert event["Authorization"] == REDACTED
    assert event["client_secret"] == REDACTED
    assert event["payload"] == {
        "refresh_token": REDACTED,
        "name": "ok",
        "nested": {"api_key": REDACTED},
    }
    # Safe keys and ordinary fields are kept: ids are what make logs useful.
    assert event["token_id"] == 42
    assert event["token_type"] == "bearer"
    assert event["user_id"] == 7
    assert event["event"] == "x.y.z"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("GET /me with Authorization: Bearer gm_abc.DEF-123", "gm_abc.DEF-123"),
        ("POST /oauth/token?access_token=at-secret&x=1", "at-secret"),
        ('body {"refresh_token": "rt-secret", "ok": 1}', "rt-secret"),
        ("client_secret=cs-secret code_verifier=cv-secret", "cs-secret"),
        ("login failed for password=hunter2hunter2", "hunter2hunter2"),
    ],
)
def test_redact_text_scrubs_secrets_out_of_free_text(text: str, secret: str) -> None:
    scrubbed = redact_text(text)
    assert secret not in scrubbed
    assert REDACTED in scrubbed


def test_redact_text_leaves_ordinary_text_alone() -> None:
    text = "published post 12 to x (remote id 1790) in 312 ms"
    assert redact_text(text) == text
    assert redact(None, "info", {"event": text})["event"] == text
