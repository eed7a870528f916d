"""How Meta's Graph API answers failures and budgets (platform-apis.md §C): the Graph error
envelope (``error.code`` / ``error_subcode`` / ``is_transient``) and the usage headers
(``X-App-Usage``, ``X-Page-Usage``, ``X-Business-Use-Case-Usage``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

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
    json_body,
    oauth_error,
    retry_after_header,
)

# Error codes (developers.facebook.com/docs/graph-api/guides/error-handling).
THROTTLE_CODES = {4, 17, 32, 341, 613, 80000, 80001, 80002, 80003, 80004, 80005, 80006}
TRANSIENT_CODES = {1, 2}
REAUTH_CODES = {102, 190}
TRANSIENT_SUBCODES = {2207003, 2207052}  # IG: download timeout / media fetch failed
# IG's 50 API-published posts per moving 24 hours, answered at media_publish (code 9): a
# later try goes through, so it is a rate limit, not a refusal. When the window frees is not
# in the answer; the Instagram publisher works it out from the account's recent media.
PUBLISHING_LIMIT_SUBCODE = 2207042
PUBLISHING_LIMIT_RETRY_SECONDS = 3600.0
SUBCODE_REASONS = {
    458: "the app was removed from the account",
    459: "the account is checkpointed; log in on Facebook to unlock it",
    460: "the password was changed",
    463: "the token expired",
    464: "the user is unconfirmed",
    467: "the token is invalid",
    492: "the user has no access to the Page any more",
}


def _regain_seconds(response: httpx2.Response) -> float | None:
    raw = response.headers.get("x-business-use-case-usage")
    if not raw:
        return None
    try:
        usage = json.loads(raw)
    except ValueError:
        return None
    minutes = [
        entry.get("estimated_time_to_regain_access", 0)
        for entries in usage.values()
        if isinstance(entries, list)
        for entry in entries
        if isinstance(entry, dict)
    ]
    return max(minutes) * 60.0 if minutes and max(minutes) > 0 else None


def classify(platform: str, response: httpx2.Response, now: datetime) -> ProviderError:
    status = response.status_code
    body = json_body(response)
    endpoint = endpoint_of(response)
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        oauth = oauth_error(platform, body, response)
        if oauth is not None:
            return oauth
        if status >= 500:
            return Transient(platform, response.reason_phrase, status=status, endpoint=endpoint)
        return Rejected(platform, response.reason_phrase, status=status, endpoint=endpoint)
    code = error.get("code")
    subcode = error.get("error_subcode")
    message = str(error.get("error_user_msg") or error.get("message") or "Graph API error")
    code_text = f"{code}/{subcode}" if subcode else str(code)
    if code in REAUTH_CODES:
        reason = SUBCODE_REASONS.get(subcode) if isinstance(subcode, int) else None
        text = f"{message} ({reason})" if reason else message
        return ReauthRequired(platform, text, status=status, code=code_text, endpoint=endpoint)
    if subcode == PUBLISHING_LIMIT_SUBCODE:
        return RateLimited(
            platform,
            message,
            retry_after=retry_after_header(response) or PUBLISHING_LIMIT_RETRY_SECONDS,
            status=status,
            code=code_text,
            endpoint=endpoint,
        )
    if code in THROTTLE_CODES or code == 368:
        retry_after = _regain_seconds(response) or retry_after_header(response) or 3600.0
        return RateLimited(
            platform,
            message,
            retry_after=retry_after,
            status=status,
            code=code_text,
            endpoint=endpoint,
        )
    if (
        error.get("is_transient") is True
        or code in TRANSIENT_CODES
        or subcode in TRANSIENT_SUBCODES
        or status >= 500
    ):
        return Transient(platform, message, status=status, code=code_text, endpoint=endpoint)
    return Rejected(platform, message, status=status, code=code_text, endpoint=endpoint)


def parse_rate_limits(platform: str, response: httpx2.Response) -> list[RateLimitState]:
    """X-App-Usage / X-Page-Usage (per app) and X-Business-Use-Case-Usage (per Page or
    Instagram account), in percent of an hourly allowance."""
    endpoint = endpoint_of(response)
    states: list[RateLimitState] = []
    headers = response.headers
    for header in ("x-app-usage", "x-page-usage"):
        raw = headers.get(header)
        if raw:
            try:
                usage = json.loads(raw)
            except ValueError:
                continue
            percent = max(
                float(usage.get(k, 0) or 0) for k in ("call_count", "total_time", "total_cputime")
            )
            states.append(
                RateLimitState(
                    platform=platform,
                    scope="app-usage",
                    endpoint=endpoint,
                    used_percent=percent,
                    extra=usage,
                )
            )
    raw = headers.get("x-business-use-case-usage")
    if raw:
        try:
            usage = json.loads(raw)
        except ValueError:
            usage = {}
        for object_id, entries in usage.items():
            for entry in entries if isinstance(entries, list) else []:
                percent = max(
                    float(entry.get(k, 0) or 0)
                    for k in ("call_count", "total_time", "total_cputime")
                )
                regain = entry.get("estimated_time_to_regain_access") or 0
                states.append(
                    RateLimitState(
                        platform=platform,
                        scope="business-use-case",
                        endpoint=endpoint,
                        used_percent=percent,
                        reset_at=(
                            datetime.now(UTC) + timedelta(minutes=regain) if regain else None
                        ),
                        extra={"object_id": object_id, **entry},
                    )
                )
    return states
