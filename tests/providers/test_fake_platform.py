"""A fifth platform registered from one folder works everywhere the product deals with
platforms, with nothing outside that folder knowing its name: the Connections page offers it,
connecting it runs the OAuth round trip (PKCE, state, callback) against its own server, its
budgets are recorded and named, and the token sweep renews and verifies it."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from fastapi.testclient import TestClient

from growth_manager.app import create_app
from growth_manager.config import Settings
from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import AccountStatus, SocialAccount
from growth_manager.models.user import User
from growth_manager.providers import registry
from growth_manager.tokens.keeper import TokenKeeper
from tests.support.factories import bearer_for, login_client, make_business, make_user
from tests.support.fake_platform import FakebookProvider, FakebookSettings, FakeOAuthServer
from tests.support.fake_platform.server import PROFILE


@pytest.fixture
def server() -> Iterator[FakeOAuthServer]:
    """Fakebook registered with the product, talking to a fresh server of its own."""
    fresh = FakeOAuthServer()
    FakebookProvider.server = fresh
    registry.register(FakebookProvider)
    try:
        yield fresh
    finally:
        registry.unregister(FakebookProvider.platform)


@pytest.fixture
def fake_settings(settings: Settings) -> FakebookSettings:
    return FakebookSettings.model_validate(settings.model_dump())


@pytest.fixture
def gm(
    fake_settings: FakebookSettings, database: Database, server: FakeOAuthServer
) -> Iterator[TestClient]:
    app = create_app(fake_settings)
    app.state.database.dispose()
    app.state.database = database
    with TestClient(app, base_url=fake_settings.public_url) as client:
        yield client


@pytest.fixture
def owner(database: Database) -> tuple[int, int, dict[str, str]]:
    """(user id, business id, API headers) of a business owner."""
    with database.session() as session:
        user = make_user(session, "owner@fakebook.test")
        business = make_business(session, user, name="Fake Bakery Ltd")
        return user.id, business.id, bearer_for(session, user)


def start(gm: TestClient, business_id: int, headers: dict[str, str]) -> str:
    """Ask to connect Fakebook: the consent URL the browser is sent to."""
    started = gm.get(
        "/api/v1/oauth/fakebook/authorize",
        params={"business_id": business_id},
        headers=headers,
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    return str(started.headers["location"])


def connect(
    gm: TestClient, server: FakeOAuthServer, business_id: int, headers: dict[str, str]
) -> tuple[str, httpx2.Response]:
    """Start, consent at Fakebook, come back: (the consent URL, the callback's answer)."""
    authorize_url = start(gm, business_id, headers)
    callback = urlsplit(server.consent(authorize_url))
    finished = gm.get(f"{callback.path}?{callback.query}", headers=headers, follow_redirects=False)
    return authorize_url, finished


def test_connect_round_trip(
    gm: TestClient,
    server: FakeOAuthServer,
    owner: tuple[int, int, dict[str, str]],
    database: Database,
) -> None:
    _, business_id, headers = owner
    authorize_url, finished = connect(gm, server, business_id, headers)
    query = parse_qs(urlsplit(authorize_url).query)
    assert authorize_url.startswith("https://www.fakebook.test/authorize?")
    # The callback is the platform's own, built from its key; the scopes are its descriptor's.
    assert query["redirect_uri"] == ["http://testserver/api/v1/oauth/fakebook/callback"]
    assert query["scope"] == ["profile.read posts.write stats.read"]
    assert query["code_challenge_method"] == ["S256"]  # the descriptor asks for PKCE
    # One identity per login: connected at once, back on the Connections page.
    assert finished.status_code == 303, finished.text
    assert finished.headers["location"] == f"/businesses/{business_id}/connections"
    accounts = gm.get(f"/api/v1/businesses/{business_id}/accounts", headers=headers).json()
    assert [(a["platform"], a["kind"], a["external_id"]) for a in accounts] == [
        ("fakebook", "profile", PROFILE["id"])
    ]
    account = accounts[0]
    assert account["status"] == "active"
    assert account["is_sandbox"] is False
    assert account["missing_publish_scopes"] == []
    assert account["missing_analytics_scopes"] == []
    # The login's own GET /me reported a budget, read by the platform's parser and named
    # from its descriptor.
    [budget] = account["rate_limits"]
    assert (budget["endpoint"], budget["limit"], budget["remaining"]) == ("GET /me", 100, 99)
    assert budget["purpose"] == "Profile reads"
    with database.session() as session:
        stored = session.get(SocialAccount, account["id"])
        assert stored is not None
        assert stored.access_token in server.access_tokens
        assert stored.refresh_token in server.refresh_tokens


def test_callback_on_another_platform_is_refused(
    gm: TestClient, server: FakeOAuthServer, owner: tuple[int, int, dict[str, str]]
) -> None:
    _, business_id, headers = owner
    callback = urlsplit(server.consent(start(gm, business_id, headers)))
    wrong = gm.get(
        f"/api/v1/oauth/x/callback?{callback.query}", headers=headers, follow_redirects=False
    )
    assert wrong.headers["location"] == "/connections/failed?reason=wrong_platform"


def test_token_sweep_renews_and_verifies_it(
    gm: TestClient,
    server: FakeOAuthServer,
    owner: tuple[int, int, dict[str, str]],
    database: Database,
    fake_settings: FakebookSettings,
) -> None:
    _, business_id, headers = owner
    connect(gm, server, business_id, headers)
    with database.session() as session:
        account = session.query(SocialAccount).one()
        account_id, first_access, first_refresh = (
            account.id,
            account.access_token,
            account.refresh_token,
        )
        # Two hours left: beyond Fakebook's one-hour margin (though within the default day a
        # platform without a margin of its own would get), so the sweep leaves it alone.
        account.expires_at = utcnow() + timedelta(hours=2)
    keeper = TokenKeeper(database, fake_settings)
    assert keeper.refresh_due() == []  # two hours away: not yet due by Fakebook's margin
    with database.session() as session:
        stored = session.get(SocialAccount, account_id)
        assert stored is not None
        stored.expires_at = utcnow() + timedelta(minutes=10)
    outcomes = keeper.refresh_due()
    assert [(o.account_id, o.result) for o in outcomes] == [(account_id, "refreshed")]
    with database.session() as session:
        stored = session.get(SocialAccount, account_id)
        assert stored is not None
        assert stored.access_token != first_access
        assert stored.access_token in server.access_tokens
        # Fakebook rotates: the spent refresh token is dead at the server, the new one stored.
        assert first_refresh not in server.refresh_tokens
        assert stored.refresh_token in server.refresh_tokens
    verified = keeper.verify(account_id)
    assert verified.status == AccountStatus.active
    assert server.requests.count("GET /me") == 2  # at login, then the verification


def test_connections_page_lists_it(
    gm: TestClient,
    server: FakeOAuthServer,
    owner: tuple[int, int, dict[str, str]],
    database: Database,
) -> None:
    user_id, business_id, headers = owner
    with database.session() as session:
        user = session.get(User, user_id)
    assert user is not None
    login_client(gm, user)
    before = gm.get(f"/businesses/{business_id}/connections")
    assert before.status_code == 200
    assert (
        f'href="/api/v1/oauth/fakebook/authorize?business_id={business_id}" '
        'data-testid="connect-fakebook"'
    ) in before.text
    connect(gm, server, business_id, headers)
    page = " ".join(html.unescape(gm.get(f"/businesses/{business_id}/connections").text).split())
    assert "Connect another Fakebook" in page
    # The row: the descriptor's name for the kind, the profile, the named budget.
    assert "Fakebook profile · fakebakery · 321 followers" in page
    assert "Profile reads" in page
    assert f"/api/v1/oauth/fakebook/authorize?business_id={business_id}" in page


def test_unregistered_platform_is_unknown(
    client: TestClient, owner: tuple[int, int, dict[str, str]]
) -> None:
    """Without its folder registered, the product knows nothing of it."""
    _, business_id, headers = owner
    response = client.get(
        "/api/v1/oauth/fakebook/authorize",
        params={"business_id": business_id},
        headers=headers,
        follow_redirects=False,
    )
    assert response.status_code == 404
    assert "Unknown platform 'fakebook'" in response.text
