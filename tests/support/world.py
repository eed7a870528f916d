"""A business with a member of each role and an outsider who owns another business, with bearer
headers, and dashboard clients signed in as any of them: the world of the page and API tests."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from growth_manager.auth.dependencies import hash_api_token
from growth_manager.config import Settings
from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.business import Business, BusinessMember, Role, Strategy
from growth_manager.models.user import ApiToken, User
from tests.support.factories import login_client


def media_settings(settings: Settings, tmp_path: Path) -> Settings:
    """A data directory per test, so files left behind (or not) are this test's alone."""
    return settings.model_copy(update={"data_dir": tmp_path / "data", "max_upload_mb_image": 1})


@dataclass
class Member:
    user: User
    headers: dict[str, str]


@dataclass
class World:
    business: Business
    other_business: Business
    owner: Member
    editor: Member
    viewer: Member
    outsider: Member  # owner of other_business, not a member of business
    strategy: Strategy
    other_strategy: Strategy

    @property
    def bid(self) -> int:
        return self.business.id


def new_member(session: Any, email: str) -> Member:
    """A user with a bearer token (a day long), not yet a member of anything."""
    user = User(email=email, name=email.split("@", maxsplit=1)[0].title(), password_hash="x")
    session.add(user)
    session.flush()
    token = "gm_" + secrets.token_urlsafe(24)
    session.add(
        ApiToken(
            user_id=user.id,
            token_hash=hash_api_token(token),
            expires_at=utcnow() + timedelta(days=1),
        )
    )
    return Member(user=user, headers={"Authorization": f"Bearer {token}"})


def make_world(database: Database) -> World:
    """A business with an owner, an editor and a viewer, and an outsider who owns another."""
    with database.session() as session:
        owner = new_member(session, "owner@example.com")
        editor = new_member(session, "editor@example.com")
        viewer = new_member(session, "viewer@example.com")
        outsider = new_member(session, "outsider@example.com")
        business = Business(name="Bloom Bakery", timezone="Europe/Berlin")
        other = Business(name="Other Co")
        session.add_all([business, other])
        session.flush()
        for member, role in ((owner, Role.owner), (editor, Role.editor), (viewer, Role.viewer)):
            session.add(BusinessMember(business_id=business.id, user_id=member.user.id, role=role))
        session.add(BusinessMember(business_id=other.id, user_id=outsider.user.id, role=Role.owner))
        strategy = Strategy(business_id=business.id, name="Spring launch")
        other_strategy = Strategy(business_id=other.id, name="Theirs")
        session.add_all([strategy, other_strategy])
        session.flush()
        return World(business, other, owner, editor, viewer, outsider, strategy, other_strategy)


@contextmanager
def signed_in_clients(app: FastAPI) -> Iterator[Callable[[User], TestClient]]:
    """Make new clients with a dashboard session for a user; all closed at the end."""
    clients: list[TestClient] = []

    def make(user: User) -> TestClient:
        test_client = TestClient(app, base_url="http://testserver")
        test_client.__enter__()
        login_client(test_client, user)
        clients.append(test_client)
        return test_client

    try:
        yield make
    finally:
        for test_client in clients:
            test_client.__exit__(None, None, None)
