"""LinkedIn: OAuth on www.linkedin.com, OIDC and the versioned REST API on api.linkedin.com.

Follows platform-apis.md section B. Daily throttles (reset at midnight UTC on the sandbox clock)
are overridable through ``ctx.overrides["linkedin"]``, e.g. with ``POST /_sandbox/ratelimits``:
``{"member_day_limits": {"posts.create": 2}, "application_day_limits": {"*": 1000}}``, where
``"*"`` means every resource. Resource names: userinfo, me, organizationAcls, organizations,
posts.create, posts.get, posts.finder, posts.delete, images, comments, socialMetadata,
socialActions, shareStatistics, followerStatistics, networkSizes, memberCreatorPostAnalytics.
``ctx.overrides["linkedin"]["refresh_tokens"] = False`` stops issuing refresh tokens, as for
apps that are not approved partners.
"""

from __future__ import annotations

from fastapi import APIRouter

from platform_sandbox.linkedin import (
    feed,
    identity,
    images,
    oauth,
    organizations,
    posts,
    social_actions,
    statistics,
)
from platform_sandbox.linkedin import models as models
from platform_sandbox.linkedin.errors import error_response
from platform_sandbox.linkedin.seed import accounts, create_accounts, seed
from platform_sandbox.platform import Platform


def _www_router() -> APIRouter:
    router = APIRouter()
    router.include_router(oauth.router)
    router.include_router(images.uploads_router)
    router.include_router(feed.router)
    return router


def _api_router() -> APIRouter:
    # Routes match in the order they are included; each part keeps LinkedInRoute for its errors.
    router = APIRouter()
    for part in (identity, organizations, posts, images, social_actions, statistics):
        router.include_router(part.router)
    return router


PLATFORM = Platform(
    name="linkedin",
    routers={
        "www.linkedin.com": _www_router(),
        "api.linkedin.com": _api_router(),
        "media.licdn.com": identity.media_router,
    },
    seed=seed,
    accounts=accounts,
    create_accounts=create_accounts,
    error_response=error_response,
)

__all__ = ["PLATFORM"]
