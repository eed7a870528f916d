"""Accounts fixtures: a user who owns a business, made directly with the models."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

import pytest

from growth_manager.auth.dependencies import hash_api_token
from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.business import Business, BusinessMember, Role
from growth_manager.models.user import ApiToken, User


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
