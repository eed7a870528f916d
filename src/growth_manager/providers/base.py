"""The provider protocol and the plain data it speaks.

A provider is constructed with its credentials and base URLs (:class:`ProviderConfig`), keeps
no state between calls, and never touches the database or settings, sleeps or retries. Every
failure it raises is one of :mod:`growth_manager.providers.errors`.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

PlatformKey = Literal["x", "linkedin", "facebook", "instagram"]
PLATFORMS: tuple[PlatformKey, ...] = ("x", "linkedin", "facebook", "instagram")
AccountKind = Literal["user", "member", "organization", "page", "instagram_business"]


@dataclass(frozen=True)
class ProviderConfig:
    """Credentials and endpoints. Base URLs are the real hosts, or the sandbox's prefixes."""

    client_id: str
    client_secret: str
    redirect_uri: str
    api_base: str  # https://api.x.com | https://api.linkedin.com | https://graph.facebook.com
    auth_base: str  # https://x.com | https://www.linkedin.com | https://www.facebook.com
    api_version: str = ""  # LinkedIn-Version (YYYYMM) or Graph version (v23.0)
    upload_base: str = ""  # where media uploads go, when it differs from api_base
    timeout_seconds: float = 20.0
    is_sandbox: bool = False


@dataclass(frozen=True)
class Descriptor:
    """What a platform allows, for validation, the dashboard and the job layer."""

    platform: PlatformKey
    display_name: str
    text_limit: int
    counting: str  # human description of the counting rule
    media_kinds: tuple[str, ...]
    max_images: int
    max_videos: int
    supports_threads: bool
    supports_first_comment: bool
    uses_pkce: bool
    publish_scopes: tuple[str, ...]
    analytics_scopes: tuple[str, ...]
    identity_scopes: tuple[str, ...] = ()
    scope_separator: str = " "
    access_lifetime: str = ""
    refresh_behaviour: str = ""
    max_hashtags: int | None = None
    # What each rate-limit budget is for, in words: (scope, "METHOD /path" glob, words), first
    # match wins. The platform's rate-limit headers name raw API paths; people need the purpose.
    budget_purposes: tuple[tuple[str, str, str], ...] = ()

    def budget_purpose(self, scope: str, endpoint: str) -> str:
        """Plain words for the budget ``scope`` reported on ``endpoint`` ("GET /2/users/me")."""
        for wanted_scope, pattern, words in self.budget_purposes:
            if wanted_scope in (scope, "*") and fnmatch.fnmatchcase(endpoint, pattern):
                return words
        return f"Other {self.display_name} calls"

    @property
    def requested_scopes(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for scope in (*self.identity_scopes, *self.publish_scopes, *self.analytics_scopes):
            seen.setdefault(scope, None)
        return tuple(seen)


@dataclass(frozen=True)
class AuthStart:
    url: str
    state: str
    code_verifier: str | None


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str | None
    expires_at: datetime | None  # None: does not expire (Meta page tokens)
    refresh_expires_at: datetime | None
    scopes: tuple[str, ...]
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret

    def __repr__(self) -> str:  # never print a token, even in a traceback
        refresh = "yes" if self.refresh_token else "no"
        return (
            f"TokenSet(expires_at={self.expires_at!r}, refresh={refresh}, scopes={self.scopes!r})"
        )


@dataclass(frozen=True)
class AccountProfile:
    """One publishable identity found behind a login (a user, a Page, an organization…)."""

    platform: PlatformKey
    kind: AccountKind
    external_id: str
    name: str
    username: str | None = None
    avatar_url: str | None = None
    followers: int | None = None
    # Page/IG accounts carry their own token (Meta page tokens never expire).
    token: TokenSet | None = None
    parent_external_id: str | None = None  # the Page an IG account is linked to
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Connection:
    """What a completed login yields: the tokens and every identity the user can connect."""

    token: TokenSet
    accounts: list[AccountProfile]
    granted_scopes: tuple[str, ...]


class SocialProvider(Protocol):
    descriptor: Descriptor
    config: ProviderConfig

    def authorization_url(self, state: str, code_verifier: str | None) -> str:
        """Where to send the user to consent."""
        ...

    def complete_login(self, code: str, code_verifier: str | None) -> Connection:
        """Exchange the code and discover the identities the user can connect."""
        ...

    def refresh(self, token: TokenSet) -> TokenSet:
        """A fresh token set. Platforms that rotate refresh tokens return the new one."""
        ...

    def revoke(self, token: TokenSet) -> bool:
        """Revoke at the platform. False when the platform has no revocation."""
        ...

    def verify(self, account_external_id: str, token: TokenSet) -> AccountProfile:
        """A cheap authenticated call proving the token works for this account."""
        ...
