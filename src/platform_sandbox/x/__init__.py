"""The X (Twitter) API v2 emulation: OAuth 2.0 with PKCE, users, posts, media, rate limits.

Hosts: ``api.x.com`` and its alias ``api.twitter.com`` (API and token endpoints), ``x.com`` and
``twitter.com`` (the authorization page and post pages) and ``upload.twitter.com`` (legacy
v1.1 media upload).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from platform_sandbox import audience
from platform_sandbox.apps import ensure_default_app, register_app
from platform_sandbox.platform import Platform, SandboxContext
from platform_sandbox.x import api, media, oauth, web
from platform_sandbox.x.common import snowflake
from platform_sandbox.x.errors import error_response
from platform_sandbox.x.models import XTweet, XUser

PUBLIC_CLIENT_ID = "sandbox-x-public-client"

# The demo business account first: the authorization page preselects it.
SEED_USERS: tuple[dict[str, str], ...] = (
    {
        "id": "1590000000000000001",
        "username": "cornerbakery",
        "name": "Corner Bakery",
        "description": "Sourdough, pastries and coffee since 2012. Open daily 7-18.",
        "location": "Portland, OR",
        "url": "https://cornerbakery.example",
    },
    {
        "id": "1590000000000000002",
        "username": "riversidecycles",
        "name": "Riverside Cycles",
        "description": "Bike repairs, rentals and Sunday group rides.",
        "location": "Austin, TX",
        "url": "https://riversidecycles.example",
    },
)


def _api_router() -> APIRouter:
    router = APIRouter()
    router.include_router(oauth.token_router)
    router.include_router(media.router)
    router.include_router(api.router)
    return router


def _web_router() -> APIRouter:
    router = APIRouter()
    router.include_router(oauth.web_router)
    router.include_router(web.router)
    return router


def seed(session: Session, ctx: SandboxContext) -> None:
    ensure_default_app(session, "x")
    register_app(
        session,
        "x",
        PUBLIC_CLIENT_ID,
        client_secret="",
        redirect_uris=ensure_default_app(session, "x").redirect_uris,
        name="Growth Manager sandbox (X, public client)",
        client_type="public",
    )
    now = ctx.clock.now()
    for spec in SEED_USERS:
        if session.get(XUser, spec["id"]) is not None:
            continue
        user = XUser(
            **spec,
            created_at=(now - timedelta(days=3 * 365)).replace(microsecond=0),
            audience_key=f"x:{spec['username']}",
        )
        session.add(user)
        session.flush()  # no ORM relationship orders the user before its posts
        profile = audience.profile_for(ctx.seed, user.audience_key)
        for post in audience.history(ctx.seed, profile, user.name, now):
            tweet_id = snowflake(post.posted_at, post.post_key)
            prefix = "7" if post.features.has_video else "3"
            session.add(
                XTweet(
                    id=tweet_id,
                    author_id=user.id,
                    text=post.text,
                    created_at=post.posted_at,
                    post_key=post.post_key,
                    conversation_id=tweet_id,
                    media_keys=[f"{prefix}_{tweet_id}"] if post.features.media_count else [],
                    has_video=post.features.has_video,
                    hashtag_count=post.features.hashtag_count,
                )
            )
    session.flush()


def accounts(session: Session, ctx: SandboxContext) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    now = ctx.clock.now()
    for user in session.scalars(select(XUser).order_by(XUser.id)):
        profile = audience.profile_for(ctx.seed, user.audience_key)
        out.append(
            {
                "platform": "x",
                "kind": "user",
                "id": user.id,
                "username": user.username,
                "name": user.name,
                "followers_count": audience.followers_at(profile, now),
                "audience_key": user.audience_key,
                "best_weekday": profile.best_weekday,
                "best_hour": profile.best_hour,
                "profile": profile.as_dict(),
            }
        )
    return out


_API = _api_router()
_WEB = _web_router()
_UPLOAD = APIRouter()
_UPLOAD.include_router(media.legacy_router)

PLATFORM = Platform(
    name="x",
    routers={
        "api.x.com": _API,
        "api.twitter.com": _API,
        "x.com": _WEB,
        "twitter.com": _WEB,
        "upload.twitter.com": _UPLOAD,
    },
    seed=seed,
    accounts=accounts,
    error_response=error_response,
)
