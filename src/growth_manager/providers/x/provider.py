"""X (API v2): OAuth 2.0 with PKCE, 2-hour access tokens, rotating single-use refresh tokens.

Wire contract: ../shared/reference/platform-apis.md §A. Authorize at ``{auth}/i/oauth2/authorize``,
token and revoke at ``{api}/2/oauth2/token`` and ``/2/oauth2/revoke`` (confidential client:
HTTP Basic), identity from ``GET /2/users/me``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from growth_manager.providers.base import (
    AccountMetrics,
    AccountProfile,
    AccountRef,
    CompetitorProfile,
    Connection,
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
from growth_manager.providers.oauth import call_token_endpoint, oauth_client, token_set
from growth_manager.providers.x import comments, errors
from growth_manager.providers.x.analytics import XAnalytics
from growth_manager.providers.x.competitors import XCompetitors
from growth_manager.providers.x.descriptor import DESCRIPTOR
from growth_manager.providers.x.publishing import XPublisher

USER_FIELDS = "profile_image_url,public_metrics,username,name"


class XProvider(HttpProvider):
    descriptor = DESCRIPTOR
    platform = DESCRIPTOR.platform
    classify = staticmethod(errors.classify)
    parse_rate_limits = staticmethod(errors.parse_rate_limits)

    # --- OAuth -------------------------------------------------------------------------------
    @property
    def authorize_endpoint(self) -> str:
        return f"{self.config.auth_base}/i/oauth2/authorize"

    @property
    def token_endpoint(self) -> str:
        return f"{self.config.api_base}/2/oauth2/token"

    def _oauth(self) -> Any:
        return oauth_client(
            self.config,
            scope=" ".join(self.descriptor.requested_scopes),
            auth_method="client_secret_basic",
            pkce=True,
        )

    def authorization_url(self, state: str, code_verifier: str | None) -> str:
        with self._oauth() as client:
            url, _ = client.create_authorization_url(
                self.authorize_endpoint, state=state, code_verifier=code_verifier
            )
        return str(url)

    def complete_login(self, code: str, code_verifier: str | None) -> Connection:
        with self._oauth() as client:
            raw = call_token_endpoint(
                self,
                lambda: client.fetch_token(
                    self.token_endpoint, code=code, code_verifier=code_verifier
                ),
            )
        token = token_set(raw, fallback_scopes=self.descriptor.requested_scopes)
        profile = self.verify("", token)
        return Connection(token=token, accounts=[profile], granted_scopes=token.scopes)

    def refresh(self, token: TokenSet) -> TokenSet:
        if not token.refresh_token:
            raise ReauthRequired(
                self.platform, "no refresh token was granted (offline.access missing); reconnect"
            )
        refresh_token = token.refresh_token
        with self._oauth() as client:
            raw = call_token_endpoint(
                self,
                lambda: client.refresh_token(self.token_endpoint, refresh_token=refresh_token),
            )
        # X rotates: the response carries a new refresh token and the old one is now dead.
        return token_set(raw, fallback_scopes=token.scopes)

    def revoke(self, token: TokenSet) -> bool:
        url = f"{self.config.api_base}/2/oauth2/revoke"
        with self._oauth() as client:
            for value, hint in (
                (token.refresh_token, "refresh_token"),
                (token.access_token, "access_token"),
            ):
                if not value:
                    continue

                def revoke_one(value: str = value, hint: str = hint) -> dict[str, Any]:
                    return _json_or_empty(
                        client.revoke_token(url, token=value, token_type_hint=hint)
                    )

                call_token_endpoint(self, revoke_one)
        return True

    # --- API -----------------------------------------------------------------------------------
    def verify(self, account_external_id: str, token: TokenSet) -> AccountProfile:
        response = self.http.request(
            "GET",
            f"{self.config.api_base}/2/users/me",
            params={"user.fields": USER_FIELDS},
            headers={"Authorization": f"Bearer {token.access_token}"},
        )
        data = response.json().get("data") or {}
        if not data.get("id"):
            raise Rejected(self.platform, "GET /2/users/me answered without a user id")
        if account_external_id and data["id"] != account_external_id:
            raise Rejected(
                self.platform, f"this login is @{data.get('username')}, not the connected account"
            )
        metrics = data.get("public_metrics") or {}
        return AccountProfile(
            platform=self.platform,
            kind="user",
            external_id=str(data["id"]),
            name=str(data.get("name") or data.get("username") or data["id"]),
            username=data.get("username"),
            avatar_url=data.get("profile_image_url"),
            followers=metrics.get("followers_count"),
            extra={"public_metrics": metrics},
        )

    # --- publishing (publishing.py) ------------------------------------------------------------
    def _publisher(self) -> XPublisher:
        return XPublisher(
            http=self.http,
            platform=self.platform,
            api_base=self.config.api_base,
            upload_base=self.config.upload_base or self.config.api_base,
            auth_base=self.config.auth_base,
        )

    def publish(
        self, request: PublishRequest, token: TokenSet, done: Progress, record: StepRecorder
    ) -> PublishResult:
        return self._publisher().publish(request, token, done, record)

    def recover(self, request: PublishRequest, token: TokenSet, done: Progress) -> Progress:
        return self._publisher().recover(request, token, done)

    def delete(self, request: PublishRequest, token: TokenSet, done: Progress) -> None:
        self._publisher().delete(request, token, done)

    # --- analytics (analytics.py) --------------------------------------------------------------
    def _analytics(self) -> XAnalytics:
        return XAnalytics(
            http=self.http,
            platform=self.platform,
            api_base=self.config.api_base,
            auth_base=self.config.auth_base,
        )

    def post_metrics(
        self, account: AccountRef, remote_ids: Sequence[str], token: TokenSet
    ) -> PostMetricsBatch:
        return self._analytics().post_metrics(account, remote_ids, token)

    def account_metrics(
        self,
        account: AccountRef,
        token: TokenSet,
        since: datetime | None = None,
        current: bool = True,
    ) -> AccountMetrics:
        return self._analytics().account_metrics(account, token, since, current)

    def recent_posts(self, account: AccountRef, token: TokenSet, since: datetime) -> RecentPosts:
        return self._analytics().recent_posts(account, token, since)

    # --- competitors (competitors.py) ----------------------------------------------------------
    def competitor_profile(
        self, account: AccountRef, token: TokenSet, handle: str, since: datetime
    ) -> CompetitorProfile:
        return XCompetitors(http=self.http, api_base=self.config.api_base).read(
            token, handle, since
        )

    def post_comments(
        self,
        account: AccountRef,
        token: TokenSet,
        remote_post_ids: Sequence[str],
        since: datetime | None = None,
    ) -> PostComments:
        return comments.post_comments(
            self.http,
            self.config.api_base,
            self.config.auth_base,
            account,
            token,
            remote_post_ids,
            since,
        )


def _json_or_empty(response: Any) -> dict[str, Any]:
    response.raise_for_status()
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
