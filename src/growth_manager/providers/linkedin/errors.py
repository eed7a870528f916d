"""How LinkedIn answers failures (platform-apis.md §B): ``status`` / ``serviceErrorCode`` /
``code`` in the body. It sends no rate-limit headers: its limits are daily, per app and member,
and visible only in the developer portal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx2

from growth_manager.providers.errors import (
    ProviderError,
    RateLimited,
    ReauthRequired,
    Rejected,
    Transient,
)
from growth_manager.providers.http import endpoint_of, json_body, oauth_error, retry_after_header

# serviceErrorCodes seen for dead tokens (learn.microsoft.com; observed bodies).
REAUTH_CODES = {65600, 65601, 65602, 65603, 65604}


def _seconds_until_utc_midnight(now: datetime) -> float:
    tomorrow = (now.astimezone(UTC) + timedelta(days=1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return (tomorrow - now).total_seconds()


def classify(platform: str, response: httpx2.Response, now: datetime) -> ProviderError:
    status = response.status_code
    body = json_body(response)
    endpoint = endpoint_of(response)
    oauth = oauth_error(platform, body, response)
    if oauth is not None:
        return oauth
    data = body if isinstance(body, dict) else {}
    service_code = data.get("serviceErrorCode")
    code = str(data.get("code") or service_code or status)
    message = str(data.get("message") or response.reason_phrase)
    if status == 401 or service_code in REAUTH_CODES:
        return ReauthRequired(platform, message, status=status, code=code, endpoint=endpoint)
    if status == 429:
        # LinkedIn limits are per day and reset at midnight UTC; it sends no reset header.
        retry_after = retry_after_header(response) or _seconds_until_utc_midnight(now)
        return RateLimited(
            platform, message, retry_after=retry_after, status=status, code=code, endpoint=endpoint
        )
    if status >= 500:
        return Transient(platform, message, status=status, code=code, endpoint=endpoint)
    return Rejected(platform, message, status=status, code=code, endpoint=endpoint)
