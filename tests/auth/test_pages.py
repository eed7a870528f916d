"""Dashboard sign-up, login and logout pages; the session cookie and CSRF protection."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from growth_manager.auth.pages import safe_next
from growth_manager.config import Settings
from growth_manager.db import Database
from growth_manager.models.user import User, UserSession
from tests.auth.conftest import (
    PASSWORD,
    bearer,
    form_csrf,
    login_page,
    page_csrf,
    signed_in_as,
    signup_api,
    token_for,
)


def _signup_form(
    client: TestClient, email: str, password: str = PASSWORD, name: str = "", next_url: str = ""
) -> object:
    csrf = form_csrf(client.get("/signup").text)
    return client.post(
        "/signup",
        data={
            "email": email,
            "password": password,
            "name": name,
            "csrf_token": csrf,
            "next": next_url,
        },
        follow_redirects=False,
    )


def test_root_sends_visitors_to_login_and_users_to_their_businesses(
    client: TestClient,
) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    signup_api(client, "root@example.com")
    login_page(client, "root@example.com")
    response = client.get("/", follow_redirects=False)
    assert response.headers["location"] == "/businesses"


def test_signup_page_creates_the_account_and_logs_in(
    client: TestClient, settings: Settings, database: Database
) -> None:
    page = client.get("/signup")
    assert page.status_code == 200
    assert 'action="/signup"' in page.text
    response = _signup_form(client, "New@Example.com", name="Nora")
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/businesses"  # type: ignore[attr-defined]
    with database.session() as session:
        user = session.scalar(select(User).where(User.email == "new@example.com"))
        assert user is not None
        assert user.name == "Nora"
        user_id = user.id
    assert signed_in_as(client) == user_id
    assert client.get("/api/v1/auth/me").json()["email"] == "new@example.com"


def test_signup_page_errors_keep_the_email_but_never_the_password(
    client: TestClient, database: Database
) -> None:
    signup_api(client, "taken@example.com")
    short = "tiny pw"
    response = _signup_form(client, "fresh@example.com", password=short, name="Fay")
    assert response.status_code == 422  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    assert "password: use at least 10 characters" in html
    assert 'value="fresh@example.com"' in html
    assert 'value="Fay"' in html
    assert short not in html

    secret = "a long unique password"
    duplicate = _signup_form(client, "TAKEN@example.com", password=secret)
    assert duplicate.status_code == 409  # type: ignore[attr-defined]
    assert "already exists" in duplicate.text  # type: ignore[attr-defined]
    assert secret not in duplicate.text  # type: ignore[attr-defined]
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 1


def test_login_page_logs_in_and_sets_a_httponly_samesite_lax_cookie(
    client: TestClient, settings: Settings, database: Database
) -> None:
    user = signup_api(client, "cookie@example.com")
    response = login_page(client, "Cookie@Example.com")
    assert response.status_code == 303
    assert response.headers["location"] == "/businesses"
    set_cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("gm_session=")
    ).lower()
    assert "httponly" in set_cookie
    assert "samesite=lax" in set_cookie
    assert "path=/" in set_cookie
    assert signed_in_as(client) == user["id"]
    # The cookie is a random secret only; the database keeps its hash, never the secret.
    secret = client.cookies["gm_session"]
    assert len(secret) >= 40
    with database.session() as session:
        stored = session.scalars(select(UserSession)).one()
    assert stored.user_id == user["id"]
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (stored.token_hash, stored.id)


def test_login_rotates_the_session_and_its_csrf_token(client: TestClient) -> None:
    signup_api(client, "rotate@example.com")
    before = form_csrf(client.get("/login").text)
    login_page(client, "rotate@example.com")
    first_cookie = client.cookies["gm_session"]
    after = page_csrf(client)
    assert after != before
    # Logging in again (another form, same browser) gives a new session, and ends the old one.
    login_page(client, "rotate@example.com")
    assert client.cookies["gm_session"] != first_cookie
    assert page_csrf(client) not in (before, after)
    client.cookies.clear()
    client.cookies.set("gm_session", first_cookie)
    assert signed_in_as(client) is None


def test_wrong_password_and_unknown_email_render_the_identical_message(
    client: TestClient, settings: Settings
) -> None:
    signup_api(client, "pages@example.com")
    wrong = login_page(client, "pages@example.com", password="not the password")
    unknown = login_page(client, "nobody@example.com")
    for response, email in [(wrong, "pages@example.com"), (unknown, "nobody@example.com")]:
        assert response.status_code == 401
        assert "Email or password is incorrect." in response.text
        assert f'value="{email}"' in response.text
        assert "not the password" not in response.text
    assert signed_in_as(client) is None


def test_login_form_without_its_csrf_token_is_refused(
    client: TestClient, settings: Settings
) -> None:
    signup_api(client, "csrf-login@example.com")
    client.get("/login")
    response = client.post(
        "/login",
        data={"email": "csrf-login@example.com", "password": PASSWORD, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "expired" in response.text
    assert signed_in_as(client) is None


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/businesses/7/drafts?tab=late", "/businesses/7/drafts?tab=late"),
        ("https://evil.example/phish", "/businesses"),
        ("//evil.example/phish", "/businesses"),
        ("/\\evil.example", "/businesses"),
        ("\\\\evil.example", "/businesses"),
        ("/\t/evil.example", "/businesses"),
        ("javascript:alert(1)", "/businesses"),
        ("", "/businesses"),
    ],
)
def test_login_redirects_only_to_paths_on_this_site(
    client: TestClient, next_url: str, expected: str
) -> None:
    signup_api(client, "next@example.com")
    response = login_page(client, "next@example.com", next_url=next_url)
    assert response.status_code == 303
    assert response.headers["location"] == expected


def test_next_from_the_login_redirect_survives_the_form(client: TestClient) -> None:
    signup_api(client, "carry@example.com")
    page = client.get("/login", params={"next": "/businesses/3/settings"})
    assert 'name="next" value="/businesses/3/settings"' in page.text
    evil = client.get("/login", params={"next": "https://evil.example"})
    assert "evil.example" not in evil.text


def test_safe_next_refuses_urls_with_a_host() -> None:
    assert safe_next("/a/b?c=d#e") == "/a/b?c=d#e"
    assert safe_next("http://testserver/a") == "/businesses"
    assert safe_next("/a\nb") == "/businesses"
    assert safe_next(None, default="/x") == "/x"


def test_logged_in_users_skip_the_login_and_signup_forms(client: TestClient) -> None:
    signup_api(client, "skip@example.com")
    login_page(client, "skip@example.com")
    for path in ("/login", "/signup"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/businesses"


def test_logout_page_needs_the_csrf_token_then_ends_the_session(
    client: TestClient, settings: Settings
) -> None:
    signup_api(client, "bye@example.com")
    login_page(client, "bye@example.com")
    refused = client.post("/logout", follow_redirects=False)
    assert refused.status_code == 403
    assert refused.json()["type"] == "forbidden"
    assert client.get("/api/v1/auth/me").status_code == 200

    old_cookie = client.cookies["gm_session"]
    csrf = page_csrf(client)
    response = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert client.get("/api/v1/auth/me").status_code == 401
    assert "You have been logged out." in client.get("/login").text
    # The old cookie, replayed (say, copied before logout), is worth nothing now.
    client.cookies.clear()
    client.cookies.set("gm_session", old_cookie)
    assert client.get("/api/v1/auth/me").status_code == 401
    page = client.get("/businesses", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login")


class TestCsrfOnCookieAuthenticatedRequests:
    """``POST /api/v1/auth/logout`` stands for any state change a cookie session can make."""

    def test_without_the_token_is_403(self, client: TestClient, settings: Settings) -> None:
        signup_api(client, "c1@example.com")
        login_page(client, "c1@example.com")
        response = client.post("/api/v1/auth/logout")
        assert response.status_code == 403
        assert "CSRF" in response.json()["detail"]
        assert signed_in_as(client) is not None

    def test_with_a_wrong_token_is_403(self, client: TestClient, settings: Settings) -> None:
        signup_api(client, "c2@example.com")
        login_page(client, "c2@example.com")
        response = client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": "guess"})
        assert response.status_code == 403

    def test_with_the_header_is_accepted(self, client: TestClient, settings: Settings) -> None:
        signup_api(client, "c3@example.com")
        login_page(client, "c3@example.com")
        csrf = page_csrf(client)
        response = client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
        assert response.status_code == 204
        assert client.get("/api/v1/auth/me").status_code == 401

    def test_with_the_form_field_is_accepted(self, client: TestClient, settings: Settings) -> None:
        signup_api(client, "c4@example.com")
        login_page(client, "c4@example.com")
        csrf = page_csrf(client)
        response = client.post("/api/v1/auth/logout", data={"csrf_token": csrf})
        assert response.status_code == 204
        assert client.get("/api/v1/auth/me").status_code == 401

    def test_bearer_requests_need_no_csrf_token(self, client: TestClient) -> None:
        signup_api(client, "c5@example.com")
        token = token_for(client, "c5@example.com")
        login_page(client, "c5@example.com")  # a cookie is present too, as in a browser
        response = client.post("/api/v1/auth/logout", headers=bearer(token))
        assert response.status_code == 204
        assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 401
