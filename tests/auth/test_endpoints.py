"""The auth REST API over the real app and database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from growth_manager.db import Database
from growth_manager.models.user import ApiToken, User
from tests.auth.conftest import PASSWORD, bearer, signup_api, token_for


def _users(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(User)) or 0


def test_signup_returns_the_user_without_any_secret(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/signup",
        json={"email": "Maya@Example.com", "password": PASSWORD, "name": "Maya"},
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "email", "name", "created_at"}
    assert body["email"] == "maya@example.com"
    assert body["name"] == "Maya"


def test_duplicate_email_in_another_case_is_409_and_leaves_one_row(
    client: TestClient, database: Database
) -> None:
    signup_api(client, "dup@example.com")
    response = client.post(
        "/api/v1/auth/signup", json={"email": "DUP@Example.COM", "password": "other password"}
    )
    assert response.status_code == 409
    assert response.json() == {
        "type": "conflict",
        "detail": "An account with this email already exists. Log in instead.",
    }
    assert _users(database) == 1
    # The original password still works: nothing was overwritten.
    token_for(client, "dup@example.com", PASSWORD)


@pytest.mark.parametrize(
    ("payload", "field", "reason"),
    [
        ({"email": "a@example.com", "password": "short"}, "password", "at least 10 characters"),
        (
            {"email": "nope", "password": PASSWORD},
            "email",
            "must be an email address like name@example.com",
        ),
        ({"email": "a@example.com", "password": 12345678901}, "password", "must be text"),
        ({"email": "a@example.com"}, "password", "is required"),
        (
            {"email": "a@example.com", "password": PASSWORD, "is_admin": True},
            "is_admin",
            "is not a known field",
        ),
    ],
)
def test_invalid_signup_payloads_are_422_naming_the_field(
    client: TestClient, database: Database, payload: dict[str, object], field: str, reason: str
) -> None:
    response = client.post("/api/v1/auth/signup", json=payload)
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "validation_error"
    assert f"{field}:" in body["detail"]
    assert reason in body["detail"]
    assert _users(database) == 0


def test_malformed_json_is_422(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/token",
        content=b'{"email": "a@example.com", "password": ',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert "not valid JSON" in response.json()["detail"]


def test_token_payload_with_wrong_types_and_unknown_fields_is_422(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/token", json={"email": ["a@example.com"], "password": PASSWORD, "x": 1}
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "email:" in detail
    assert "x: is not a known field" in detail


def test_token_grants_access_to_me(client: TestClient) -> None:
    user = signup_api(client, "me@example.com", name="Me")
    response = client.post(
        "/api/v1/auth/token", json={"email": "ME@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_at"}
    assert body["token_type"] == "bearer"
    assert body["access_token"].startswith("gm_")
    expires = datetime.fromisoformat(body["expires_at"])
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)
    me = client.get("/api/v1/auth/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json() == user


def test_wrong_password_and_unknown_email_get_the_identical_answer(client: TestClient) -> None:
    signup_api(client, "real@example.com")
    wrong_password = client.post(
        "/api/v1/auth/token", json={"email": "real@example.com", "password": "wrong password"}
    )
    unknown_email = client.post(
        "/api/v1/auth/token", json={"email": "ghost@example.com", "password": PASSWORD}
    )
    malformed_email = client.post(
        "/api/v1/auth/token", json={"email": "not an email", "password": PASSWORD}
    )
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert malformed_email.status_code == 401
    assert wrong_password.json() == unknown_email.json() == malformed_email.json()
    assert wrong_password.json() == {
        "type": "invalid_credentials",
        "detail": "Email or password is incorrect.",
    }


def test_no_credentials_is_401(client: TestClient) -> None:
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json()["type"] == "not_authenticated"
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header",
    ["Bearer garbage", "Bearer gm_" + "A" * 43, "Bearer  ", "Basic dXNlcjpwYXNz"],
)
def test_garbage_bearer_tokens_are_401(client: TestClient, header: str) -> None:
    signup_api(client, "someone@example.com")
    token_for(client, "someone@example.com")
    response = client.get("/api/v1/auth/me", headers={"Authorization": header})
    assert response.status_code == 401


def test_expired_token_is_refused(client: TestClient) -> None:
    signup_api(client, "expiry@example.com")
    token = token_for(client, "expiry@example.com")
    with time_machine.travel(datetime.now(UTC) + timedelta(days=29, hours=23)):
        assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 200
    with time_machine.travel(datetime.now(UTC) + timedelta(days=30, minutes=1)):
        response = client.get("/api/v1/auth/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.json()["detail"] == "The bearer token is invalid, expired or revoked."


@pytest.mark.parametrize(("method", "path"), [("POST", "/logout"), ("DELETE", "/token")])
def test_logout_revokes_only_the_token_used(client: TestClient, method: str, path: str) -> None:
    signup_api(client, "two@example.com")
    first = token_for(client, "two@example.com")
    second = token_for(client, "two@example.com")
    response = client.request(method, "/api/v1/auth" + path, headers=bearer(first))
    assert response.status_code == 204
    assert client.get("/api/v1/auth/me", headers=bearer(first)).status_code == 401
    assert client.get("/api/v1/auth/me", headers=bearer(second)).status_code == 200


def test_list_and_revoke_own_tokens(client: TestClient, database: Database) -> None:
    signup_api(client, "lister@example.com")
    signup_api(client, "stranger@example.com")
    older = token_for(client, "lister@example.com")
    current = token_for(client, "lister@example.com")
    strangers = token_for(client, "stranger@example.com")

    listed = client.get("/api/v1/auth/tokens", headers=bearer(current))
    assert listed.status_code == 200
    rows = listed.json()
    assert len(rows) == 2
    assert [row["current"] for row in rows] == [True, False]
    assert set(rows[0]) == {"id", "name", "created_at", "expires_at", "last_used_at", "current"}
    assert not any(older in str(row) or current in str(row) for row in rows)

    with database.session() as session:
        stranger_token_id = session.scalar(
            select(ApiToken.id).join(User).where(User.email == "stranger@example.com")
        )
    refused = client.delete(f"/api/v1/auth/tokens/{stranger_token_id}", headers=bearer(current))
    assert refused.status_code == 404
    assert client.get("/api/v1/auth/me", headers=bearer(strangers)).status_code == 200

    older_id = rows[1]["id"]
    revoked = client.delete(f"/api/v1/auth/tokens/{older_id}", headers=bearer(current))
    assert revoked.status_code == 204
    assert client.get("/api/v1/auth/me", headers=bearer(older)).status_code == 401
    remaining = client.get("/api/v1/auth/tokens", headers=bearer(current)).json()
    assert [row["id"] for row in remaining] == [rows[0]["id"]]

    revoked_all = client.delete("/api/v1/auth/tokens", headers=bearer(current))
    assert revoked_all.status_code == 200
    assert revoked_all.json() == {"revoked": 1}
    assert client.get("/api/v1/auth/me", headers=bearer(current)).status_code == 401
    assert client.get("/api/v1/auth/me", headers=bearer(strangers)).status_code == 200


def test_token_name_is_kept_and_blank_names_are_refused(client: TestClient) -> None:
    signup_api(client, "named@example.com")
    response = client.post(
        "/api/v1/auth/token",
        json={"email": "named@example.com", "password": PASSWORD, "name": "zapier"},
    )
    token = response.json()["access_token"]
    rows = client.get("/api/v1/auth/tokens", headers=bearer(token)).json()
    assert [row["name"] for row in rows] == ["zapier"]
    blank = client.post(
        "/api/v1/auth/token", json={"email": "named@example.com", "password": PASSWORD, "name": ""}
    )
    assert blank.status_code == 422
    assert "name:" in blank.json()["detail"]


def test_token_use_is_recorded_without_a_write_per_request(
    client: TestClient, database: Database
) -> None:
    """The first use is recorded; a burst of requests doesn't rewrite it; later use does."""
    signup = {"email": "used@example.com", "password": "a long password here"}
    assert client.post("/api/v1/auth/signup", json=signup).status_code == 201
    token = client.post("/api/v1/auth/token", json=signup).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}

    def last_used() -> object:
        with database.session() as session:
            return session.scalar(select(ApiToken.last_used_at))

    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    first = last_used()
    assert first is not None
    for _ in range(3):
        client.get("/api/v1/auth/me", headers=headers)
    assert last_used() == first
    with time_machine.travel(first + timedelta(minutes=6)):  # type: ignore[operator]
        assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    later = last_used()
    assert later is not None
    assert later > first  # type: ignore[operator]
