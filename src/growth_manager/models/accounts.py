"""Connected social accounts, OAuth states and rate-limit budgets."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from growth_manager.kit.crypto import EncryptedText
from growth_manager.models.base import Base, TimestampMixin


class AccountStatus(enum.StrEnum):
    active = "active"
    refresh_failing = "refresh_failing"  # transient trouble; retried with backoff
    reauth_required = "reauth_required"  # only the user can fix it (reason stored)
    disconnected = "disconnected"


class SocialAccount(TimestampMixin, Base):
    """One publishable identity (X user, LinkedIn member or page, Facebook Page, IG account)
    connected to one business. The same platform identity appears once per business."""

    __tablename__ = "social_account"
    __table_args__ = (UniqueConstraint("business_id", "platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(
        ForeignKey("business.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(30))  # user | member | organization | page | …
    external_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    username: Mapped[str | None] = mapped_column(String(300), default=None)
    avatar_url: Mapped[str | None] = mapped_column(Text, default=None)
    followers: Mapped[int | None] = mapped_column(default=None)
    parent_external_id: Mapped[str | None] = mapped_column(String(200), default=None)
    access_token: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    refresh_token: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    refresh_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    # The user token a Meta Page token was derived from expires in 60 days even though the
    # Page token doesn't: that is when the user must sign in again.
    login_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    granted_scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[AccountStatus] = mapped_column(
        Enum(AccountStatus, native_enum=False, length=20), default=AccountStatus.active
    )
    status_reason: Mapped[str | None] = mapped_column(Text, default=None)
    is_sandbox: Mapped[bool] = mapped_column(default=False)
    connected_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    connected_at: Mapped[datetime | None] = mapped_column(default=None)
    last_refreshed_at: Mapped[datetime | None] = mapped_column(default=None)
    last_verified_at: Mapped[datetime | None] = mapped_column(default=None)
    last_synced_at: Mapped[datetime | None] = mapped_column(default=None)
    refresh_failures: Mapped[int] = mapped_column(default=0)
    next_refresh_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    # Lease so two workers never refresh the same account at once (X refresh tokens are single-use).
    refresh_lease_until: Mapped[datetime | None] = mapped_column(default=None)
    refresh_lease_owner: Mapped[str | None] = mapped_column(String(100), default=None)


class OAuthState(Base):
    """A pending authorization: single-use, bound to a user and business, 10 minutes."""

    __tablename__ = "oauth_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    platform: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id", ondelete="CASCADE"))
    code_verifier: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    redirect_uri: Mapped[str] = mapped_column(Text)
    return_to: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class PendingConnection(Base):
    """A finished Meta/LinkedIn login whose identities the user is still choosing between.

    Holds the login's tokens (encrypted) for a few minutes so the picker page can connect the
    chosen Pages, organizations and Instagram accounts without another login."""

    __tablename__ = "pending_connection"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    platform: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id", ondelete="CASCADE"))
    payload: Mapped[str] = mapped_column(EncryptedText)  # JSON: token + accounts
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class RateLimitBudget(Base):
    """The latest budget a platform reported for an account and endpoint."""

    __tablename__ = "rate_limit_budget"
    __table_args__ = (UniqueConstraint("social_account_id", "scope", "endpoint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    social_account_id: Mapped[int] = mapped_column(
        ForeignKey("social_account.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[str] = mapped_column(String(40))
    endpoint: Mapped[str] = mapped_column(String(300))
    limit: Mapped[int | None] = mapped_column(default=None)
    remaining: Mapped[int | None] = mapped_column(default=None)
    used_percent: Mapped[float | None] = mapped_column(default=None)
    reset_at: Mapped[datetime | None] = mapped_column(default=None)
    observed_at: Mapped[datetime]
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
