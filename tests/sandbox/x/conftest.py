"""X fixtures: an httpx2 client that validates every X v2 response against the OpenAPI spec,
and the real authorization-code flow (consent page, PKCE, token endpoint) to get tokens."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx2
import pytest

from tests.sandbox.x.openapi import ValidatingHook
from tests.support.sandbox import SandboxHandle

CLIENT_ID = "sandbox-x-client"
CLIENT_SECRET = "sandbox-x-secret"
PUBLIC_CLIENT_ID = "sandbox-x-public-client"
REDIRECT_URI = "http://127.0.0.1:8000/api/v1/oauth/x/callback"
BAKERY_ID = "1590000000000000001"
CYCLES_ID = "1590000000000000002"
ALL_SCOPES = "tweet.read tweet.write users.read offline.access media.write"


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


class FormParser(HTMLParser):
    """Reads the consent page's form: action, hidden inputs, account radios, buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.hidden: dict[str, str] = {}
        self.accounts: list[str] = []
        self.buttons: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = a.get("action", "")
        elif tag == "input" and a.get("type") == "hidden":
            self.hidden[a["name"]] = a.get("value", "")
        elif tag == "input" and a.get("type") == "radio" and a.get("name") == "account":
            self.accounts.append(a["value"])
        elif tag == "button":
            self.buttons.append(a.get("value", ""))


@dataclass
class XClient:
    sandbox: SandboxHandle
    http: httpx2.Client
    hook: ValidatingHook
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)

    def authorize_params(self, **overrides: str) -> tuple[dict[str, str], str]:
        verifier = secrets.token_urlsafe(48)
        params = {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "scope": ALL_SCOPES,
            "state": secrets.token_urlsafe(12),
            "code_challenge": s256(verifier),
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        return params, verifier

    def consent(
        self, params: dict[str, str], account: str = BAKERY_ID, action: str = "authorize"
    ) -> httpx2.Response:
        """Open the page, then submit its own form as a browser would."""
        page = self.http.get("/x.com/i/oauth2/authorize", params=params)
        assert page.status_code == 200, page.text
        form = FormParser()
        form.feed(page.text)
        assert account in form.accounts
        assert {"authorize", "cancel"} <= set(form.buttons)
        return self.http.post(
            form.action, data={**form.hidden, "account": account, "action": action}
        )

    def code_for(
        self, account: str = BAKERY_ID, **overrides: str
    ) -> tuple[str, str, dict[str, str]]:
        params, verifier = self.authorize_params(**overrides)
        response = self.consent(params, account)
        assert response.status_code == 302, response.text
        query = parse_qs(urlparse(response.headers["location"]).query)
        assert query["state"] == [params["state"]]
        return query["code"][0], verifier, params

    def exchange(self, code: str, verifier: str, **extra: str) -> httpx2.Response:
        return self.http.post(
            "/api.x.com/2/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier,
                **extra,
            },
            auth=(CLIENT_ID, CLIENT_SECRET),
        )

    def token(self, account: str = BAKERY_ID, scope: str = ALL_SCOPES) -> dict[str, Any]:
        key = f"{account}|{scope}"
        if key not in self.tokens:
            code, verifier, _ = self.code_for(account, scope=scope)
            response = self.exchange(code, verifier)
            assert response.status_code == 200, response.text
            self.tokens[key] = response.json()
        return self.tokens[key]

    def auth(self, account: str = BAKERY_ID, scope: str = ALL_SCOPES) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(account, scope)['access_token']}"}

    def clock(self, **body: float) -> dict[str, Any]:
        response = self.http.post("/_sandbox/clock", json=body)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data


@pytest.fixture
def x(fresh_sandbox: SandboxHandle) -> Iterator[XClient]:
    hook = ValidatingHook()
    with httpx2.Client(
        base_url=fresh_sandbox.url, timeout=10, event_hooks={"response": [hook]}
    ) as http:
        yield XClient(fresh_sandbox, http, hook)


def location_code(response: httpx2.Response) -> dict[str, list[str]]:
    return parse_qs(urlparse(response.headers["location"]).query)


def data_error(page: str) -> str:
    found = re.search(r'data-error="([^"]+)"', page)
    return found.group(1) if found else ""
