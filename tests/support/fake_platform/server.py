"""Fakebook's side: consent, the token endpoint (PKCE, rotating single-use refresh tokens) and
``GET /me``, served in memory through an ``httpx2.MockTransport``."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx2

CLIENT = ("fakebook-client", "fakebook-secret")
PROFILE = {"id": "fb-7", "name": "Fake Bakery", "handle": "fakebakery", "followers": 321}
SCOPES = "profile.read posts.write stats.read"


@dataclass
class FakeOAuthServer:
    codes: dict[str, str] = field(default_factory=dict)  # code → PKCE challenge
    access_tokens: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    requests: list[str] = field(default_factory=list)  # "METHOD /path" of every call

    def consent(self, authorize_url: str) -> str:
        """The person agrees: the callback URL the browser is sent back to."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
        assert query["client_id"] == CLIENT[0]
        code = secrets.token_urlsafe(8)
        self.codes[code] = query["code_challenge"]
        back = urlencode({"code": code, "state": query["state"]})
        return f"{query['redirect_uri']}?{back}"

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(f"{request.method} {request.url.path}")
        if request.url.path == "/oauth/token":
            return self._token(request)
        if request.url.path == "/me":
            bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
            if bearer not in self.access_tokens:
                return httpx2.Response(401, json={"message": "unknown token"})
            headers = {"x-fakebook-limit": "100", "x-fakebook-remaining": "99"}
            return httpx2.Response(200, json=PROFILE, headers=headers)
        return httpx2.Response(404, json={"message": "no such endpoint"})

    def _token(self, request: httpx2.Request) -> httpx2.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        basic = base64.b64encode(f"{CLIENT[0]}:{CLIENT[1]}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {basic}":
            return httpx2.Response(401, json={"error": "invalid_client"})
        if form.get("grant_type") == "authorization_code":
            challenge = self.codes.pop(form.get("code", ""), None)
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            if challenge != base64.urlsafe_b64encode(digest).rstrip(b"=").decode():
                return httpx2.Response(400, json={"error": "invalid_grant"})
        elif form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens:
                return httpx2.Response(400, json={"error": "invalid_grant"})
            self.refresh_tokens.discard(form["refresh_token"])  # single use
        else:
            return httpx2.Response(400, json={"error": "unsupported_grant_type"})
        access, refresh = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
        self.access_tokens.add(access)
        self.refresh_tokens.add(refresh)
        return httpx2.Response(
            200,
            json={
                "access_token": access,
                "refresh_token": refresh,
                "expires_in": 600,
                "scope": SCOPES,
                "token_type": "bearer",
            },
        )
