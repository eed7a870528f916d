"""Notifications people read: the API and the dashboard list, the header bell, read state per
person, and never another tenant's notifications."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from growth_manager.db import Database
from growth_manager.models.accounts import SocialAccount
from growth_manager.models.notifications import Notification, NotificationRead
from growth_manager.notifications.notices import raise_for_account, resolve_for_account
from tests.conftest import json_of
from tests.support.factories import login
from tests.support.team import Team

API = "/api/v1/notifications"


def _notify(database: Database, business_id: int, name: str, kind: str, minutes_ago: int) -> int:
    """A notification made the way the product makes them: about a connected account."""
    with database.session() as session:
        account = SocialAccount(
            business_id=business_id,
            platform="x",
            kind="user",
            external_id=f"{name}-{kind}",
            name=name,
            access_token="a",
        )
        session.add(account)
        session.flush()
        notification = raise_for_account(
            session,
            account,
            kind,
            f"{name}: sign in again",
            f"{name} lost its login.",
            severity="danger",
        )
        notification.created_at = notification.created_at - timedelta(minutes=minutes_ago)
        return notification.id


def _reads(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(NotificationRead)) or 0


def test_the_api_lists_only_your_businesses_newest_first(
    client: TestClient, team: Team, database: Database
) -> None:
    older = _notify(database, team.business_id, "Bakery on X", "reauth_required", 30)
    newer = _notify(database, team.business_id, "Bakery again", "reauth_required", 5)
    foreign = _notify(database, team.other_business_id, "Stranger on X", "reauth_required", 1)

    for person in (team.owner, team.editor, team.viewer):
        body = json_of(client.get(API, headers=person.headers))
        assert [n["id"] for n in body["items"]] == [newer, older]
        assert body["unread_count"] == 2
        first = body["items"][0]
        assert first["business_name"] == "Bakery Blum"
        assert first["subject_url"] == f"/businesses/{team.business_id}/connections"
        assert first["title"] == "Bakery again: sign in again"
        assert first["read_at"] is None

    stranger = json_of(client.get(API, headers=team.stranger.headers))
    assert [n["id"] for n in stranger["items"]] == [foreign]
    # Asking for another tenant's business by id gives nothing, not its notifications.
    peek = client.get(
        API, params={"business_id": team.other_business_id}, headers=team.owner.headers
    )
    assert json_of(peek)["items"] == []
    assert client.get(API).status_code == 401


def test_marking_read_is_per_person_and_never_reaches_another_tenant(
    client: TestClient, team: Team, database: Database
) -> None:
    mine = _notify(database, team.business_id, "Bakery on X", "reauth_required", 10)
    foreign = _notify(database, team.other_business_id, "Stranger on X", "reauth_required", 1)

    read = client.post(f"{API}/{mine}/read", headers=team.editor.headers)
    assert read.status_code == 200, read.text
    assert json_of(read)["read_at"] is not None
    again = client.post(f"{API}/{mine}/read", headers=team.editor.headers)
    assert json_of(again)["read_at"] == json_of(read)["read_at"]  # idempotent
    assert json_of(client.get(API, headers=team.editor.headers))["unread_count"] == 0
    owner_view = json_of(client.get(API, headers=team.owner.headers))
    assert owner_view["unread_count"] == 1
    assert owner_view["items"][0]["read_at"] is None
    unread_only = client.get(API, params={"unread": True}, headers=team.editor.headers)
    assert json_of(unread_only)["items"] == []

    before = _reads(database)
    refused = client.post(f"{API}/{foreign}/read", headers=team.owner.headers)
    assert refused.status_code == 404
    assert json_of(refused) == {
        "type": "not_found",
        "detail": f"Notification {foreign} was not found.",
    }
    assert _reads(database) == before
    stranger = json_of(client.get(API, headers=team.stranger.headers))
    assert stranger["items"][0]["read_at"] is None


def test_mark_all_read_covers_your_businesses_only(
    client: TestClient, team: Team, database: Database
) -> None:
    _notify(database, team.business_id, "One", "reauth_required", 3)
    _notify(database, team.business_id, "Two", "refresh_failing", 2)
    _notify(database, team.other_business_id, "Stranger on X", "reauth_required", 1)
    done = client.post(f"{API}/read-all", headers=team.viewer.headers)
    assert done.status_code == 200, done.text
    assert json_of(done) == {"marked": 2, "unread_count": 0}
    assert json_of(client.get(API, headers=team.stranger.headers))["unread_count"] == 1
    assert json_of(client.get(API, headers=team.owner.headers))["unread_count"] == 2
    scoped = client.post(
        f"{API}/read-all",
        json={"business_id": team.other_business_id},
        headers=team.owner.headers,
    )
    assert json_of(scoped) == {"marked": 0, "unread_count": 2}


def test_a_resolved_problem_stays_listed_but_leaves_the_bell(
    client: TestClient, team: Team, database: Database
) -> None:
    notification_id = _notify(database, team.business_id, "Bakery on X", "reauth_required", 3)
    with database.session() as session:
        notification = session.get(Notification, notification_id)
        assert notification is not None
        account = session.get(SocialAccount, notification.social_account_id)
        assert account is not None
        resolve_for_account(session, account)
    body = json_of(client.get(API, headers=team.owner.headers))
    assert body["unread_count"] == 0
    assert body["items"][0]["resolved_at"] is not None


def _text(response: object) -> str:
    return " ".join(html.unescape(response.text).split())  # type: ignore[attr-defined]


def test_the_bell_and_the_list_page(client: TestClient, team: Team, database: Database) -> None:
    mine = _notify(database, team.business_id, "Bakery on X", "reauth_required", 10)
    other = _notify(database, team.business_id, "Bakery on LinkedIn", "refresh_failing", 5)
    _notify(database, team.other_business_id, "Stranger on X", "reauth_required", 1)
    csrf = login(client, database, team.editor.email)

    overview = client.get(f"/businesses/{team.business_id}")
    assert overview.status_code == 200
    assert re.search(r'data-testid="bell-count">2<', overview.text)
    assert 'aria-label="Notifications, 2 unread"' in overview.text

    page = client.get("/notifications")
    assert page.status_code == 200
    text = _text(page)
    assert text.index("Bakery on LinkedIn: sign in again") < text.index(
        "Bakery on X: sign in again"
    )
    assert "Stranger on X" not in text
    assert f'href="/businesses/{team.business_id}/connections"' in page.text

    marked = client.post(
        f"/notifications/{mine}/read", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert marked.status_code == 303
    assert re.search(r'data-testid="bell-count">1<', client.get("/notifications").text)
    # Without the CSRF token nothing changes.
    forged = client.post(f"/notifications/{other}/read", data={}, follow_redirects=False)
    assert forged.status_code == 403
    assert re.search(r'data-testid="bell-count">1<', client.get("/notifications").text)

    client.post("/notifications/read-all", data={"csrf_token": csrf})
    after = client.get("/notifications")
    assert 'data-testid="bell-count"' not in after.text
    assert 'aria-label="Notifications"' in after.text
    # The owner still has both unread: reading is per person.
    with database.session() as session:
        reads = session.scalars(select(NotificationRead.user_id)).all()
    assert set(reads) == {team.editor.id}
