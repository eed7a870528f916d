"""The token-health panel lists what needs attention, soonest first, on Connections and the
business overview."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from growth_manager.connections.health import needs_attention
from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import AccountStatus, RateLimitBudget, SocialAccount
from growth_manager.models.user import User
from growth_manager.providers.base import PlatformKey
from growth_manager.providers.registry import descriptor
from tests.support.factories import login_client
from tests.support.owners import Owner


def _account(owner: Owner, **fields: object) -> SocialAccount:
    values: dict[str, object] = {
        "business_id": owner.business_id,
        "platform": "x",
        "kind": "user",
        "external_id": "1",
        "name": "Acme on X",
        "access_token": "a",
        "refresh_token": "r",
        "granted_scopes": ["tweet.read", "tweet.write", "users.read"],
        "expires_at": utcnow() + timedelta(hours=2),
    }
    values.update(fields)
    return SocialAccount(**values)


def test_attention_is_ordered_by_urgency(owner: Owner) -> None:
    now = utcnow()
    dead = _account(owner, external_id="1", name="Dead", status=AccountStatus.reauth_required)
    soon = _account(
        owner,
        platform="linkedin",
        kind="member",
        external_id="2",
        name="Soon",
        refresh_token=None,
        expires_at=now + timedelta(days=3),
        granted_scopes=["w_member_social", "r_member_postAnalytics"],
    )
    later = _account(
        owner,
        platform="linkedin",
        kind="member",
        external_id="3",
        name="Later",
        refresh_expires_at=now + timedelta(days=20),
        granted_scopes=["w_member_social", "r_member_postAnalytics"],
    )
    fine = _account(owner, external_id="4", name="Fine")
    no_analytics = _account(
        owner,
        platform="linkedin",
        kind="organization",
        external_id="5",
        name="Page",
        refresh_expires_at=now + timedelta(days=300),
        granted_scopes=["w_organization_social"],
    )
    items = needs_attention([fine, later, no_analytics, soon, dead], now)
    assert [i.account.name for i in items] == ["Dead", "Soon", "Later", "Page"]
    assert [i.severity for i in items] == ["danger", "danger", "warning", "info"]
    assert "rw_organization_admin" in items[-1].detail


def test_pages_show_what_needs_attention(
    client: TestClient, database: Database, owner: Owner
) -> None:
    with database.session() as session:
        session.add(
            _account(
                owner,
                status=AccountStatus.reauth_required,
                status_reason="x refused to renew the token: Value passed for the token was invalid.",
            )
        )
        user = session.get(User, owner.user_id)
        assert user is not None
        session.expunge(user)
    login_client(client, user)
    connections = client.get(f"/businesses/{owner.business_id}/connections")
    assert connections.status_code == 200
    assert "Needs attention" in connections.text
    assert "Reconnect now" in connections.text
    assert "Value passed for the token was invalid." in connections.text
    overview = client.get(f"/businesses/{owner.business_id}")
    assert overview.status_code == 200
    assert "1 account connected" in overview.text
    assert "Reconnect now" in overview.text


def _page_text(client: TestClient, owner: Owner) -> str:
    response = client.get(f"/businesses/{owner.business_id}/connections")
    assert response.status_code == 200
    return " ".join(html.unescape(response.text).split())


def _login(client: TestClient, database: Database, owner: Owner) -> None:
    with database.session() as session:
        user = session.get(User, owner.user_id)
    assert user is not None
    login_client(client, user)  # outside the transaction: it opens its own write session


def test_healthy_banner_only_when_there_are_connections_and_all_are_healthy(
    client: TestClient, database: Database, owner: Owner
) -> None:
    _login(client, database, owner)
    healthy = "All connections are healthy"
    assert healthy not in _page_text(client, owner)  # nothing connected: nothing to be healthy
    with database.session() as session:
        session.add(_account(owner, status=AccountStatus.disconnected))
    assert healthy not in _page_text(client, owner)  # only a disconnected one
    with database.session() as session:
        session.add(_account(owner, external_id="2", name="Acme again"))
    assert healthy in _page_text(client, owner)
    with database.session() as session:
        session.add(
            _account(owner, external_id="3", name="Broken", status=AccountStatus.reauth_required)
        )
    text = _page_text(client, owner)
    assert healthy not in text
    assert "Needs attention" in text


def test_token_expiry_and_rate_limits_read_in_the_business_time_zone_and_in_words(
    client: TestClient, database: Database, owner: Owner
) -> None:
    _login(client, database, owner)
    # The owner's business is in Europe/Berlin: 12:00 UTC in January is 13:00 there (CET).
    expires = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)
    with database.session() as session:
        x = _account(owner, expires_at=expires)
        facebook = _account(
            owner,
            platform="facebook",
            kind="page",
            external_id="p1",
            name="Acme Page",
            refresh_token=None,
            expires_at=None,
            granted_scopes=["pages_show_list", "pages_manage_posts", "pages_read_engagement"],
        )
        session.add_all([x, facebook])
        session.flush()
        session.add_all(
            [
                RateLimitBudget(
                    social_account_id=x.id,
                    scope="endpoint",
                    endpoint="GET /2/users/me",
                    limit=75,
                    remaining=74,
                    reset_at=datetime(2027, 1, 15, 13, 5, tzinfo=UTC),
                    observed_at=utcnow(),
                ),
                RateLimitBudget(
                    social_account_id=facebook.id,
                    scope="app-usage",
                    endpoint="GET /v23.0/me/accounts",
                    used_percent=12.0,
                    observed_at=utcnow(),
                ),
            ]
        )
    text = _page_text(client, owner)
    assert "Expires 15 Jan 2027 13:00 CET" in text
    assert "Profile reads: 74 of 75 left until 14:05" in text
    assert "All calls of this app to Meta: 12% used" in text
    assert "74/75 left" not in text
    assert "left /2/users/me" not in text

    api = client.get(
        f"/api/v1/businesses/{owner.business_id}/accounts", headers=owner.headers
    ).json()
    purposes = {r["endpoint"]: r["purpose"] for a in api for r in a["rate_limits"]}
    assert purposes == {
        "GET /2/users/me": "Profile reads",
        "GET /v23.0/me/accounts": "All calls of this app to Meta",
    }


@pytest.mark.parametrize(
    ("platform", "scope", "endpoint", "words"),
    [
        ("x", "endpoint", "POST /2/tweets", "Posts"),
        ("x", "user-24h", "POST /2/tweets", "Posts by this account today"),
        ("x", "endpoint", "GET /2/tweets", "Post reads and metrics"),
        ("x", "endpoint", "POST /2/oauth2/token", "Sign-in and token renewal"),
        ("facebook", "business-use-case", "POST /v23.0/123/feed", "Calls about this account"),
        ("instagram", "endpoint", "POST /v23.0/178/media_publish", "Instagram publishing"),
        ("instagram", "endpoint", "GET /v23.0/178/insights", "Analytics reads"),
        ("linkedin", "endpoint", "POST /rest/posts", "Posts"),
        ("x", "endpoint", "GET /2/spaces/search", "Other X calls"),
    ],
)
def test_each_platform_names_its_budgets(
    platform: PlatformKey, scope: str, endpoint: str, words: str
) -> None:
    assert descriptor(platform).budget_purpose(scope, endpoint) == words
