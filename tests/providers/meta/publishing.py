"""Helpers of the Meta publishing tests: a plain dict-backed step recorder, requests and media
items, and the sandbox's clock, faults and ground truth over its HTTP control plane."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx2

from growth_manager.providers.base import MediaItem, PublishRequest, TokenSet
from tests.sandbox.meta import helpers as h
from tests.support.sandbox import SandboxHandle

PAGE = h.FLORIST
IG = h.FLORIST_IG


@dataclass
class Recorder:
    """What the publishing engine stores: the latest id per step, and every call in order."""

    steps: dict[str, str] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, step: str, value: str) -> None:
        self.steps[step] = value
        self.calls.append((step, value))


def page_token(login: h.Login) -> TokenSet:
    return TokenSet(
        access_token=login.page_tokens[PAGE],
        refresh_token=None,
        expires_at=None,
        refresh_expires_at=None,
        scopes=(),
    )


def image(url: str, key: str = "1") -> MediaItem:
    return MediaItem(
        key=key,
        kind="image",
        mime="image/jpeg",
        size_bytes=1000,
        path="/nonexistent",
        url=url,
        width=1080,
        height=1350,
    )


def video(url: str, key: str = "v") -> MediaItem:
    return MediaItem(
        key=key, kind="video", mime="video/mp4", size_bytes=2000, path="/nonexistent", url=url
    )


def page_post(text: str, **kwargs: Any) -> PublishRequest:
    return PublishRequest(account_external_id=PAGE, account_kind="page", parts=(text,), **kwargs)


def ig_post(text: str, **kwargs: Any) -> PublishRequest:
    return PublishRequest(
        account_external_id=IG,
        account_kind="instagram_business",
        parts=(text,),
        parent_external_id=PAGE,
        **kwargs,
    )


@dataclass
class Sandbox:
    handle: SandboxHandle
    http: httpx2.Client
    token: TokenSet

    def advance(self, seconds: float) -> None:
        response = self.http.post("/_sandbox/clock", json={"advance_seconds": seconds})
        assert response.status_code == 200, response.text

    def fault(self, **rule: Any) -> None:
        response = self.http.post("/_sandbox/faults", json=rule)
        assert response.status_code == 201, response.text

    def overrides(self, limits: dict[str, dict[str, int]]) -> None:
        response = self.http.post(
            "/_sandbox/ratelimits", json={"platform": "meta", "limits": limits}
        )
        assert response.status_code == 200, response.text

    def read(self, object_id: str, fields: str) -> dict[str, Any]:
        """The object as the platform has it, read with the same token."""
        response = self.http.get(
            h.graph(object_id), params={"access_token": self.token.access_token, "fields": fields}
        )
        body: dict[str, Any] = response.json()
        return body

    def ig_media_with_caption(self, caption: str) -> list[str]:
        listed = self.read(f"{IG}/media", "id,caption")
        return [m["id"] for m in listed.get("data", []) if m.get("caption") == caption]
