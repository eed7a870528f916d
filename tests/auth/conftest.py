"""Helpers for the auth tests: sign up and log in through the real endpoints and pages."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner

from growth_manager.config import Settings
from growth_manager.db import Database

PASSWORD = "correct horse battery"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def signup_api(client: TestClient, email: str, password: str = PASSWORD, name: str = "") -> Any:
    response = client.post(
        "/api/v1/auth/signup", json={"email": email, "password": password, "name": name}
    )
    assert response.status_code == 201, response.text
    return response.json()


def token_for(client: TestClient, email: str, password: str = PASSWORD) -> str:
    response = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def form_csrf(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "the page has no csrf_token input"
    return match.group(1)


def login_page(client: TestClient, email: str, password: str = PASSWORD, next_url: str = "") -> Any:
    """Logs in through the dashboard form (GET for the CSRF token, then POST)."""
    csrf = form_csrf(client.get("/login").text)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf, "next": next_url},
        follow_redirects=False,
    )


def session_data(client: TestClient, settings: Settings) -> dict[str, Any]:
    """The decoded, signature-checked contents of the dashboard session cookie."""
    cookie = client.cookies.get("gm_session")
    if cookie is None:
        return {}
    signer = TimestampSigner(settings.resolved_secret_key())
    payload = signer.unsign(cookie.encode())
    data: dict[str, Any] = json.loads(base64.b64decode(payload))
    return data


@pytest.fixture
def make_app(settings: Settings, database: Database) -> Callable[..., FastAPI]:
    """An app built from the test settings with some of them changed."""

    def make(**overrides: Any) -> FastAPI:
        from growth_manager.app import create_app

        app = create_app(settings.model_copy(update=overrides))
        app.state.database.dispose()
        app.state.database = database
        return app

    return make


@pytest.fixture
def make_client(make_app: Callable[..., FastAPI]) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        test_client = TestClient(make_app(**overrides), base_url="http://testserver")
        test_client.__enter__()
        clients.append(test_client)
        return test_client

    yield make
    for test_client in clients:
        test_client.__exit__(None, None, None)
