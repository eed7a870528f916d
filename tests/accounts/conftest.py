"""Accounts fixtures: a user who owns a business, made directly with the models, and the
product configured against the platform sandbox."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from growth_manager.auth.dependencies import hash_api_token
from growth_manager.config import Settings
from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import SocialAccount
from growth_manager.models.business import Business, BusinessMember, Role
from growth_manager.models.user import ApiToken, User
from tests.support.apps import app_sharing
from tests.support.sandbox import SandboxHandle, register_callbacks


@dataclass
class Owner:
    user_id: int
    business_id: int
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_owner(database: Database, email: str = "owner@example.com", name: str = "Acme") -> Owner:
    token = "gm_" + secrets.token_urlsafe(24)
    with database.session() as session:
        user = User(email=email, name="Owner", password_hash="x")
        business = Business(name=name, timezone="Europe/Berlin")
        session.add_all([user, business])
        session.flush()
        session.add(BusinessMember(business_id=business.id, user_id=user.id, role=Role.owner))
        session.add(
            ApiToken(
                user_id=user.id,
                token_hash=hash_api_token(token),
                expires_at=utcnow() + timedelta(days=1),
            )
        )
        session.flush()
        return Owner(user.id, business.id, token)


@pytest.fixture
def owner(database: Database) -> Owner:
    return make_owner(database)


@pytest.fixture
def gm(
    settings: Settings, database: Database, fresh_sandbox: SandboxHandle
) -> Iterator[TestClient]:
    """The product talking to a fresh sandbox, its OAuth callbacks registered there."""
    configured = settings.model_copy(update={"sandbox_url": fresh_sandbox.url})
    register_callbacks(fresh_sandbox, configured.public_url)
    with TestClient(app_sharing(configured, database), base_url=configured.public_url) as client:
        yield client


def store_x_account(database: Database, owner: Owner, access: str, refresh: str) -> int:
    """An X account with the given tokens, written through the encrypted column."""
    with database.session() as session:
        account = SocialAccount(
            business_id=owner.business_id,
            platform="x",
            kind="user",
            external_id="42",
            name="Acme",
            access_token=access,
            refresh_token=refresh,
        )
        session.add(account)
        session.flush()
        return account.id


def raw_tokens(database: Database, account_id: int) -> tuple[str, str]:
    """The stored ciphertexts, read past the column type."""
    with database.engine.connect() as conn:
        row = conn.execute(
            text("SELECT access_token, refresh_token FROM social_account WHERE id = :id"),
            {"id": account_id},
        ).one()
    return row[0], row[1]
