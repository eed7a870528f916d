"""CSRF protection, proved for every state-changing dashboard route there is, including routes
added after this test was written.

The routes are enumerated from the app: every route outside ``/api/`` with a method other than
GET/HEAD/OPTIONS. Each is called by a signed-in user, with path parameters filled with real ids
of that user's own objects (their business, draft, connected account, pending account choice,
another of their sessions…), so a refusal can only be the CSRF check: once without any token,
once with the token of another session (the same user's other browser, and another user's). All
must answer 403 naming the CSRF token, and no row of any table may change.

When a new route has a path parameter this test does not know, it fails and says so: give the
parameter a real id in ``World.ids``.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select

from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import PendingConnection
from growth_manager.models.analytics import RemotePost
from growth_manager.models.base import Base
from growth_manager.models.business import Role
from growth_manager.models.competitors import Competitor
from growth_manager.models.content import MediaAsset, MediaKind, Post
from growth_manager.models.notifications import Notification
from tests.auth.conftest import PASSWORD, form_csrf, signed_in_as, signup_api
from tests.support.factories import (
    add_member,
    bearer_for,
    login_client,
    make_business,
    make_strategy,
    make_user,
)

PATH_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
SAFE = {"GET", "HEAD", "OPTIONS"}


def unsafe_page_routes(app: FastAPI) -> list[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for context in iter_route_contexts(app.routes):
        path, methods = context.path, context.methods
        if not path or not methods or path.startswith("/api/"):
            continue
        found.update((method, path) for method in methods - SAFE)
    return sorted(found, key=lambda item: (item[1], item[0]))


@dataclass(frozen=True)
class World:
    owner_id: int
    ids: dict[str, Any]
    user_csrf: str
    own_other_session_csrf: str
    stranger_csrf: str


def build_world(app: FastAPI, database: Database, client: TestClient) -> World:
    with database.session() as session:
        owner = make_user(session, "owner@example.com")
        colleague = make_user(session, "colleague@example.com")
        stranger = make_user(session, "stranger@example.com")
        business = make_business(session, owner, name="Owner's Bakery")
        add_member(session, business, colleague, Role.viewer)
        make_business(session, stranger, name="Stranger Co")
        strategy = make_strategy(session, business)
        draft = Post(business_id=business.id, title="Plan", base_text="Launch day")
        session.add(draft)
        media = MediaAsset(
            business_id=business.id,
            sha256=uuid.uuid4().hex * 2,
            kind=MediaKind.image,
            mime="image/png",
            size_bytes=10,
            storage_path=f"{business.id}/plan.png",
        )
        session.add(media)
        account = Base.metadata.tables["social_account"]
        account_id = session.execute(
            account.insert()
            .values(
                business_id=business.id,
                platform="x",
                kind="user",
                external_id="owner-x",
                name="Owner on X",
                granted_scopes=[],
                status="active",
                is_sandbox=True,
                refresh_failures=0,
                created_at=datetime.now(UTC),
                updated_at=datetime.now(UTC),
            )
            .returning(account.c.id)
        ).scalar_one()
        choice_token = secrets.token_urlsafe(16)
        session.add(
            PendingConnection(
                token_hash=hashlib.sha256(choice_token.encode()).hexdigest(),
                platform="linkedin",
                user_id=owner.id,
                business_id=business.id,
                payload=json.dumps({"token": {}, "accounts": []}),
                created_at=utcnow(),
                expires_at=utcnow() + timedelta(minutes=15),
            )
        )
        notification = Notification(
            business_id=business.id, kind="account.reauth_required", title="Reconnect X"
        )
        session.add(notification)
        competitor = Competitor(
            business_id=business.id,
            platform="x",
            handle="rivalroasters",
            handle_key="rivalroasters",
        )
        remote_post = RemotePost(
            business_id=business.id,
            social_account_id=account_id,
            platform="x",
            remote_id="1860000000000000001",
            text="An old favourite",
            published_at=utcnow() - timedelta(days=120),
        )
        session.add_all([competitor, remote_post])
        bearer_for(session, owner)
        session.flush()
        api_token_id = session.scalars(select(Base.metadata.tables["api_token"].c.id)).one()
        ids: dict[str, Any] = {
            "business_id": business.id,
            "id": business.id,
            "strategy_id": strategy.id,
            "draft_id": draft.id,
            "post_id": draft.id,
            "media_id": media.id,
            "account_id": account_id,
            "connection_id": account_id,
            "user_id": colleague.id,
            "member_id": colleague.id,
            "token": choice_token,
            "token_id": api_token_id,
            "notification_id": notification.id,
            "competitor_id": competitor.id,
            "remote_post_id": remote_post.id,
        }
        owner_id = owner.id
        session.expunge_all()
    other_browser = TestClient(app, base_url="http://testserver")
    own_other_session_csrf = login_client(other_browser, owner)
    ids["session_id"] = other_browser.get("/api/v1/auth/sessions").json()[0]["id"]
    stranger_csrf = login_client(TestClient(app, base_url="http://testserver"), stranger)
    user_csrf = login_client(client, owner)
    return World(owner_id, ids, user_csrf, own_other_session_csrf, stranger_csrf)


def every_row(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    with database.session() as session:
        return {
            table.name: sorted(map(tuple, session.execute(select(table))), key=repr)
            for table in Base.metadata.sorted_tables
        }


def url_for(path: str, world: World) -> str:
    missing = [name for name in PATH_PARAM.findall(path) if name not in world.ids]
    assert not missing, (
        f"{path}: no real id for {missing}; add one of the signed-in user's own objects to "
        "World.ids, so the route is refused for CSRF and not for a missing object."
    )
    return PATH_PARAM.sub(lambda m: str(world.ids[m.group(1)]), path)


def refusal_problem(method: str, path: str, response: Any, case: str) -> str | None:
    if response.status_code == 403 and "CSRF" in response.text:
        return None
    return f"{method} {path} ({case}) answered {response.status_code}: {response.text[:200]!r}"


def test_every_state_changing_page_route_refuses_a_request_without_its_csrf_token(
    app: FastAPI, client: TestClient, database: Database
) -> None:
    world = build_world(app, database, client)
    routes = unsafe_page_routes(app)
    # The enumeration must see the routes that once forgot the check, and the login forms.
    for expected in (
        ("POST", "/businesses/{business_id}/connections/{account_id}/disconnect"),
        ("POST", "/businesses/{business_id}/connections/{account_id}/verify"),
        ("POST", "/businesses/{business_id}/connections/choose/{token}"),
        ("POST", "/login"),
        ("POST", "/signup"),
        ("POST", "/logout"),
        ("POST", "/account/password"),
    ):
        assert expected in routes
    before = every_row(database)

    failures: list[str] = []
    for method, path in routes:
        url = url_for(path, world)
        attempts: list[tuple[str, dict[str, Any]]] = [
            ("no token", {"data": {"name": "x"}}),
            ("no token, multipart", {"files": {"file": ("a.png", b"png", "image/png")}}),
            ("own other session's token", {"data": {"csrf_token": world.own_other_session_csrf}}),
            ("another user's token", {"data": {"csrf_token": world.stranger_csrf}}),
            (
                "another user's token in the header",
                {"headers": {"X-CSRF-Token": world.stranger_csrf}},
            ),
        ]
        for case, request in attempts:
            response = client.request(method, url, follow_redirects=False, **request)
            if problem := refusal_problem(method, path, response, case):
                failures.append(problem)

    assert not failures, f"{len(failures)} refusals missing:\n" + "\n".join(failures)
    assert every_row(database) == before
    # The user is still signed in: nothing (logout included) went through.
    assert signed_in_as(client) == world.owner_id


def test_the_right_token_passes_the_check(
    app: FastAPI, client: TestClient, database: Database
) -> None:
    """The refusals above are the CSRF check, not a route that refuses everything: with the
    session's own token the same requests get past it."""
    world = build_world(app, database, client)
    url = url_for("/businesses/{business_id}/connections/{account_id}/disconnect", world)
    response = client.post(url, data={"csrf_token": world.user_csrf}, follow_redirects=False)
    assert response.status_code == 303
    response = client.post("/logout", data={"csrf_token": world.user_csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert signed_in_as(client) is None


def test_a_page_route_added_later_is_protected_without_asking(
    app: FastAPI, client: TestClient, database: Database
) -> None:
    late = APIRouter()
    changed: list[str] = []

    @late.post("/late-addition")
    def late_addition() -> dict[str, bool]:
        changed.append("yes")
        return {"ok": True}

    app.include_router(late)
    world = build_world(app, database, client)
    assert ("POST", "/late-addition") in unsafe_page_routes(app)
    assert client.post("/late-addition").status_code == 403
    assert changed == []
    response = client.post("/late-addition", headers={"X-CSRF-Token": world.user_csrf})
    assert response.status_code == 200
    assert changed == ["yes"]


@pytest.mark.parametrize("path", ["/login", "/signup"])
def test_signed_out_forms_need_this_browsers_pre_login_token(client: TestClient, path: str) -> None:
    """Login CSRF: another site must not sign a visitor in to the attacker's account."""
    signup_api(client, "attacker@example.com")
    form = {"email": "attacker@example.com", "password": PASSWORD, "name": "A"}
    assert client.post(path, data=form, follow_redirects=False).status_code == 403
    # A token the attacker got from their own visit is worth nothing in the victim's browser.
    attackers_browser = TestClient(client.app, base_url="http://testserver")
    stolen = form_csrf(attackers_browser.get(path).text)
    refused = client.post(path, data={**form, "csrf_token": stolen}, follow_redirects=False)
    assert refused.status_code == 403
    assert signed_in_as(client) is None
    own = form_csrf(client.get(path).text)
    accepted = client.post(path, data={**form, "csrf_token": own}, follow_redirects=False)
    assert accepted.status_code == (303 if path == "/login" else 409)
