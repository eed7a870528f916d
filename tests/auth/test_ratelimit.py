"""Rate limits on login, API token and sign-up: 429 in the error shape with Retry-After."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis
import time_machine
from fastapi import FastAPI
from fastapi.testclient import TestClient
from limits.storage import MemoryStorage, RedisStorage

from growth_manager.auth.ratelimit import build_rate_limiter
from growth_manager.config import Settings
from tests.auth.conftest import PASSWORD, form_csrf, signup_api

REDIS_URL = "redis://127.0.0.1:6379/15"


def _token_attempt(client: TestClient, password: str = "wrong password") -> int:
    response = client.post(
        "/api/v1/auth/token", json={"email": "limited@example.com", "password": password}
    )
    return response.status_code


def _assert_rate_limited(response: object, window_seconds: int = 60) -> None:
    assert response.status_code == 429  # type: ignore[attr-defined]
    retry_after = int(response.headers["Retry-After"])  # type: ignore[attr-defined]
    assert 1 <= retry_after <= window_seconds


def test_token_endpoint_answers_429_with_retry_after_past_the_limit(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(login_rate_limit="3/minute")
    signup_api(client, "limited@example.com")
    assert [_token_attempt(client) for _ in range(3)] == [401, 401, 401]
    response = client.post(
        "/api/v1/auth/token", json={"email": "limited@example.com", "password": PASSWORD}
    )
    _assert_rate_limited(response)
    body = response.json()
    assert body["type"] == "rate_limited"
    assert "Too many attempts" in body["detail"]
    assert response.headers["Retry-After"] in body["detail"]


def test_the_limit_lifts_when_the_window_has_passed(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(login_rate_limit="2/minute")
    signup_api(client, "limited@example.com")
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False) as traveller:
        assert [_token_attempt(client) for _ in range(3)] == [401, 401, 429]
        traveller.shift(timedelta(seconds=30))
        assert _token_attempt(client, PASSWORD) == 429
        traveller.shift(timedelta(seconds=31))
        assert _token_attempt(client, PASSWORD) == 200


def test_login_page_and_token_endpoint_share_one_count(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(login_rate_limit="3/minute")
    signup_api(client, "limited@example.com")
    assert [_token_attempt(client) for _ in range(2)] == [401, 401]
    csrf = form_csrf(client.get("/login").text)
    form = {"email": "limited@example.com", "password": "wrong password", "csrf_token": csrf}
    assert client.post("/login", data=form).status_code == 401
    page = client.post("/login", data={**form, "password": PASSWORD}, follow_redirects=False)
    _assert_rate_limited(page)
    # The page answers as a page: the form again, with the message and the email kept.
    assert page.headers["content-type"].startswith("text/html")
    assert "Too many attempts" in page.text
    assert 'value="limited@example.com"' in page.text
    assert PASSWORD not in page.text
    assert 'class="alert alert-error"' in page.text


def test_signup_is_rate_limited_too(make_client: Callable[..., TestClient]) -> None:
    client = make_client(login_rate_limit="2/minute")
    statuses = [
        client.post(
            "/api/v1/auth/signup", json={"email": f"s{i}@example.com", "password": PASSWORD}
        ).status_code
        for i in range(3)
    ]
    assert statuses == [201, 201, 429]
    csrf = form_csrf(client.get("/signup").text)
    page = client.post(
        "/signup", data={"email": "s9@example.com", "password": PASSWORD, "csrf_token": csrf}
    )
    _assert_rate_limited(page)


def test_each_client_address_has_its_own_count(make_app: Callable[..., FastAPI]) -> None:
    app = make_app(login_rate_limit="1/minute")
    with (
        TestClient(app, client=("192.0.2.1", 5000)) as first,
        TestClient(app, client=("192.0.2.2", 5000)) as second,
    ):
        signup_api(first, "limited@example.com")
        assert [_token_attempt(first), _token_attempt(first)] == [401, 429]
        assert _token_attempt(second, PASSWORD) == 200


def test_storage_follows_the_settings(settings: Settings) -> None:
    assert isinstance(build_rate_limiter(settings).storage, MemoryStorage)
    with_redis = settings.model_copy(update={"redis_url": REDIS_URL})
    assert isinstance(build_rate_limiter(with_redis).storage, RedisStorage)
    explicit = with_redis.model_copy(update={"rate_limit_storage": "memory://"})
    assert isinstance(build_rate_limiter(explicit).storage, MemoryStorage)
    asynchronous = settings.model_copy(update={"rate_limit_storage": "async+memory://"})
    with pytest.raises(ValueError, match="synchronous storage"):
        build_rate_limiter(asynchronous)


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    prefix = f"gm-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    connection = redis.Redis.from_url(REDIS_URL)
    keys = list(connection.scan_iter(match=f"*{prefix}*"))
    if keys:
        connection.delete(*keys)
    connection.close()


@pytest.mark.redis
def test_limits_are_counted_in_redis_when_configured(
    make_app: Callable[..., FastAPI], redis_prefix: str
) -> None:
    app = make_app(login_rate_limit="2/minute", rate_limit_storage=REDIS_URL)
    app.state.rate_limiter = build_rate_limiter(app.state.settings, key_prefix=redis_prefix)
    with TestClient(app) as client:
        signup_api(client, "limited@example.com")
        assert [_token_attempt(client) for _ in range(3)] == [401, 401, 429]
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        assert list(connection.scan_iter(match=f"*{redis_prefix}/login/testclient*"))
    finally:
        connection.close()
    # A second web process with the same Redis sees the same count.
    other = make_app(login_rate_limit="2/minute", rate_limit_storage=REDIS_URL)
    other.state.rate_limiter = build_rate_limiter(other.state.settings, key_prefix=redis_prefix)
    with TestClient(other) as client:
        response = client.post(
            "/api/v1/auth/token", json={"email": "limited@example.com", "password": PASSWORD}
        )
    _assert_rate_limited(response)
