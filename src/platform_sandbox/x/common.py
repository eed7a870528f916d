"""What every X endpoint shares: ids, bearer authentication with scopes and rate limits, the
route class that renders problems and adds headers, and the JSON of users and posts."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from platform_sandbox import audience
from platform_sandbox.platform import SandboxContext, context
from platform_sandbox.x import errors
from platform_sandbox.x.limits import count_request
from platform_sandbox.x.models import XAccessToken, XTweet, XUser

TWITTER_EPOCH_MS = 1288834974657
METRICS_MAX_AGE = timedelta(days=30)
API_VERSION = "2.159"

TWEET_FIELDS = frozenset(
    [
        "article",
        "attachments",
        "author_id",
        "card_uri",
        "community_id",
        "context_annotations",
        "conversation_id",
        "created_at",
        "display_text_range",
        "edit_controls",
        "edit_history_tweet_ids",
        "entities",
        "geo",
        "id",
        "in_reply_to_user_id",
        "lang",
        "media_metadata",
        "non_public_metrics",
        "note_tweet",
        "organic_metrics",
        "possibly_sensitive",
        "promoted_metrics",
        "public_metrics",
        "referenced_tweets",
        "reply_settings",
        "scopes",
        "source",
        "suggested_source_links",
        "suggested_source_links_with_counts",
        "text",
        "withheld",
    ]
)
USER_FIELDS = frozenset(
    [
        "affiliation",
        "confirmed_email",
        "connection_status",
        "created_at",
        "description",
        "entities",
        "id",
        "is_identity_verified",
        "location",
        "most_recent_tweet_id",
        "name",
        "parody",
        "pinned_tweet_id",
        "profile_banner_url",
        "profile_image_url",
        "protected",
        "public_metrics",
        "receives_your_dm",
        "subscription",
        "subscription_type",
        "url",
        "username",
        "verified",
        "verified_followers_count",
        "verified_type",
        "withheld",
    ]
)
TWEET_EXPANSIONS = frozenset(
    [
        "article.cover_media",
        "article.media_entities",
        "attachments.media_keys",
        "attachments.media_source_tweet",
        "attachments.poll_ids",
        "author_id",
        "edit_history_tweet_ids",
        "entities.mentions.username",
        "geo.place_id",
        "in_reply_to_user_id",
        "entities.note.mentions.username",
        "referenced_tweets.id",
        "referenced_tweets.id.attachments.media_keys",
        "referenced_tweets.id.author_id",
    ]
)
# media.fields (spec MediaFieldsParameter). Only ``public_metrics`` (videos' ``view_count``,
# reference A.4) and ``type`` are rendered beyond the key; the others are accepted.
MEDIA_FIELDS = frozenset(
    [
        "alt_text",
        "duration_ms",
        "height",
        "media_key",
        "non_public_metrics",
        "organic_metrics",
        "preview_image_url",
        "promoted_metrics",
        "public_metrics",
        "type",
        "url",
        "variants",
        "width",
    ]
)
PRIVATE_METRICS = ("non_public_metrics", "organic_metrics", "promoted_metrics")

READ_SCOPES = frozenset({"tweet.read", "users.read"})
WRITE_SCOPES = frozenset({"tweet.read", "tweet.write", "users.read"})
MEDIA_SCOPES = frozenset({"media.write"})

_id_lock = threading.Lock()
_last_id = 0


def snowflake(at: datetime, salt: str | None = None) -> str:
    """A post/media id shaped like X's: milliseconds since X's epoch in the top bits.

    Seeded posts derive the low bits from a stable key, so a reseed yields the same ids; new
    objects take a process-wide increasing value, so ids sort by creation.
    """
    global _last_id
    ms = int(at.timestamp() * 1000) - TWITTER_EPOCH_MS
    if salt is not None:
        low = int.from_bytes(hashlib.sha256(salt.encode()).digest()[:3]) & 0x3FFFFF
        return str((ms << 22) | low)
    with _id_lock:
        candidate = max((ms << 22) | secrets.randbelow(1 << 12), _last_id + 1)
        _last_id = candidate
        return str(candidate)


def opaque_token(kind: str, now: datetime) -> str:
    """Tokens look like X's: base64 of ``<random>:<ms>:1:1:<kind>:1`` without padding."""
    raw = f"{secrets.token_urlsafe(32)}:{int(now.timestamp() * 1000)}:1:1:{kind}:1"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@dataclass(frozen=True)
class XAuth:
    user_id: str
    client_id: str
    scopes: frozenset[str]
    token: str


def access_level(scopes: frozenset[str]) -> str:
    if "dm.write" in scopes or "dm.read" in scopes:
        return "read-write-directmessages"
    return "read-write" if "tweet.write" in scopes else "read"


def require(endpoint: str, scopes: frozenset[str]) -> Callable[[Request], XAuth]:
    """Dependency: a valid user token with ``scopes``, counted against ``endpoint``'s limits."""

    def dependency(request: Request) -> XAuth:
        ctx = context(request)
        header = request.headers.get("authorization", "")
        kind, _, token = header.partition(" ")
        if kind.lower() != "bearer" or not token:
            raise errors.unauthorized()
        with ctx.store.session() as session:
            row = session.get(XAccessToken, token.strip())
            if row is None or row.revoked or row.expires_at <= ctx.clock.now():
                raise errors.unauthorized()
            auth = XAuth(row.user_id, row.client_id, frozenset(row.scope.split()), row.token)
        if not scopes <= auth.scopes:
            raise errors.forbidden()
        allowed, headers = count_request(ctx, endpoint, auth.user_id, auth.client_id)
        headers["x-access-level"] = access_level(auth.scopes)
        request.state.x_headers = headers
        if not allowed:
            raise errors.too_many_requests()
        return auth

    return dependency


class XRoute(APIRoute):
    """Renders :class:`XProblem` and FastAPI's validation errors as X's bodies, and puts the
    rate-limit headers on every response, errors included."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def wrapped(request: Request) -> Response:
            try:
                response = await handler(request)
            except errors.XProblem as exc:
                response = exc.response()
            except RequestValidationError as exc:
                response = _validation_problem(exc).response()
            extra: dict[str, str] | None = getattr(request.state, "x_headers", None)
            if extra:
                for key, value in extra.items():
                    response.headers.setdefault(key, value)
            response.headers["api-version"] = API_VERSION
            return response

        return wrapped


def _validation_problem(exc: RequestValidationError) -> errors.XProblem:
    first = exc.errors()[0] if exc.errors() else {}
    location = [str(part) for part in first.get("loc", ())]
    name = location[-1] if location else "request"
    if first.get("type") == "missing":
        return errors.invalid_request(f"The `{name}` query parameter can not be empty")
    return errors.invalid_request(f"The `{name}` parameter is invalid.", {name: [str(first)]})


def split_list(raw: str | None, parameter: str, allowed: frozenset[str]) -> set[str]:
    if not raw:
        return set()
    values = [v for v in raw.split(",") if v]
    for value in values:
        if value not in allowed:
            raise errors.invalid_request(
                f"The `{parameter}` query parameter value [{value}] is not one of "
                f"[{','.join(sorted(allowed))}]",
                {parameter: [raw]},
            )
    return set(values)


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


# --- audience glue ------------------------------------------------------------------------


def profile(ctx: SandboxContext, user: XUser) -> audience.AudienceProfile:
    return audience.profile_for(ctx.seed, user.audience_key)


def features(tweet: XTweet) -> audience.PostFeatures:
    return audience.PostFeatures(
        text_length=len(tweet.text),
        posted_at=tweet.created_at,
        media_count=len(tweet.media_keys or []),
        has_video=tweet.has_video,
        hashtag_count=tweet.hashtag_count,
    )


def metrics(ctx: SandboxContext, tweet: XTweet, user: XUser) -> audience.PostMetrics:
    return audience.post_metrics(
        ctx.seed, profile(ctx, user), tweet.post_key, features(tweet), ctx.clock.now()
    )


def _has_link(text: str) -> bool:
    return "http://" in text or "https://" in text


def public_metrics(m: audience.PostMetrics) -> dict[str, int]:
    return {
        "retweet_count": m.shares,
        "reply_count": m.comments,
        "like_count": m.likes,
        "quote_count": m.shares // 5,
        "bookmark_count": m.saves,
        "impression_count": m.impressions,
    }


def non_public_metrics(m: audience.PostMetrics, text: str) -> dict[str, int]:
    out = {
        "impression_count": m.impressions,
        "user_profile_clicks": m.profile_visits,
        "engagements": m.engagements,
    }
    if _has_link(text):  # X omits link clicks on posts without a link
        out["url_link_clicks"] = m.clicks
    return out


def organic_metrics(m: audience.PostMetrics, text: str) -> dict[str, int]:
    out = {
        "impression_count": m.impressions,
        "like_count": m.likes,
        "reply_count": m.comments,
        "retweet_count": m.shares,
        "user_profile_clicks": m.profile_visits,
    }
    if _has_link(text):
        out["url_link_clicks"] = m.clicks
    return out


def user_json(
    ctx: SandboxContext, session: Session, user: XUser, fields: set[str]
) -> dict[str, Any]:
    out: dict[str, Any] = {"id": user.id, "name": user.name, "username": user.username}
    now = ctx.clock.now()
    if "created_at" in fields:
        out["created_at"] = iso(user.created_at)
    if "description" in fields:
        out["description"] = user.description
    if "location" in fields and user.location:
        out["location"] = user.location
    if "url" in fields:
        out["url"] = user.url
    if "protected" in fields:
        out["protected"] = bool(user.protected)
    if "verified" in fields:
        out["verified"] = False
    if "verified_type" in fields:
        out["verified_type"] = "none"
    if "profile_image_url" in fields:
        out["profile_image_url"] = (
            f"https://pbs.twimg.com/profile_images/{user.id}/avatar_normal.jpg"
        )
    if "most_recent_tweet_id" in fields:
        latest = session.scalars(
            select(XTweet.id).where(XTweet.author_id == user.id).order_by(XTweet.created_at.desc())
        ).first()
        if latest:
            out["most_recent_tweet_id"] = latest
    if "public_metrics" in fields:
        prof = profile(ctx, user)
        followers = audience.followers_at(prof, now)
        tweets = session.scalar(
            select(func.count()).select_from(XTweet).where(XTweet.author_id == user.id)
        )
        out["public_metrics"] = {
            "followers_count": followers,
            "following_count": audience.following_at(prof, now),
            "tweet_count": int(tweets or 0),
            "listed_count": followers // 250,
            "like_count": int(followers * 0.9),
        }
    return out


def tweet_json(
    ctx: SandboxContext,
    tweet: XTweet,
    author: XUser,
    fields: set[str],
    auth: XAuth,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A post as X renders it for ``auth``, and the field errors its private metrics raise."""
    out: dict[str, Any] = {
        "edit_history_tweet_ids": [tweet.id],
        "id": tweet.id,
        "text": tweet.text,
    }
    problems: list[dict[str, Any]] = []
    if "author_id" in fields:
        out["author_id"] = tweet.author_id
    if "created_at" in fields:
        out["created_at"] = iso(tweet.created_at)
    if "conversation_id" in fields:
        out["conversation_id"] = tweet.conversation_id
    if "in_reply_to_user_id" in fields and tweet.in_reply_to_user_id:
        out["in_reply_to_user_id"] = tweet.in_reply_to_user_id
    if "lang" in fields:
        out["lang"] = "en"
    if "possibly_sensitive" in fields:
        out["possibly_sensitive"] = False
    if "reply_settings" in fields:
        out["reply_settings"] = "everyone"
    if "source" in fields:
        out["source"] = "Growth Manager sandbox"
    if "attachments" in fields and tweet.media_keys:
        out["attachments"] = {"media_keys": list(tweet.media_keys)}
    if "referenced_tweets" in fields:
        refs = []
        if tweet.in_reply_to_tweet_id:
            refs.append({"type": "replied_to", "id": tweet.in_reply_to_tweet_id})
        if tweet.quote_tweet_id:
            refs.append({"type": "quoted", "id": tweet.quote_tweet_id})
        if refs:
            out["referenced_tweets"] = refs
    wanted_private = [f for f in PRIVATE_METRICS if f in fields]
    needs_metrics = "public_metrics" in fields or wanted_private
    m = metrics(ctx, tweet, author) if needs_metrics else None
    if m is not None and "public_metrics" in fields:
        out["public_metrics"] = public_metrics(m)
    if m is not None and wanted_private:
        own = tweet.author_id == auth.user_id
        recent = ctx.clock.now() - tweet.created_at < METRICS_MAX_AGE
        for field in wanted_private:
            if not (own and recent) or field == "promoted_metrics":
                # Only the author sees private metrics, only for 30 days; nothing is promoted.
                problems.append(errors.field_unauthorized_problem(field, tweet.id))
            elif field == "non_public_metrics":
                out[field] = non_public_metrics(m, tweet.text)
            else:
                out[field] = organic_metrics(m, tweet.text)
    return out, problems
