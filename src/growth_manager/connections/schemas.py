"""API shapes for connected accounts and their health."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from growth_manager.connections.service import missing_analytics_scopes, missing_scopes
from growth_manager.models.accounts import RateLimitBudget, SocialAccount
from growth_manager.providers.registry import descriptor
from growth_manager.tokens.keeper import user_fix_deadline


class RateLimitOut(BaseModel):
    scope: str = Field(description="endpoint, user-24h, app-24h, app-usage, business-use-case")
    endpoint: str
    purpose: str = Field(description="What the budget is for, in words: 'Profile reads'")
    limit: int | None
    remaining: int | None
    used_percent: float | None
    reset_at: datetime | None
    observed_at: datetime


class AccountOut(BaseModel):
    id: int
    platform: str
    kind: str
    external_id: str
    name: str
    username: str | None
    avatar_url: str | None
    followers: int | None
    parent_external_id: str | None = Field(
        default=None, description="An Instagram account's Facebook Page, whose token it uses"
    )
    status: str = Field(description="active, refresh_failing, reauth_required or disconnected")
    status_reason: str | None
    is_sandbox: bool = Field(description="Served by the local platform sandbox, not the real API")
    granted_scopes: list[str]
    missing_publish_scopes: list[str]
    missing_analytics_scopes: list[str]
    expires_at: datetime | None = Field(description="Access token expiry (None: never)")
    refresh_expires_at: datetime | None
    reconnect_by: datetime | None = Field(
        description="When the connection dies unless someone signs in again (None: renews itself)"
    )
    connected_at: datetime | None
    last_refreshed_at: datetime | None
    last_verified_at: datetime | None
    rate_limits: list[RateLimitOut]

    @classmethod
    def of(cls, account: SocialAccount, budgets: list[RateLimitBudget]) -> AccountOut:
        platform = descriptor(account.platform)
        return cls(
            id=account.id,
            platform=account.platform,
            kind=account.kind,
            external_id=account.external_id,
            name=account.name,
            username=account.username,
            avatar_url=account.avatar_url,
            followers=account.followers,
            parent_external_id=account.parent_external_id,
            status=account.status.value,
            status_reason=account.status_reason,
            is_sandbox=account.is_sandbox,
            granted_scopes=list(account.granted_scopes),
            missing_publish_scopes=missing_scopes(
                account.platform, account.kind, account.granted_scopes
            ),
            missing_analytics_scopes=missing_analytics_scopes(
                account.platform, account.kind, account.granted_scopes
            ),
            expires_at=account.expires_at,
            refresh_expires_at=account.refresh_expires_at,
            reconnect_by=user_fix_deadline(account),
            connected_at=account.connected_at,
            last_refreshed_at=account.last_refreshed_at,
            last_verified_at=account.last_verified_at,
            rate_limits=[
                RateLimitOut(
                    scope=b.scope,
                    endpoint=b.endpoint,
                    purpose=platform.budget_purpose(b.scope, b.endpoint),
                    limit=b.limit,
                    remaining=b.remaining,
                    used_percent=b.used_percent,
                    reset_at=b.reset_at,
                    observed_at=b.observed_at,
                )
                for b in budgets
                if b.social_account_id == account.id
            ],
        )


class AuthorizationUrl(BaseModel):
    authorization_url: str


class IdentityOut(BaseModel):
    key: str = Field(description="platform:external_id, to send back in `choose`")
    platform: str
    kind: str
    external_id: str
    name: str
    username: str | None
    avatar_url: str | None
    followers: int | None
    parent_external_id: str | None
    missing_publish_scopes: list[str]
    already_connected: bool


class PendingOut(BaseModel):
    platform: str
    expires_at: datetime
    identities: list[IdentityOut]


class ChooseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    identities: list[str] = Field(min_length=1, description="keys from the pending listing")
