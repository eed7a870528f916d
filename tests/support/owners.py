"""A user who owns a business, made directly with the models, with an API token; and stored
accounts for tests that need one without connecting it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import text

from growth_manager.auth.dependencies import hash_api_token
from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import AccountStatus, SocialAccount
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


def store_account(
    database: Database,
    owner: Owner,
    platform: str,
    *,
    kind: str = "user",
    external_id: str = "42",
    name: str = "Acme",
    username: str | None = None,
    status: AccountStatus = AccountStatus.active,
) -> int:
    """A connected account of ``platform`` (with a token that only the sandbox would accept):
    for tests about composing and scheduling, which never call the platform."""
    with database.session() as session:
        account = SocialAccount(
            business_id=owner.business_id,
            platform=platform,
            kind=kind,
            external_id=external_id,
            name=name,
            username=username,
            access_token="stored-" + secrets.token_hex(4),
            status=status,
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
