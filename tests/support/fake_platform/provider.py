"""Fakebook's wire contract: OAuth 2.0 with PKCE and rotating refresh tokens, ``GET /me`` for
the identity, ``x-fakebook-limit`` / ``-remaining`` budget headers."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import ClassVar
from urllib.parse import urlencode

import httpx2

from growth_manager.providers.base import AccountProfile, Connection, ProviderConfig, TokenSet
from growth_manager.providers.client import HttpProvider, PlatformHttp, RateLimitObserver
from growth_manager.providers.errors import (
    ProviderError,
    RateLimited,
    ReauthRequired,
    Rejected,
    Transient,
)
from growth_manager.providers.http import (
    RateLimitState,
    endpoint_of,
    header_int,
    json_body,
    oauth_error,
)
from growth_manager.providers.oauth import token_set
from tests.support.fake_platform.descriptor import DESCRIPTOR
from tests.support.fake_platform.server import FakeOAuthServer


def classify(platform: str, response: httpx2.Response, now: datetime) -> ProviderError:
    body = json_body(response)
    oauth = oauth_error(platform, body, response)
    if oauth is not None:
        return oauth
    status = response.status_code
    message = str((body or {}).get("message") or response.reason_phrase)
    endpoint = endpoint_of(response)
    if status == 401:
        return ReauthRequired(platform, message, status=status, endpoint=endpoint)
    if status == 429:
        return RateLimited(platform, message, retry_after=60.0, status=status, endpoint=endpoint)
    if status >= 500:
        return Transient(platform, message, status=status, endpoint=endpoint)
    return Rejected(platform, message, status=status, endpoint=endpoint)


def parse_rate_limits(platform: str, response: httpx2.Response) -> list[RateLimitState]:
    if "x-fakebook-remaining" not in response.headers:
        return []
    return [
        RateLimitState(
            platform=platform,
            scope="endpoint",
            endpoint=endpoint_of(response),
            limit=header_int(response, "x-fakebook-limit"),
            remaining=header_int(response, "x-fakebook-remaining"),
        )
    ]


def challenge_of(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class FakebookProvider(HttpProvider):
    descriptor = DESCRIPTOR
    platform = DESCRIPTOR.platform
    classify = staticmethod(classify)
    parse_rate_limits = staticmethod(parse_rate_limits)
    # The server every Fakebook provider talks to; a test installs a fresh one.
    server: ClassVar[FakeOAuthServer] = FakeOAuthServer()

    def __init__(
        self, config: ProviderConfig, on_rate_limits: RateLimitObserver | None = None
    ) -> None:
        http = PlatformHttp(
            self.platform,
            config.timeout_seconds,
            classify,
            parse_rate_limits,
            on_rate_limits,
            transport=httpx2.MockTransport(self.server.handle),
        )
        super().__init__(config, on_rate_limits, http)

    def authorization_url(self, state: str, code_verifier: str | None) -> str:
        query = {
            "client_id": self.config.client_id,
            "redirect_uri": self.config.redirect_uri,
            "state": state,
            "scope": " ".join(self.descriptor.requested_scopes),
            "code_challenge": challenge_of(code_verifier or ""),
            "code_challenge_method": "S256",
        }
        return f"{self.config.auth_base}/authorize?{urlencode(query)}"

    def _token(self, **form: str) -> TokenSet:
        pair = f"{self.config.client_id}:{self.config.client_secret}"
        basic = base64.b64encode(pair.encode()).decode()
        response = self.http.request(
            "POST",
            f"{self.config.api_base}/oauth/token",
            data={"client_id": self.config.client_id, **form},
            headers={"Authorization": f"Basic {basic}"},
        )
        return token_set(response.json())

    def complete_login(self, code: str, code_verifier: str | None) -> Connection:
        token = self._token(
            grant_type="authorization_code", code=code, code_verifier=code_verifier or ""
        )
        profile = self.verify("", token)
        return Connection(token=token, accounts=[profile], granted_scopes=token.scopes)

    def refresh(self, token: TokenSet) -> TokenSet:
        if not token.refresh_token:
            raise ReauthRequired(self.platform, "no refresh token; sign in again")
        return self._token(grant_type="refresh_token", refresh_token=token.refresh_token)

    def revoke(self, token: TokenSet) -> bool:
        return False

    def verify(self, account_external_id: str, token: TokenSet) -> AccountProfile:
        data = self.http.request(
            "GET",
            f"{self.config.api_base}/me",
            headers={"Authorization": f"Bearer {token.access_token}"},
        ).json()
        if account_external_id and data["id"] != account_external_id:
            raise Rejected(self.platform, "this login is a different Fakebook profile")
        return AccountProfile(
            platform=self.platform,
            kind="profile",
            external_id=str(data["id"]),
            name=str(data["name"]),
            username=str(data["handle"]),
            followers=int(data["followers"]),
        )
