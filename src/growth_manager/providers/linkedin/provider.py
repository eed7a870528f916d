"""LinkedIn: a member profile and the organization pages the member administers.

Wire contract: ../shared/reference/platform-apis.md §B. OAuth at ``{auth}/oauth/v2/…`` (client
credentials in the form body); 60-day access tokens; refresh tokens (365 days, partner apps
only) are NOT rotated and refreshing does not extend them. Identity from OIDC
``GET /v2/userinfo``; organizations from ``GET /rest/organizationAcls?q=roleAssignee``. Every
``/rest`` call carries ``LinkedIn-Version`` and ``X-Restli-Protocol-Version: 2.0.0``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from growth_manager.providers.base import (
    AccountMetrics,
    AccountProfile,
    AccountRef,
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
from growth_manager.providers.errors import ProviderError, ReauthRequired, Rejected
from growth_manager.providers.linkedin import comments, errors
from growth_manager.providers.linkedin.analytics import Analytics
from growth_manager.providers.linkedin.descriptor import DESCRIPTOR
from growth_manager.providers.linkedin.publishing import Publisher
from growth_manager.providers.oauth import call_token_endpoint, oauth_client, token_set

DEFAULT_VERSION = "202601"
ADMIN_ROLES = ("ADMINISTRATOR", "CONTENT_ADMIN", "DIRECT_SPONSORED_CONTENT_POSTER")
# organizationAcls answers 10 elements a page unless asked for more; pages of 100, and at most
# 20 of them, are far beyond any member's pages.
ACL_PAGE_SIZE = 100
ACL_PAGES = 20


class LinkedInProvider(HttpProvider):
    descriptor = DESCRIPTOR
    platform = DESCRIPTOR.platform
    classify = staticmethod(errors.classify)

    @property
    def version(self) -> str:
        return self.config.api_version or DEFAULT_VERSION

    def rest_headers(self, token: TokenSet) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {token.access_token}",
            "LinkedIn-Version": self.version,
            "X-Restli-Protocol-Version": "2.0.0",
        }

    # --- OAuth -------------------------------------------------------------------------------
    def _oauth(self) -> Any:
        return oauth_client(
            self.config,
            scope=" ".join(self.descriptor.requested_scopes),
            auth_method="client_secret_post",
        )

    def authorization_url(self, state: str, code_verifier: str | None) -> str:
        with self._oauth() as client:
            url, _ = client.create_authorization_url(
                f"{self.config.auth_base}/oauth/v2/authorization", state=state
            )
        return str(url)

    def complete_login(self, code: str, code_verifier: str | None) -> Connection:
        with self._oauth() as client:
            raw = call_token_endpoint(
                self,
                lambda: client.fetch_token(
                    f"{self.config.auth_base}/oauth/v2/accessToken", code=code
                ),
            )
        token = token_set(raw, fallback_scopes=self.descriptor.requested_scopes)
        member = self.verify("", token)
        accounts = [member]
        if {"rw_organization_admin", "w_organization_social", "r_organization_social"} & set(
            token.scopes
        ):
            accounts.extend(self.organizations(token))
        return Connection(token=token, accounts=accounts, granted_scopes=token.scopes)

    def refresh(self, token: TokenSet) -> TokenSet:
        if not token.refresh_token:
            raise ReauthRequired(
                self.platform,
                "LinkedIn gave this app no refresh token; sign in again before the token expires",
            )
        refresh_token = token.refresh_token
        with self._oauth() as client:
            raw = call_token_endpoint(
                self,
                lambda: client.refresh_token(
                    f"{self.config.auth_base}/oauth/v2/accessToken", refresh_token=refresh_token
                ),
            )
        refreshed = token_set(
            raw, fallback_scopes=token.scopes, previous_refresh_token=token.refresh_token
        )
        if refreshed.refresh_expires_at is None and token.refresh_expires_at is not None:
            # Refreshing never extends LinkedIn's refresh token: keep the original deadline.
            refreshed = TokenSet(
                access_token=refreshed.access_token,
                refresh_token=refreshed.refresh_token,
                expires_at=refreshed.expires_at,
                refresh_expires_at=token.refresh_expires_at,
                scopes=refreshed.scopes,
                token_type=refreshed.token_type,
            )
        return refreshed

    def revoke(self, token: TokenSet) -> bool:
        try:
            self.http.request(
                "POST",
                f"{self.config.auth_base}/oauth/v2/revoke",
                data={
                    "token": token.access_token,
                    "client_id": self.config.client_id,
                    "client_secret": self.config.client_secret,
                },
            )
        except Rejected as exc:
            if exc.status == 404:
                return False
            raise
        return True

    # --- API -----------------------------------------------------------------------------------
    def verify(self, account_external_id: str, token: TokenSet) -> AccountProfile:
        if account_external_id.startswith("urn:li:organization:"):
            return self.organization(account_external_id, token)
        response = self.http.request(
            "GET",
            f"{self.config.api_base}/v2/userinfo",
            headers={"Authorization": f"Bearer {token.access_token}"},
        )
        data = response.json()
        sub = data.get("sub")
        if not sub:
            raise Rejected(self.platform, "GET /v2/userinfo answered without a member id (sub)")
        urn = f"urn:li:person:{sub}"
        if account_external_id and urn != account_external_id:
            raise Rejected(self.platform, "this login is a different LinkedIn member")
        return AccountProfile(
            platform=self.platform,
            kind="member",
            external_id=urn,
            name=str(data.get("name") or sub),
            username=data.get("email"),
            avatar_url=data.get("picture"),
        )

    def organizations(self, token: TokenSet) -> list[AccountProfile]:
        """The pages this member may post for (administrators and content admins)."""
        urns: list[str] = []
        start = 0
        for _ in range(ACL_PAGES):
            try:
                response = self.http.request(
                    "GET",
                    f"{self.config.api_base}/rest/organizationAcls",
                    params={
                        "q": "roleAssignee",
                        "state": "APPROVED",
                        "start": start,
                        "count": ACL_PAGE_SIZE,
                    },
                    headers=self.rest_headers(token),
                )
            except Rejected as exc:
                if exc.status == 403:  # scope not granted: a member-only connection
                    return []
                raise
            body = response.json()
            elements = body.get("elements", [])
            for element in elements:
                if (
                    element.get("role") in ADMIN_ROLES
                    and element.get("state", "APPROVED") == "APPROVED"
                ):
                    urn = element.get("organization") or element.get("organizationTarget")
                    if isinstance(urn, str) and urn not in urns:
                        urns.append(urn)
            # A page of ACLs defaults to 10 elements: read on while pages come back full.
            start += len(elements)
            total = (body.get("paging") or {}).get("total")
            if len(elements) < ACL_PAGE_SIZE or (isinstance(total, int) and start >= total):
                break
        profiles = []
        for urn in urns:
            try:
                profiles.append(self.organization(urn, token))
            except ProviderError as exc:
                if isinstance(exc, ReauthRequired):
                    raise
                profiles.append(
                    AccountProfile(
                        platform=self.platform, kind="organization", external_id=urn, name=urn
                    )
                )
        return profiles

    def organization(self, urn: str, token: TokenSet) -> AccountProfile:
        org_id = urn.rsplit(":", 1)[-1]
        response = self.http.request(
            "GET",
            f"{self.config.api_base}/rest/organizations/{quote(org_id, safe='')}",
            headers=self.rest_headers(token),
        )
        data = response.json()
        name = data.get("localizedName") or _localized(data.get("name")) or urn
        return AccountProfile(
            platform=self.platform,
            kind="organization",
            external_id=urn,
            name=str(name),
            username=data.get("vanityName"),
            avatar_url=_logo(data),
        )

    # --- publishing (publishing.py) ------------------------------------------------------------
    def _publisher(self, token: TokenSet) -> Publisher:
        return Publisher(self.http, self.config, self.rest_headers(token))

    def publish(
        self, request: PublishRequest, token: TokenSet, done: Progress, record: StepRecorder
    ) -> PublishResult:
        return self._publisher(token).publish(request, done, record)

    def recover(self, request: PublishRequest, token: TokenSet, done: Progress) -> Progress:
        return self._publisher(token).recover(request, done)

    def delete(self, request: PublishRequest, token: TokenSet, done: Progress) -> None:
        self._publisher(token).delete(done)

    # --- analytics (analytics.py) --------------------------------------------------------------
    def _analytics(self, token: TokenSet) -> Analytics:
        return Analytics(self.http, self.config, self.rest_headers(token), self.version)

    def post_metrics(
        self, account: AccountRef, remote_ids: Sequence[str], token: TokenSet
    ) -> PostMetricsBatch:
        return self._analytics(token).post_metrics(account, remote_ids)

    def account_metrics(
        self,
        account: AccountRef,
        token: TokenSet,
        since: datetime | None = None,
        current: bool = True,
    ) -> AccountMetrics:
        # The history (and the member totals) are counted from the numbers now: LinkedIn asks for
        # them whatever ``current`` says.
        return self._analytics(token).account_metrics(account, since)

    def recent_posts(self, account: AccountRef, token: TokenSet, since: datetime) -> RecentPosts:
        return self._analytics(token).recent_posts(account, since)

    def post_comments(
        self,
        account: AccountRef,
        token: TokenSet,
        remote_post_ids: Sequence[str],
        since: datetime | None = None,
    ) -> PostComments:
        return comments.post_comments(
            self.http, self.config, self.rest_headers(token), account, remote_post_ids, since
        )


def _localized(value: Any) -> str | None:
    if isinstance(value, dict):
        localized = value.get("localized")
        if isinstance(localized, dict) and localized:
            return str(next(iter(localized.values())))
    return None


def _logo(data: dict[str, Any]) -> str | None:
    logo = data.get("logoV2") or {}
    original = logo.get("original") if isinstance(logo, dict) else None
    return original if isinstance(original, str) and original.startswith("http") else None
