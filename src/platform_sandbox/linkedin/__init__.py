"""LinkedIn: OAuth on www.linkedin.com, OIDC and the versioned REST API on api.linkedin.com.

Follows platform-apis.md section B. Daily throttles are overridable through
``ctx.overrides["linkedin"]``: ``member_daily_limit`` and ``application_daily_limit`` (ints,
every resource), ``daily_limits`` (resource name -> member limit, e.g. ``{"posts.create": 2}``),
and ``refresh_tokens`` (False to stop issuing refresh tokens, as for non-partner apps).
"""

from __future__ import annotations

from fastapi import APIRouter

from platform_sandbox.linkedin import models as models
from platform_sandbox.linkedin import oauth, rest
from platform_sandbox.linkedin.errors import error_response
from platform_sandbox.linkedin.seed import accounts, seed
from platform_sandbox.platform import Platform


def _www_router() -> APIRouter:
    router = APIRouter()
    router.include_router(oauth.router)
    router.include_router(rest.uploads_router)
    return router


PLATFORM = Platform(
    name="linkedin",
    routers={
        "www.linkedin.com": _www_router(),
        "api.linkedin.com": rest.router,
        "media.licdn.com": rest.media_router,
    },
    seed=seed,
    accounts=accounts,
    error_response=error_response,
)

__all__ = ["PLATFORM"]
