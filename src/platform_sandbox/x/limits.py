"""X's per-endpoint rate limits (reference A.6) and how a request is counted against them.

Defaults are the documented per-user 15-minute limits; the control plane overrides any of them
(``POST /_sandbox/ratelimits``), for example to replay the 2021-22 recordings' values or to
exhaust a window in a test with a handful of requests.
"""

from __future__ import annotations

from typing import Any

from platform_sandbox.platform import SandboxContext
from platform_sandbox.ratelimit import Quota, WindowState, limiter

WINDOW = 15 * 60
DAY = 24 * 60 * 60

DEFAULT_LIMITS: dict[str, int] = {
    "GET /2/users/me": 75,
    "GET /2/users/{id}": 900,
    "GET /2/users/by/username/{username}": 900,
    "GET /2/tweets": 5000,
    "GET /2/tweets/{id}": 900,
    "POST /2/tweets": 100,
    "DELETE /2/tweets/{id}": 50,
    "GET /2/users/{id}/tweets": 900,
    "GET /2/tweets/search/recent": 300,
    "POST /2/media/upload": 500,
    "GET /2/media/upload": 1875,
    "POST /2/media/upload/initialize": 1875,
    "POST /2/media/upload/{id}/append": 1875,
    "POST /2/media/upload/{id}/finalize": 1875,
    "POST /1.1/media/upload.json": 500,
    "GET /1.1/media/upload.json": 1875,
}
# Writes also carry 24-hour headers: per user (what a single connected account may post) and
# per app (POST /2/tweets: 10,000 a day per app is documented).
DEFAULT_USER_24H: dict[str, int] = {"POST /2/tweets": 100, "DELETE /2/tweets/{id}": 1000}
DEFAULT_APP_24H: dict[str, int] = {"POST /2/tweets": 10_000, "DELETE /2/tweets/{id}": 10_000}

# The limits seen in the tweepy recordings (2021-22 tiers), for replay tests and demos.
RECORDED_LIMITS: dict[str, int] = {
    "GET /2/users/me": 75,
    "GET /2/tweets": 300,
    "GET /2/tweets/{id}": 300,
    "POST /2/tweets": 200,
    "DELETE /2/tweets/{id}": 50,
    "GET /2/users/{id}/tweets": 1500,
    "GET /2/tweets/search/recent": 450,
    "POST /1.1/media/upload.json": 415,
}


def _override(ctx: SandboxContext, section: str) -> dict[str, Any]:
    found: dict[str, Any] = ctx.overrides.get("x", {}).get(section, {})
    return found


def limits(ctx: SandboxContext) -> dict[str, dict[str, int]]:
    """Effective limits, as the control plane shows them."""
    return {
        "rate_limits": {**DEFAULT_LIMITS, **_override(ctx, "rate_limits")},
        "user_24hour_limits": {**DEFAULT_USER_24H, **_override(ctx, "user_24hour_limits")},
        "app_24hour_limits": {**DEFAULT_APP_24H, **_override(ctx, "app_24hour_limits")},
    }


def count_request(
    ctx: SandboxContext, endpoint: str, user_id: str, client_id: str
) -> tuple[bool, dict[str, str]]:
    """Count one request; returns whether it is allowed and the headers to send either way."""
    effective = limits(ctx)
    quotas = [Quota(("x", endpoint, user_id), effective["rate_limits"].get(endpoint, 900), WINDOW)]
    user_day = effective["user_24hour_limits"].get(endpoint)
    app_day = effective["app_24hour_limits"].get(endpoint)
    if user_day is not None:
        quotas.append(Quota(("x", "24h-user", endpoint, user_id), user_day, DAY))
    if app_day is not None:
        quotas.append(Quota(("x", "24h-app", endpoint, client_id), app_day, DAY))
    allowed, states = limiter(ctx).hit_all(quotas, ctx.clock.timestamp())
    headers = _headers("x-rate-limit", states[0])
    for quota, state in zip(quotas[1:], states[1:], strict=True):
        prefix = "x-user-limit-24hour" if quota.key[1] == "24h-user" else "x-app-limit-24hour"
        headers.update(_headers(prefix, state))
    return allowed, headers


def _headers(prefix: str, state: WindowState) -> dict[str, str]:
    return {
        f"{prefix}-limit": str(state.limit),
        f"{prefix}-remaining": str(state.remaining),
        f"{prefix}-reset": str(state.reset),
    }
