"""X provider fixtures: an ``XProvider`` pointed at the sandbox, a token obtained through the
real consent flow (the provider's own authorization URL and code exchange), a dict-backed step
recorder and a small reader of the sandbox's posts."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest

from growth_manager.providers.base import ProviderConfig, TokenSet
from growth_manager.providers.x import XProvider
from tests.support.consent import consent
from tests.support.sandbox import SandboxHandle

BAKERY_ID = "1590000000000000001"
REDIRECT_URI = "http://127.0.0.1:8000/api/v1/oauth/x/callback"


@dataclass
class Steps:
    """The publishing engine's part in a test: what ``record`` stored, in order."""

    done: dict[str, str] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)

    def __call__(self, step: str, remote_id: str) -> None:
        self.done[step] = remote_id
        self.order.append(step)


@dataclass
class XSandbox:
    """Reads and controls the sandbox behind the provider."""

    handle: SandboxHandle
    token: TokenSet

    def _get(self, path: str, **params: str) -> Any:
        response = httpx2.get(
            f"{self.handle.url}/api.x.com{path}",
            params=params,
            headers={"Authorization": f"Bearer {self.token.access_token}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def tweet(self, tweet_id: str) -> dict[str, Any] | None:
        body = self._get(
            f"/2/tweets/{tweet_id}", **{"tweet.fields": "referenced_tweets,attachments,author_id"}
        )
        data: dict[str, Any] | None = body.get("data")
        return data

    def own_posts_with(self, *texts: str) -> list[dict[str, Any]]:
        """The account's posts whose text is one of ``texts``, newest first."""
        body = self._get(
            f"/2/users/{BAKERY_ID}/tweets",
            max_results="100",
            **{"tweet.fields": "referenced_tweets,attachments"},
        )
        return [t for t in body.get("data", []) if t["text"] in texts]

    def fault(self, **rule: Any) -> None:
        response = httpx2.post(f"{self.handle.url}/_sandbox/faults", json=rule, timeout=10)
        assert response.status_code == 201, response.text

    def limits(self, section: str, endpoint: str, limit: int) -> None:
        response = httpx2.post(
            f"{self.handle.url}/_sandbox/ratelimits",
            json={"platform": "x", "limits": {section: {endpoint: limit}}},
            timeout=10,
        )
        assert response.status_code == 200, response.text

    def advance_clock(self, seconds: float) -> None:
        response = httpx2.post(
            f"{self.handle.url}/_sandbox/clock", json={"advance_seconds": seconds}, timeout=10
        )
        assert response.status_code == 200, response.text


def make_provider(sandbox: SandboxHandle, timeout_seconds: float = 10.0) -> XProvider:
    return XProvider(
        ProviderConfig(
            client_id="sandbox-x-client",
            client_secret="sandbox-x-secret",
            redirect_uri=REDIRECT_URI,
            api_base=f"{sandbox.url}/api.x.com",
            auth_base=f"{sandbox.url}/x.com",
            timeout_seconds=timeout_seconds,
            is_sandbox=True,
        )
    )


@pytest.fixture
def provider(fresh_sandbox: SandboxHandle) -> Iterator[XProvider]:
    made = make_provider(fresh_sandbox)
    yield made
    made.http.close()


@pytest.fixture
def token(provider: XProvider) -> TokenSet:
    """Connected as the bakery through the consent page, as a person would."""
    verifier = secrets.token_urlsafe(48)
    location = consent(provider.authorization_url(secrets.token_urlsafe(12), verifier))
    code = parse_qs(urlsplit(location).query)["code"][0]
    connection = provider.complete_login(code, verifier)
    assert connection.accounts[0].external_id == BAKERY_ID
    return connection.token


@pytest.fixture
def x(fresh_sandbox: SandboxHandle, token: TokenSet) -> XSandbox:
    return XSandbox(fresh_sandbox, token)


@pytest.fixture
def steps() -> Steps:
    return Steps()
