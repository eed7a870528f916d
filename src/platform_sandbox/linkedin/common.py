"""What the LinkedIn handlers share: ids, tokens, version and header rules, daily throttles,
scopes, and the audience model's view of members, organizations and posts."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.orm import Session

from platform_sandbox import audience
from platform_sandbox.linkedin import errors
from platform_sandbox.linkedin.models import (
    LiAccessToken,
    LiMember,
    LiOrgRole,
    LiPost,
    LiSequence,
    LiUsage,
)
from platform_sandbox.platform import SandboxContext

PLATFORM_NAME = "linkedin"

ACCESS_TOKEN_TTL = timedelta(days=60)
REFRESH_TOKEN_TTL = timedelta(days=365)
AUTH_CODE_TTL = timedelta(minutes=30)

# Scopes a LinkedIn developer app can be granted (products: Sign In with LinkedIn using OpenID
# Connect, Share on LinkedIn, Community Management, legacy profile scopes).
KNOWN_SCOPES: dict[str, str] = {
    "openid": "Use your name and photo to sign you in",
    "profile": "Use your name and photo",
    "email": "Use the primary email address associated with your LinkedIn account",
    "w_member_social": "Create, modify, and delete posts, comments, and reactions on your behalf",
    "r_member_social": "Retrieve your posts, comments, likes, and other engagement data",
    "r_member_postAnalytics": "Retrieve analytics for your posts",
    "r_basicprofile": "Use your basic profile including your name, photo, and headline",
    "r_liteprofile": "Use your name and photo",
    "r_emailaddress": "Use the primary email address associated with your LinkedIn account",
    "w_organization_social": "Create, modify, and delete posts, comments, and reactions on "
    "behalf of an organization you administer",
    "r_organization_social": "Retrieve your organization's posts, comments, reactions, and "
    "other engagement data",
    "rw_organization_admin": "Manage your organization's pages and retrieve reporting data",
    "r_organization_admin": "Retrieve your organization's pages and their reporting data",
}

# Roles that may post as an organization (Posts API page); share statistics need ADMINISTRATOR.
POSTING_ROLES = frozenset({"ADMINISTRATOR", "DIRECT_SPONSORED_CONTENT_POSTER", "CONTENT_ADMIN"})

DEFAULT_MEMBER_DAILY_LIMIT = 1_000
DEFAULT_APPLICATION_DAILY_LIMIT = 100_000
# LinkedIn publishes no numbers; posting is the tightest member limit in practice.
DEFAULT_RESOURCE_MEMBER_LIMITS = {"posts.create": 150}


def now(ctx: SandboxContext) -> datetime:
    return ctx.clock.now()


def epoch_ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def random_token(prefix: str, length: int) -> str:
    # LinkedIn tokens are long opaque url-safe strings starting with "AQ".
    body = secrets.token_urlsafe(length)
    return (prefix + body)[:length]


def next_sequence(session: Session, name: str, start: int = 1) -> int:
    row = session.get(LiSequence, name)
    if row is None:
        row = LiSequence(name=name, value=start)
        session.add(row)
    else:
        row.value += 1
    session.flush()
    return row.value


def activity_id(session: Session, when: datetime) -> int:
    """A 19-digit, time-ordered id like LinkedIn's (milliseconds shifted left by 22 bits)."""
    seq = next_sequence(session, "activity")
    return (epoch_ms(when) << 22) | (seq & 0x3FFFFF)


# --- versioned REST headers -------------------------------------------------------------------

_VERSION_RE = re.compile(r"^(\d{4})(\d{2})(?:\.(\d{2}))?$")
SUPPORTED_MONTHS = 12


def active_versions(at: datetime) -> list[str]:
    """YYYYMM versions accepted at ``at``: the current month and the 11 before it."""
    months: list[str] = []
    year, month = at.year, at.month
    for _ in range(SUPPORTED_MONTHS):
        months.append(f"{year:04d}{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return months


def check_version(request: Request, ctx: SandboxContext) -> str:
    """Validate ``LinkedIn-Version`` and ``X-Restli-Protocol-Version``; returns YYYYMM."""
    raw = request.headers.get("linkedin-version")
    if raw is None or not raw.strip():
        # [uncertain] body LinkedIn's gateway gives when the header is absent.
        raise errors.LinkedInError(
            errors.error_body(
                400,
                "A version must be present. Please specify a version by adding the "
                "LinkedIn-Version header.",
                "VERSION_MISSING",
            )
        )
    raw = raw.strip()
    match = _VERSION_RE.match(raw)
    if match is None:
        raise errors.nonexistent_version(raw)
    year, month, _patch = match.groups()
    version = f"{year}{month}"
    # The gateway reports versions as YYYYMMDD ("202404" -> "20240401"), as seen in n8n #14737.
    if version not in active_versions(now(ctx)):
        raise errors.nonexistent_version(f"{version}01")
    restli = request.headers.get("x-restli-protocol-version")
    if restli != "2.0.0":
        # [uncertain] LinkedIn rejects protocol 1.0.0 syntax on these resources; the body shape
        # follows its other 400s.
        raise errors.bad_request(
            "Invalid X-Restli-Protocol-Version header: expected 2.0.0 for versioned APIs",
            "INVALID_REQUEST_HEADER",
        )
    return version


# --- access tokens ----------------------------------------------------------------------------


@dataclass
class Caller:
    token: LiAccessToken
    member: LiMember

    @property
    def scopes(self) -> set[str]:
        return set(self.token.scopes)

    @property
    def person_urn(self) -> str:
        return self.member.urn


def authenticate(request: Request, session: Session, ctx: SandboxContext) -> Caller:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if not header or scheme.lower() != "bearer" or not value:
        raise errors.LinkedInError(dict(errors.EMPTY_TOKEN))
    token = session.get(LiAccessToken, value)
    if token is None:
        raise errors.LinkedInError(dict(errors.INVALID_TOKEN))
    if token.revoked:
        raise errors.LinkedInError(dict(errors.REVOKED_TOKEN))
    if token.expires_at <= now(ctx):
        raise errors.LinkedInError(dict(errors.EXPIRED_TOKEN))
    member = session.get(LiMember, token.member_id)
    if member is None:
        raise errors.LinkedInError(dict(errors.INVALID_TOKEN))
    return Caller(token=token, member=member)


def require_any_scope(
    caller: Caller, scopes: set[str], resource: str, method: str, version: str | None
) -> None:
    if not caller.scopes & scopes:
        raise errors.not_enough_permissions(resource, method, _version_label(version))


def _version_label(version: str | None) -> str:
    return f"{version}01" if version else "NO_VERSION"


# --- daily throttles --------------------------------------------------------------------------


def _limits(ctx: SandboxContext, resource: str) -> tuple[int, int]:
    """Member and application day limits for ``resource``, after control-plane overrides.

    Overrides use the control plane's ``section -> endpoint -> limit`` shape, with ``"*"``
    standing for every resource: ``member_day_limits`` (alias ``daily_limits``) and
    ``application_day_limits``.
    """
    overrides: dict[str, Any] = ctx.overrides.get(PLATFORM_NAME, {})
    member: dict[str, Any] = {
        **overrides.get("member_day_limits", {}),
        **overrides.get("daily_limits", {}),
    }
    application: dict[str, Any] = overrides.get("application_day_limits", {})
    default_member = DEFAULT_RESOURCE_MEMBER_LIMITS.get(resource, DEFAULT_MEMBER_DAILY_LIMIT)
    member_limit = member.get(resource, member.get("*", default_member))
    app_limit = application.get(resource, application.get("*", DEFAULT_APPLICATION_DAILY_LIMIT))
    return int(member_limit), int(app_limit)


def count_call(session: Session, ctx: SandboxContext, caller: Caller, resource: str) -> None:
    """Count one call; 429 once the member's or the app's quota for this UTC day is used."""
    day = now(ctx).astimezone(UTC).date().isoformat()
    member_limit, app_limit = _limits(ctx, resource)
    rows = {
        "APPLICATION": (caller.token.client_id, app_limit),
        "MEMBER": (f"{caller.token.client_id}:{caller.member.id}", member_limit),
    }
    usages: list[LiUsage] = []
    for kind, (subject, limit) in rows.items():
        usage = session.get(LiUsage, (day, kind, subject, resource))
        if usage is None:
            usage = LiUsage(day=day, kind=kind, subject=subject, resource=resource, count=0)
            session.add(usage)
        if usage.count >= limit:
            raise errors.throttled(kind)
        usages.append(usage)
    for usage in usages:
        usage.count += 1
    session.flush()


# --- organizations ----------------------------------------------------------------------------


def roles_of(session: Session, member_id: str, organization_id: int) -> set[str]:
    rows = session.scalars(
        select(LiOrgRole).where(
            LiOrgRole.member_id == member_id,
            LiOrgRole.organization_id == organization_id,
            LiOrgRole.state == "APPROVED",
        )
    )
    return {row.role for row in rows}


def organization_id_of(urn: str) -> int | None:
    prefix = "urn:li:organization:"
    if urn.startswith(prefix) and urn[len(prefix) :].isdigit():
        return int(urn[len(prefix) :])
    return None


# --- audience ---------------------------------------------------------------------------------


def audience_key(urn: str) -> str:
    return f"linkedin:{urn}"


def profile_of(ctx: SandboxContext, urn: str) -> audience.AudienceProfile:
    return audience.profile_for(ctx.seed, audience_key(urn))


def features_of(post: LiPost) -> audience.PostFeatures:
    return audience.PostFeatures(
        text_length=len(post.commentary),
        posted_at=post.published_at,
        media_count=post.media_count,
        has_video=post.has_video,
        hashtag_count=post.commentary.count("#"),
    )


def metrics_of(ctx: SandboxContext, post: LiPost, at: datetime) -> audience.PostMetrics:
    return audience.post_metrics(
        ctx.seed, profile_of(ctx, post.author), post.audience_key, features_of(post), at
    )


def share_statistics(m: audience.PostMetrics, *, unique: bool = True) -> dict[str, Any]:
    """LinkedIn's ``totalShareStatistics`` (7 fields, B.4) from audience metrics."""
    engaged = m.clicks + m.likes + m.comments + m.shares
    stats: dict[str, Any] = {
        "uniqueImpressionsCount": m.reach,
        "shareCount": m.shares,
        "engagement": (engaged / m.impressions) if m.impressions else 0.0,
        "clickCount": m.clicks,
        "likeCount": m.likes,
        "impressionCount": m.impressions,
        "commentCount": m.comments,
    }
    if not unique:
        del stats["uniqueImpressionsCount"]
    return stats


def diff_metrics(a: audience.PostMetrics, b: audience.PostMetrics) -> audience.PostMetrics:
    """Growth between two snapshots of one post (``b`` later than ``a``)."""
    return audience.PostMetrics(**{k: max(0, getattr(b, k) - getattr(a, k)) for k in a.as_dict()})


def sum_metrics(items: list[audience.PostMetrics]) -> audience.PostMetrics:
    keys = audience.PostMetrics(0, 0, 0, 0, 0, 0, 0, 0, 0).as_dict()
    return audience.PostMetrics(**{k: sum(getattr(m, k) for m in items) for k in keys})


# --- routing ----------------------------------------------------------------------------------


class LinkedInRoute(APIRoute):
    """Turns :class:`errors.LinkedInError` raised anywhere in a handler into LinkedIn's body.

    Routers cannot install exception handlers on the shared app, so the route does it.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except errors.LinkedInError as exc:
                return exc.response()

        return route
