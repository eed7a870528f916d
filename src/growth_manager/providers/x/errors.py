"""How X answers failures and budgets (platform-apis.md §A.7): RFC 7807 problems with a
``type`` URI, ``x-rate-limit-*`` per endpoint and 15-minute window, and the 24-hour user and
app limits that come with posting."""

from __future__ import annotations

from datetime import datetime

import httpx2

from growth_manager.providers.errors import (
    ProviderError,
    RateLimited,
    ReauthRequired,
    Rejected,
    Transient,
)
from growth_manager.providers.http import (
    RateLimitState,
    endpoint_of,
    epoch,
    header_int,
    json_body,
    oauth_error,
    seconds_until,
)

# (budget scope, header prefix): the 15-minute endpoint window and the two 24-hour limits.
BUDGET_HEADERS = (
    ("endpoint", "x-rate-limit"),
    ("user-24h", "x-user-limit-24hour"),
    ("app-24h", "x-app-limit-24hour"),
)


def classify(platform: str, response: httpx2.Response, now: datetime) -> ProviderError:
    status = response.status_code
    body = json_body(response)
    endpoint = endpoint_of(response)
    oauth = oauth_error(platform, body, response)
    if oauth is not None:
        return oauth
    problem = body if isinstance(body, dict) else {}
    problem_type = str(problem.get("type") or "")
    detail = str(problem.get("detail") or problem.get("title") or response.reason_phrase)
    if isinstance(problem.get("errors"), list) and problem["errors"]:
        first = problem["errors"][0]
        if isinstance(first, dict) and first.get("message"):
            detail = f"{detail} {first['message']}".strip()
    code = problem_type.rsplit("/", 1)[-1] if problem_type else str(status)
    if status == 401 or problem_type.endswith("/unsupported-authentication"):
        return ReauthRequired(platform, detail, status=status, code=code, endpoint=endpoint)
    if status == 429 or problem_type.endswith("/usage-capped"):
        # The 24-hour user limit resets later than the 15-minute window: honour the later one.
        resets = [
            header_int(response, f"{prefix}-reset")
            if header_int(response, f"{prefix}-remaining") == 0
            else None
            for _, prefix in BUDGET_HEADERS
        ]
        waits = [w for w in (seconds_until(r, now) for r in resets if r) if w is not None]
        fallback = seconds_until(header_int(response, "x-rate-limit-reset"), now)
        retry_after = max(waits) if waits else (fallback if fallback is not None else 900.0)
        return RateLimited(
            platform, detail, retry_after=retry_after, status=status, code=code, endpoint=endpoint
        )
    if status >= 500:
        return Transient(platform, detail, status=status, code=code, endpoint=endpoint)
    if status == 403 and "duplicate" in detail.lower():
        code = "duplicate"
    return Rejected(platform, detail, status=status, code=code, endpoint=endpoint)


def parse_rate_limits(platform: str, response: httpx2.Response) -> list[RateLimitState]:
    endpoint = endpoint_of(response)
    states: list[RateLimitState] = []
    for scope, prefix in BUDGET_HEADERS:
        if f"{prefix}-limit" in response.headers or f"{prefix}-remaining" in response.headers:
            states.append(
                RateLimitState(
                    platform=platform,
                    scope=scope,
                    endpoint=endpoint,
                    limit=header_int(response, f"{prefix}-limit"),
                    remaining=header_int(response, f"{prefix}-remaining"),
                    reset_at=epoch(header_int(response, f"{prefix}-reset")),
                )
            )
    return states
