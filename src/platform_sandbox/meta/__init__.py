"""Meta Graph API (Facebook Pages and Instagram business accounts), reference section C.

Hosts: ``graph.facebook.com`` (the versioned Graph API, token endpoints, batch and ``?ids=``),
``www.facebook.com`` (the Facebook Login dialog and Page posts' web pages) and
``www.instagram.com`` (Instagram posts' web pages, where ``permalink`` leads).

Knobs in ``ctx.overrides["meta"]``, settable with ``POST /_sandbox/ratelimits``
(``{"platform": "meta", "limits": {section: {key: int}}}``):

``rate_limits``
    ``app`` (calls per hour per app, code 4), ``user`` (per hour per user, code 17),
    ``page_user`` (per hour per Page with user tokens, code 32), ``page`` (per 24 h per Page
    with page tokens, code 80001), ``instagram`` (per 24 h per Instagram account, code 80002).
``publishing_limits``
    ``instagram``: API-published posts per moving 24 hours (default 50).
``sessions``
    user id -> 460 (password changed) or 467 (logged out): every token of that user fails.
"""

from __future__ import annotations

from fastapi import APIRouter

from platform_sandbox.meta import graph, oauth, web_pages
from platform_sandbox.meta import models as models
from platform_sandbox.meta.errors import error_response
from platform_sandbox.meta.seed import (
    COMPETITOR_KINDS,
    accounts,
    create_accounts,
    create_competitor,
    seed,
)
from platform_sandbox.platform import Platform

# The login dialog's routes first: the post pages' ``/{object_id}`` must not shadow them.
www_facebook = APIRouter()
www_facebook.include_router(oauth.www_router)
www_facebook.include_router(web_pages.facebook_router)

PLATFORM = Platform(
    name="meta",
    routers={
        "graph.facebook.com": graph.router,
        "www.facebook.com": www_facebook,
        "www.instagram.com": web_pages.instagram_router,
    },
    seed=seed,
    accounts=accounts,
    create_accounts=create_accounts,
    create_competitor=create_competitor,
    competitor_kinds=COMPETITOR_KINDS,
    error_response=error_response,
)

__all__ = ["PLATFORM"]
