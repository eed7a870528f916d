"""Connect attempts that must end with nothing stored (or nothing changed), over real HTTP
against the sandbox: replayed state, expired state, a redirect URI the platform does not know,
cancelled consent, publishing scopes not granted, another tenant's business, the picker's
choice expiring. Where the behaviour is the same on every platform, one test runs on each."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
import time_machine
from fastapi.testclient import TestClient

from growth_manager.config import Settings
from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import OAuthState, PendingConnection, SocialAccount
from tests.support.apps import app_sharing
from tests.support.connecting import authorize, finish, landing_text, park, pending, start
from tests.support.consent import consent, with_scopes
from tests.support.owners import Owner, make_owner
from tests.support.sandbox import SandboxHandle
from tests.support.tokenhealth import X_TOKEN_PATH, Sandbox


def counts(database: Database) -> tuple[int, int, int]:
    """(accounts, pending connections, OAuth states) stored."""
    with database.session() as session:
        return (
            session.query(SocialAccount).count(),
            session.query(PendingConnection).count(),
            session.query(OAuthState).count(),
        )


def page_after(client: TestClient, owner: Owner, response: httpx2.Response) -> str:
    """The page the callback redirected to, with its message. The failure page without a
    business answers 400; Connections answers 200."""
    return landing_text(client, owner, response, statuses=(200, 400))


def test_expired_state_is_refused_before_the_code_is_exchanged(
    gm: TestClient,
    owner: Owner,
    database: Database,
    fresh_sandbox: SandboxHandle,
) -> None:
    callback = consent(start(gm, owner))
    sandbox_control = Sandbox(fresh_sandbox)
    token_calls = sandbox_control.count(X_TOKEN_PATH)
    # 11 minutes later (the state lives 10). Only the product runs meanwhile: the state is
    # checked before the code is sent to the platform.
    with time_machine.travel(utcnow() + timedelta(minutes=11), tick=True):
        response = finish(gm, owner, callback)
        # Read inside the travel too: the session cookie carrying the message is signed with
        # the travelled time, and a signature from the future is refused.
        text = page_after(gm, owner, response)
    assert response.headers["location"] == f"/businesses/{owner.business_id}/connections"
    assert "took longer than 10 minutes and expired" in text
    assert counts(database) == (0, 0, 0)  # consumed, nothing stored
    assert sandbox_control.hits(token_calls) == 0  # the code was never sent to X
    sandbox_control.clear_faults()


@pytest.fixture
def elsewhere(
    settings: Settings,
    database: Database,
    gm: TestClient,  # registers the sandbox apps for http://testserver only
    fresh_sandbox: SandboxHandle,
) -> Iterator[TestClient]:
    """The product served under another address than the one registered with the platforms."""
    configured = settings.model_copy(
        update={"sandbox_url": fresh_sandbox.url, "public_url": "http://elsewhere.test"}
    )
    with TestClient(app_sharing(configured, database), base_url=configured.public_url) as client:
        yield client


@pytest.mark.parametrize(
    ("platform", "error_text"),
    [
        ("x", "invalid_redirect_uri"),
        ("linkedin", "The redirect_uri does not match the registered value"),
    ],
)
def test_unregistered_redirect_uri_is_refused_by_the_platform(
    elsewhere: TestClient,
    owner: Owner,
    database: Database,
    platform: str,
    error_text: str,
) -> None:
    url = start(elsewhere, owner, platform)
    assert "redirect_uri=http%3A%2F%2Felsewhere.test%2Fapi%2Fv1%2Foauth%2F" in url
    page = httpx2.get(url, follow_redirects=False)
    # The platform shows its own error page and never redirects to an unverified address.
    assert page.status_code == 400
    assert "location" not in page.headers
    assert error_text in page.text
    accounts, pending, _states = counts(database)
    assert (accounts, pending) == (0, 0)


def test_callback_with_no_state_names_only_a_reason_in_the_url(
    gm: TestClient,
    owner: Owner,
) -> None:
    response = gm.get(
        "/api/v1/oauth/x/callback",
        params={"code": "abc", "error_description": "Call +1-555-0100 now"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/connections/failed?reason=no_state"
    text = page_after(gm, owner, response)
    assert "The platform sent no state with its answer" in text
    assert "555" not in text


def test_logged_out_callback_lands_on_the_failure_page_with_the_products_words(
    gm: TestClient,
    owner: Owner,
) -> None:
    callback = consent(start(gm, owner))
    # The browser that comes back carries no login (no bearer header, no session).
    parts = urlsplit(callback)
    response = gm.get(f"{parts.path}?{parts.query}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/connections/failed?reason=other_user"
    page = gm.get(response.headers["location"])
    assert "This sign-in was started by another Growth Manager user" in html.unescape(page.text)


@pytest.mark.parametrize(
    "query",
    [
        "message=Your+account+is+suspended.+Call+%2B1-555-0100",
        "reason=Your+account+is+suspended.+Call+%2B1-555-0100",
        "reason=__class__&message=Your+account+is+suspended.+Call+%2B1-555-0100",
        "reason=no_state&message=Your+account+is+suspended.+Call+%2B1-555-0100",
    ],
)
def test_failure_page_never_shows_text_from_the_url(
    gm: TestClient,
    query: str,
) -> None:
    page = gm.get(f"/connections/failed?{query}")
    assert page.status_code == 400
    text = " ".join(html.unescape(page.text).split())
    assert "suspended" not in text
    assert "555" not in text
    assert "__class__" not in text
    if query.startswith("reason=no_state"):
        assert "The platform sent no state with its answer" in text
    else:
        assert "The connection did not complete. Start again from the Connections page." in text


# --- the same on every platform ---------------------------------------------------------------
# X connects its one account straight away; LinkedIn and Facebook park the login for the picker.
PARKS = {"x": False, "linkedin": True, "facebook": True}


def access_tokens(database: Database) -> list[str | None]:
    with database.session() as session:
        return [a.access_token for a in session.query(SocialAccount).order_by(SocialAccount.id)]


@pytest.mark.parametrize("platform", ["x", "linkedin", "facebook", "instagram"])
def test_starting_a_connection_for_another_tenants_business_is_404(
    gm: TestClient, owner: Owner, database: Database, platform: str
) -> None:
    stranger = make_owner(database, email="stranger@example.com", name="Stranger Co")
    response = authorize(gm, stranger, platform, owner.business_id)
    assert response.status_code == 404, response.text
    assert counts(database) == (0, 0, 0)


@pytest.mark.parametrize("platform", ["x", "linkedin", "facebook"])
def test_a_replayed_callback_is_refused_and_changes_nothing(
    gm: TestClient, owner: Owner, database: Database, platform: str
) -> None:
    callback = consent(start(gm, owner, platform))
    first = finish(gm, owner, callback)
    assert first.status_code == 303
    if PARKS[platform]:
        assert "/connections/choose/" in first.headers["location"]
        after_first = (0, 1, 0)  # one parked login, nothing connected
    else:
        assert first.headers["location"] == f"/businesses/{owner.business_id}/connections"
        after_first = (1, 0, 0)
    assert counts(database) == after_first
    tokens = access_tokens(database)
    replay = finish(gm, owner, callback)
    assert replay.status_code == 303
    # Only a reason code travels in the URL; the page says what it means.
    assert replay.headers["location"] == "/connections/failed?reason=state_unknown"
    assert "already used" in page_after(gm, owner, replay)
    assert counts(database) == after_first
    assert access_tokens(database) == tokens


@pytest.mark.parametrize(
    ("platform", "parameter", "value", "name"),
    [
        ("x", "error", "access_denied", "X"),
        ("linkedin", "error", "user_cancelled_authorize", "LinkedIn"),
        ("facebook", "error_reason", "user_denied", "Facebook"),
    ],
)
def test_cancelled_consent_ends_on_connections_with_nothing_stored(
    gm: TestClient,
    owner: Owner,
    database: Database,
    platform: str,
    parameter: str,
    value: str,
    name: str,
) -> None:
    callback = consent(start(gm, owner, platform), action="cancel")
    assert parse_qs(urlsplit(callback).query)[parameter] == [value]
    response = finish(gm, owner, callback)
    assert response.status_code == 303
    assert response.headers["location"] == f"/businesses/{owner.business_id}/connections"
    text = landing_text(gm, owner, response)
    assert f"You cancelled the {name} sign-in, so nothing was connected" in text
    assert "{" not in text.split("Connections", 1)[0]  # a page, not a JSON error
    # Nothing is connected, so nothing can be called healthy beside that error.
    assert "All connections are healthy" not in text
    assert counts(database) == (0, 0, 0)


@pytest.mark.parametrize(
    ("platform", "drop", "missing"),
    [
        ("x", ("tweet.write",), "tweet.write"),
        (
            "linkedin",
            ("w_member_social", "w_organization_social"),
            "w_member_social, w_organization_social",
        ),
        (
            "facebook",
            ("pages_manage_posts", "instagram_content_publish"),
            "instagram_content_publish, pages_manage_posts",
        ),
    ],
)
def test_without_publishing_scopes_nothing_is_connected(
    gm: TestClient,
    owner: Owner,
    database: Database,
    platform: str,
    drop: tuple[str, ...],
    missing: str,
) -> None:
    url = with_scopes(start(gm, owner, platform), drop=drop)
    response = finish(gm, owner, consent(url))
    assert response.headers["location"] == f"/businesses/{owner.business_id}/connections"
    text = landing_text(gm, owner, response)
    assert f"Publishing permissions were not granted (missing: {missing})" in text
    assert "Connect again and allow every permission asked for" in text
    assert counts(database) == (0, 0, 0)


@pytest.mark.parametrize("platform", ["linkedin", "facebook"])
def test_the_pickers_choice_expires_after_15_minutes(
    gm: TestClient, owner: Owner, database: Database, platform: str
) -> None:
    token = park(gm, owner, start(gm, owner, platform))
    keys = [i["key"] for i in pending(gm, owner, token)["identities"]]
    with time_machine.travel(utcnow() + timedelta(minutes=14), tick=True):
        assert pending(gm, owner, token)["identities"]  # still there a minute before
    with time_machine.travel(utcnow() + timedelta(minutes=16), tick=True):
        listing = gm.get(
            f"/api/v1/businesses/{owner.business_id}/connections/pending/{token}",
            headers=owner.headers,
        )
        assert listing.status_code == 400
        assert "expired (15 minutes)" in listing.json()["detail"]
        late = gm.post(
            f"/api/v1/businesses/{owner.business_id}/connections/pending/{token}",
            json={"identities": keys},
            headers=owner.headers,
        )
        assert late.status_code == 400
        assert "expired (15 minutes)" in late.json()["detail"]
        # The dashboard page says so on Connections instead of showing an error.
        page = gm.get(
            f"/businesses/{owner.business_id}/connections/choose/{token}",
            headers=owner.headers,
            follow_redirects=False,
        )
        assert page.status_code == 303
        assert page.headers["location"] == f"/businesses/{owner.business_id}/connections"
        text = landing_text(gm, owner, page)
        assert "This choice expired (15 minutes) or was already made. Connect again." in text
    with database.session() as session:
        assert session.query(SocialAccount).count() == 0
