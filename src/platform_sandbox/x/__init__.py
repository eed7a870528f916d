"""The X (Twitter) API v2 emulation: OAuth 2.0 with PKCE, users, posts, media, rate limits.

Hosts: ``api.x.com`` and its alias ``api.twitter.com`` (API and token endpoints), ``x.com`` and
``twitter.com`` (the authorization page and post pages) and ``upload.twitter.com`` (legacy
v1.1 media upload).
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from platform_sandbox import audience
from platform_sandbox.apps import ensure_default_app, register_app
from platform_sandbox.platform import NewAccounts, NewCompetitor, Platform, SandboxContext
from platform_sandbox.x import api, media, oauth, web
from platform_sandbox.x.common import snowflake
from platform_sandbox.x.errors import error_response
from platform_sandbox.x.models import XTweet, XUser

PUBLIC_CLIENT_ID = "sandbox-x-public-client"
# Users added through the control plane get ids from here on.
NEW_USER_BASE = 1591000000000000000
# Competitors' ids derive from their username (stable across resets) above this base.
COMPETITOR_BASE = 1592000000000000000
COMPETITOR_KINDS = ("public", "protected", "suspended")

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
        _add_user(session, ctx, spec, now)
    session.flush()


def _add_user(
    session: Session,
    ctx: SandboxContext,
    spec: dict[str, str],
    now: datetime,
    posts: int | None = None,
    days: int = audience.HISTORY_DAYS,
    **flags: bool,
) -> int:
    """A user and its past posts; how many posts."""
    user = XUser(
        **spec,
        **flags,
        created_at=(now - timedelta(days=3 * 365)).replace(microsecond=0),
        audience_key=f"x:{spec['username']}",
    )
    session.add(user)
    session.flush()  # no ORM relationship orders the user before its posts
    profile = audience.profile_for(ctx.seed, user.audience_key)
    past = audience.history(ctx.seed, profile, user.name, now, days=days, posts=posts)
    for post in past:
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
    return len(past)


def create_accounts(
    session: Session, ctx: SandboxContext, spec: NewAccounts
) -> list[dict[str, Any]]:
    """``spec.count`` more users, each with ``spec.posts`` past posts."""
    now = ctx.clock.now()
    first = len(session.scalars(select(XUser.id)).all()) + 1
    out: list[dict[str, Any]] = []
    for n in range(first, first + spec.count):
        handle = re.sub(r"[^a-z0-9_]", "", spec.name.lower())[:8] or "user"
        user = {
            "id": str(NEW_USER_BASE + n),
            "username": f"{handle}{n:04d}",
            "name": f"{spec.name} {n}",
        }
        posts = _add_user(session, ctx, user, now, posts=spec.posts, days=spec.days)
        out.append({"platform": "x", "kind": "user", **user, "posts": posts})
    session.flush()
    return out


def create_competitor(session: Session, ctx: SandboxContext, spec: NewCompetitor) -> dict[str, Any]:
    """Someone else's account: public, protected (its posts only for approved followers) or
    suspended (X answers "User has been suspended")."""
    taken = session.scalars(select(XUser.id).where(XUser.username.ilike(spec.username))).first()
    if taken is not None:
        raise ValueError(f"the username {spec.username!r} is taken")
    digest = int.from_bytes(hashlib.sha256(spec.username.lower().encode()).digest()[:6])
    user = {
        "id": str(COMPETITOR_BASE + digest % 10**15),
        "username": spec.username,
        "name": spec.name,
    }
    posts = _add_user(
        session,
        ctx,
        user,
        ctx.clock.now(),
        posts=spec.posts,
        days=spec.days,
        competitor=True,
        protected=spec.kind == "protected",
        suspended=spec.kind == "suspended",
    )
    session.flush()
    return {"platform": "x", "kind": spec.kind, **user, "posts": posts}


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
    create_accounts=create_accounts,
    create_competitor=create_competitor,
    competitor_kinds=COMPETITOR_KINDS,
)
