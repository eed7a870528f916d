"""Meta Graph (Facebook Pages and Instagram business accounts) through one Facebook Login.

Wire contract: ../shared/reference/platform-apis.md §C. The login dialog is
``{auth}/{version}/dialog/oauth`` (scopes comma-separated); the code is exchanged with
``GET {api}/{version}/oauth/access_token`` for a short-lived user token, which is exchanged
again (``grant_type=fb_exchange_token``) for a 60-day token. ``/me/accounts`` lists the Pages
with their page tokens (which do not expire when derived from a long-lived user token) and the
Instagram business account linked to each Page.

Token calls go through :class:`PlatformHttp` rather than Authlib: Meta answers OAuth errors in
its Graph envelope (``{"error": {"code": 190, …}}``), which only the Graph classifier reads
right, and its exchange is a GET with query parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlencode

from growth_manager.providers.base import (
    AccountMetrics,
    AccountProfile,
    AccountRef,
    CompetitorProfile,
    Connection,
    Descriptor,
    PostComments,
    PostMetricsBatch,
    Progress,
    PublishRequest,
    PublishResult,
    RecentPosts,
    StepRecorder,
    TokenSet,
)
from growth_manager.providers.client import HttpProvider
from growth_manager.providers.errors import ReauthRequired, Rejected
from growth_manager.providers.meta import analytics, comments, competitors, errors, publishing
from growth_manager.providers.meta.descriptor import FACEBOOK, INSTAGRAM, LOGIN_SCOPES
from growth_manager.providers.oauth import token_set

DEFAULT_GRAPH_VERSION = "v23.0"
PAGE_FIELDS = (
    "id,name,access_token,username,fan_count,followers_count,picture{url},"
    "instagram_business_account{id,username,name,profile_picture_url,followers_count}"
)


class MetaProvider(HttpProvider):
    """Shared by Facebook Pages and Instagram: one login, one Graph API."""

    descriptor: ClassVar[Descriptor] = FACEBOOK
    platform: ClassVar[str] = FACEBOOK.platform
    classify = staticmethod(errors.classify)
    parse_rate_limits = staticmethod(errors.parse_rate_limits)

    @property
    def version(self) -> str:
        return self.config.api_version or DEFAULT_GRAPH_VERSION

    @property
    def graph(self) -> str:
        return f"{self.config.api_base}/{self.version}"

    def _get(self, path: str, token: str | None, **params: Any) -> Any:
        if token is not None:
            params["access_token"] = token
        return self.http.request("GET", f"{self.graph}/{path.lstrip('/')}", params=params).json()

    # --- OAuth -------------------------------------------------------------------------------
    def authorization_url(self, state: str, code_verifier: str | None) -> str:
        query = urlencode(
            {
                "client_id": self.config.client_id,
                "redirect_uri": self.config.redirect_uri,
                "state": state,
                "response_type": "code",
                "scope": ",".join(LOGIN_SCOPES),
            }
        )
        return f"{self.config.auth_base}/{self.version}/dialog/oauth?{query}"

    def _exchange(self, **params: str) -> TokenSet:
        raw = self._get(
            "oauth/access_token",
            None,
            client_id=self.config.client_id,
            client_secret=self.config.client_secret,
            **params,
        )
        return token_set(raw)

    def complete_login(self, code: str, code_verifier: str | None) -> Connection:
        short = self._exchange(redirect_uri=self.config.redirect_uri, code=code)
        user_token = self._exchange(
            grant_type="fb_exchange_token", fb_exchange_token=short.access_token
        )
        granted = self.granted_scopes(user_token)
        user_token = TokenSet(
            access_token=user_token.access_token,
            refresh_token=None,
            expires_at=user_token.expires_at,
            refresh_expires_at=None,
            scopes=granted,
        )
        return Connection(
            token=user_token, accounts=self.pages_and_instagram(user_token), granted_scopes=granted
        )

    def granted_scopes(self, token: TokenSet) -> tuple[str, ...]:
        data = self._get("me/permissions", token.access_token).get("data", [])
        return tuple(
            str(item["permission"])
            for item in data
            if isinstance(item, dict) and item.get("status") == "granted"
        )

    def pages_and_instagram(self, user_token: TokenSet) -> list[AccountProfile]:
        """Every Page the user granted, and the Instagram business account linked to each."""
        accounts: list[AccountProfile] = []
        after: str | None = None
        for _ in range(20):  # 20 pages of 100 Pages is far beyond a small business
            params: dict[str, Any] = {"fields": PAGE_FIELDS, "limit": 100}
            if after:
                params["after"] = after
            body = self._get("me/accounts", user_token.access_token, **params)
            for page in body.get("data", []):
                accounts.extend(self._page_accounts(page, user_token.scopes))
            after = ((body.get("paging") or {}).get("cursors") or {}).get("after")
            if not (body.get("paging") or {}).get("next") or not after:
                break
        return accounts

    def _page_accounts(self, page: dict[str, Any], scopes: tuple[str, ...]) -> list[AccountProfile]:
        page_token_value = page.get("access_token")
        if not page_token_value:
            return []
        # Page tokens from a long-lived user token do not expire.
        page_token = TokenSet(
            access_token=str(page_token_value),
            refresh_token=None,
            expires_at=None,
            refresh_expires_at=None,
            scopes=scopes,
        )
        picture = ((page.get("picture") or {}).get("data") or {}).get("url")
        accounts = [
            AccountProfile(
                platform=FACEBOOK.platform,
                kind="page",
                external_id=str(page["id"]),
                name=str(page.get("name") or page["id"]),
                username=page.get("username"),
                avatar_url=picture,
                followers=page.get("followers_count") or page.get("fan_count"),
                token=page_token,
            )
        ]
        ig = page.get("instagram_business_account")
        if isinstance(ig, dict) and ig.get("id"):
            accounts.append(
                AccountProfile(
                    platform=INSTAGRAM.platform,
                    kind="instagram_business",
                    external_id=str(ig["id"]),
                    name=str(ig.get("name") or ig.get("username") or ig["id"]),
                    username=ig.get("username"),
                    avatar_url=ig.get("profile_picture_url"),
                    followers=ig.get("followers_count"),
                    token=page_token,
                    parent_external_id=str(page["id"]),
                )
            )
        return accounts

    def refresh(self, token: TokenSet) -> TokenSet:
        """Page tokens never expire; a user token is re-exchanged while it still works."""
        if token.expires_at is None:
            return token
        if token.expires_at <= datetime.now(UTC):
            raise ReauthRequired(self.platform, "the 60-day Facebook login expired; sign in again")
        fresh = self._exchange(grant_type="fb_exchange_token", fb_exchange_token=token.access_token)
        return TokenSet(
            access_token=fresh.access_token,
            refresh_token=None,
            expires_at=fresh.expires_at,
            refresh_expires_at=None,
            scopes=token.scopes,
        )

    def revoke(self, token: TokenSet) -> bool:
        """Removes the app's permissions for the user (``DELETE /me/permissions``).

        Graph has no way to revoke a single Page token (``expires_at`` None): only the user's
        whole grant, which would also cut every other Page and business connected through the
        same person. So a Page token is not revoked here (False); deleting it is what we can
        do, and the person can remove the app in their Facebook settings."""
        if token.expires_at is None:
            return False
        self.http.request(
            "DELETE", f"{self.graph}/me/permissions", params={"access_token": token.access_token}
        )
        return True

    def verify(self, account_external_id: str, token: TokenSet) -> AccountProfile:
        fields = (
            "id,name,username,followers_count,profile_picture_url"
            if self.descriptor is INSTAGRAM
            else "id,name,username,followers_count,fan_count,picture{url}"
        )
        data = self._get(account_external_id or "me", token.access_token, fields=fields)
        if not data.get("id"):
            raise Rejected(self.platform, "the Graph API answered without an id")
        picture = ((data.get("picture") or {}).get("data") or {}).get("url")
        return AccountProfile(
            platform=self.platform,
            kind="instagram_business" if self.descriptor is INSTAGRAM else "page",
            external_id=str(data["id"]),
            name=str(data.get("name") or data.get("username") or data["id"]),
            username=data.get("username"),
            avatar_url=data.get("profile_picture_url") or picture,
            followers=data.get("followers_count") or data.get("fan_count"),
        )


class FacebookProvider(MetaProvider):
    descriptor = FACEBOOK
    platform = FACEBOOK.platform

    def publish(
        self, request: PublishRequest, token: TokenSet, done: Progress, record: StepRecorder
    ) -> PublishResult:
        return publishing.facebook_publish(self, request, token, done, record)

    def recover(self, request: PublishRequest, token: TokenSet, done: Progress) -> Progress:
        return publishing.facebook_recover(self, request, token, done)

    def delete(self, request: PublishRequest, token: TokenSet, done: Progress) -> None:
        publishing.facebook_delete(self, request, token, done)

    def post_metrics(
        self, account: AccountRef, remote_ids: Sequence[str], token: TokenSet
    ) -> PostMetricsBatch:
        return analytics.post_metrics(self, remote_ids, token, instagram=False)

    def account_metrics(
        self,
        account: AccountRef,
        token: TokenSet,
        since: datetime | None = None,
        current: bool = True,
    ) -> AccountMetrics:
        return analytics.page_metrics(self, account, token, since, current=current)

    def recent_posts(self, account: AccountRef, token: TokenSet, since: datetime) -> RecentPosts:
        return analytics.facebook_recent(self, account, token, since)

    def post_comments(
        self,
        account: AccountRef,
        token: TokenSet,
        remote_post_ids: Sequence[str],
        since: datetime | None = None,
    ) -> PostComments:
        return comments.post_comments(self, account, token, remote_post_ids, since, instagram=False)


class InstagramProvider(MetaProvider):
    descriptor = INSTAGRAM
    platform = INSTAGRAM.platform

    def publish(
        self, request: PublishRequest, token: TokenSet, done: Progress, record: StepRecorder
    ) -> PublishResult:
        return publishing.instagram_publish(self, request, token, done, record)

    def recover(self, request: PublishRequest, token: TokenSet, done: Progress) -> Progress:
        return publishing.instagram_recover(self, request, token, done)

    def delete(self, request: PublishRequest, token: TokenSet, done: Progress) -> None:
        publishing.instagram_delete(self, request, token, done)

    def post_metrics(
        self, account: AccountRef, remote_ids: Sequence[str], token: TokenSet
    ) -> PostMetricsBatch:
        return analytics.post_metrics(self, remote_ids, token, instagram=True)

    def account_metrics(
        self,
        account: AccountRef,
        token: TokenSet,
        since: datetime | None = None,
        current: bool = True,
    ) -> AccountMetrics:
        return analytics.instagram_account_metrics(self, account, token, since, current=current)

    def recent_posts(self, account: AccountRef, token: TokenSet, since: datetime) -> RecentPosts:
        return analytics.instagram_recent(self, account, token, since)

    def competitor_profile(
        self, account: AccountRef, token: TokenSet, handle: str, since: datetime
    ) -> CompetitorProfile:
        return competitors.read(self, account.external_id, token, handle, since)

    def post_comments(
        self,
        account: AccountRef,
        token: TokenSet,
        remote_post_ids: Sequence[str],
        since: datetime | None = None,
    ) -> PostComments:
        return comments.post_comments(self, account, token, remote_post_ids, since, instagram=True)
