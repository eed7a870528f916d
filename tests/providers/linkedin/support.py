"""What the LinkedIn publishing tests share: a handle on the provider and the sandbox, tokens
from the sandbox's own consent flow, image files, fault rules, and a dict-backed recorder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
from sqlalchemy import select

from growth_manager.providers.base import MediaItem, PublishRequest, TokenSet
from growth_manager.providers.linkedin import LinkedInProvider
from platform_sandbox.linkedin.models import LiComment, LiImage, LiPost
from tests.sandbox.linkedin.helpers import BAKERY, MAYA, login
from tests.support.sandbox import SandboxHandle

MEMBER = f"urn:li:person:{MAYA}"

# A valid 1×1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@dataclass
class Recorder:
    """The publishing engine's part in a test: every step the provider reports, in order."""

    steps: dict[str, str] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)

    def __call__(self, step: str, value: str) -> None:
        assert step not in self.steps, f"step {step} recorded twice"
        self.steps[step] = value
        self.order.append(step)


@dataclass
class LinkedIn:
    sandbox: SandboxHandle
    provider: LinkedInProvider
    http: httpx2.Client
    tmp: Path

    def token(self, member: str = MAYA) -> TokenSet:
        tokens = login(self.http, member=member)
        return TokenSet(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_at=None,
            refresh_expires_at=None,
            scopes=tuple(str(tokens.body.get("scope", "")).split()),
        )

    def image(self, key: str) -> MediaItem:
        path = self.tmp / f"{key}.png"
        path.write_bytes(PNG)
        return MediaItem(
            key=key,
            kind="image",
            mime="image/png",
            size_bytes=len(PNG),
            path=str(path),
            url=f"http://127.0.0.1:1/media/{key}.png",
            width=1,
            height=1,
            filename=f"{key}.png",
        )

    def fault(self, kind: str, path: str, method: str = "POST", **extra: object) -> None:
        response = self.http.post(
            "/_sandbox/faults", json={"kind": kind, "path": path, "method": method, **extra}
        )
        assert response.status_code == 201, response.text


def member_request(text: str, **extra: Any) -> PublishRequest:
    return PublishRequest(account_external_id=MEMBER, account_kind="member", parts=(text,), **extra)


def page_request(text: str, page: str = BAKERY, **extra: Any) -> PublishRequest:
    return PublishRequest(
        account_external_id=page, account_kind="organization", parts=(text,), **extra
    )


def posts_by(sandbox: SandboxHandle, author: str, text: str | None = None) -> list[LiPost]:
    """The author's live posts in the sandbox (with ``text``, if given), oldest first."""
    query = select(LiPost).where(LiPost.author == author, LiPost.deleted.is_(False))
    if text is not None:
        query = query.where(LiPost.commentary == text)
    with sandbox.ctx.store.session() as session:
        return list(session.scalars(query.order_by(LiPost.created_at)))


def post(sandbox: SandboxHandle, urn: str) -> LiPost | None:
    with sandbox.ctx.store.session() as session:
        return session.get(LiPost, urn)


def comments_on(sandbox: SandboxHandle, urn: str) -> list[LiComment]:
    """Comments written through the API (the simulated audience's are not stored)."""
    with sandbox.ctx.store.session() as session:
        return list(
            session.scalars(
                select(LiComment).where(LiComment.post_urn == urn).order_by(LiComment.id)
            )
        )


def images(sandbox: SandboxHandle) -> dict[str, LiImage]:
    with sandbox.ctx.store.session() as session:
        return {image.urn: image for image in session.scalars(select(LiImage))}
