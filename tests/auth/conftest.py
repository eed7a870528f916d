"""Helpers for the auth tests: sign up and log in through the real endpoints and pages."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from growth_manager.config import Settings
from growth_manager.db import Database

PASSWORD = "correct horse battery"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


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


def page_csrf(client: TestClient, path: str = "/businesses") -> str:
    """The CSRF token a dashboard page gives this client (its session's, or the pre-login one)."""
    match = META_CSRF.search(client.get(path).text)
    assert match, f"{path} has no csrf-token meta tag"
    return match.group(1)


def signed_in_as(client: TestClient) -> int | None:
    """The id of the user the client's cookie authenticates, or None."""
    response = client.get("/api/v1/auth/me")
    if response.status_code == 401:
        return None
    assert response.status_code == 200, response.text
    user_id: int = response.json()["id"]
    return user_id


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
