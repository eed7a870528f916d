"""The one place where platform answers become outcomes.

:func:`classify` turns every non-2xx response into a :mod:`providers.errors` exception using
each platform's real signals (X problem ``type`` and status; LinkedIn ``status`` /
``serviceErrorCode`` / ``code``; Meta ``error.code`` / ``error_subcode`` / ``is_transient``),
:func:`send` does the same for transport failures (a write whose request was sent but whose
answer never came is ``OutcomeUnknown``), and :func:`parse_rate_limits` reads the budget
headers of every response (``x-rate-limit-*``, ``x-user-limit-24hour-*``, ``X-App-Usage``,
``X-Business-Use-Case-Usage``) so jobs can see what is left before they call again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2

from growth_manager.providers.errors import (
    OutcomeUnknown,
    ProviderError,
    RateLimited,
    ReauthRequired,
    Rejected,
    Transient,
)

DEFAULT_TIMEOUT = httpx2.Timeout(20.0, connect=5.0)
IDEMPOTENT_METHODS = {"GET", "HEAD", "OPTIONS", "DELETE", "PUT"}

# Meta error codes (developers.facebook.com/docs/graph-api/guides/error-handling).
META_THROTTLE_CODES = {4, 17, 32, 341, 613, 80000, 80001, 80002, 80003, 80004, 80005, 80006}
META_TRANSIENT_CODES = {1, 2}
META_REAUTH_CODES = {102, 190}
META_TRANSIENT_SUBCODES = {2207003, 2207052}  # IG: download timeout / media fetch failed
META_SUBCODE_REASONS = {
    458: "the app was removed from the account",
    459: "the account is checkpointed; log in on Facebook to unlock it",
    460: "the password was changed",
    463: "the token expired",
    464: "the user is unconfirmed",
    467: "the token is invalid",
    492: "the user has no access to the Page any more",
}
# LinkedIn serviceErrorCodes seen for dead tokens (learn.microsoft.com; observed bodies).
LINKEDIN_REAUTH_CODES = {65600, 65601, 65602, 65603, 65604}


@dataclass(frozen=True)
class RateLimitState:
    """One budget reported by a platform for one endpoint (or app/business object)."""

    platform: str
    scope: str  # "endpoint", "user-24h", "app-24h", "app-usage", "business-use-case"
    endpoint: str
    limit: int | None = None
    remaining: int | None = None
    reset_at: datetime | None = None
    used_percent: float | None = None  # Meta reports percentages, not counts
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def exhausted(self) -> bool:
        if self.remaining is not None:
            return self.remaining <= 0
        return self.used_percent is not None and self.used_percent >= 100


def _json(response: httpx2.Response) -> Any:
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError):
        return None


def _seconds_until(epoch: float | None, now: datetime) -> float | None:
    if epoch is None:
        return None
    return max(0.0, epoch - now.timestamp())


def _header_int(response: httpx2.Response, name: str) -> int | None:
    value = response.headers.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _retry_after_header(response: httpx2.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def endpoint_of(response: httpx2.Response) -> str:
    """``METHOD /path``, without the sandbox's host-named prefix (``/api.x.com/2/…``), so a
    budget has the same key against the sandbox and the real API."""
    path = response.request.url.path
    first, _, rest = path.lstrip("/").partition("/")
    if "." in first and rest:
        path = "/" + rest
    return f"{response.request.method} {path}"


# --- classification --------------------------------------------------------------------------


def classify(
    platform: str, response: httpx2.Response, now: datetime | None = None
) -> ProviderError:
    """The outcome for a non-2xx ``response`` from ``platform`` (x, linkedin, facebook,
    instagram). Never returns for 2xx: callers only ask about failures."""
    now = now or datetime.now(UTC)
    if platform == "x":
        return _classify_x(response, now)
    if platform == "linkedin":
        return _classify_linkedin(response, now)
    if platform in ("facebook", "instagram", "meta"):
        return _classify_meta(platform, response, now)
    raise ValueError(f"unknown platform {platform!r}")


def _oauth_error(platform: str, body: Any, response: httpx2.Response) -> ProviderError | None:
    """RFC 6749 token-endpoint errors, spoken by all three platforms' OAuth endpoints."""
    if not isinstance(body, dict) or not isinstance(body.get("error"), str):
        return None
    error = body["error"]
    description = str(body.get("error_description") or error)
    endpoint = endpoint_of(response)
    if error in ("invalid_grant", "invalid_token", "unauthorized_client", "access_denied"):
        return ReauthRequired(
            platform, description, status=response.status_code, code=error, endpoint=endpoint
        )
    if error in ("temporarily_unavailable", "server_error"):
        return Transient(
            platform, description, status=response.status_code, code=error, endpoint=endpoint
        )
    return Rejected(
        platform, description, status=response.status_code, code=error, endpoint=endpoint
    )


def _classify_x(response: httpx2.Response, now: datetime) -> ProviderError:
    status = response.status_code
    body = _json(response)
    endpoint = endpoint_of(response)
    oauth = _oauth_error("x", body, response)
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
        return ReauthRequired("x", detail, status=status, code=code, endpoint=endpoint)
    if status == 429 or problem_type.endswith("/usage-capped"):
        # The 24-hour user limit resets later than the 15-minute window: honour the later one.
        resets = [
            _header_int(response, "x-rate-limit-reset")
            if _header_int(response, "x-rate-limit-remaining") == 0
            else None,
            _header_int(response, "x-user-limit-24hour-reset")
            if _header_int(response, "x-user-limit-24hour-remaining") == 0
            else None,
            _header_int(response, "x-app-limit-24hour-reset")
            if _header_int(response, "x-app-limit-24hour-remaining") == 0
            else None,
        ]
        waits = [w for w in (_seconds_until(r, now) for r in resets if r) if w is not None]
        fallback = _seconds_until(_header_int(response, "x-rate-limit-reset"), now)
        retry_after = max(waits) if waits else (fallback if fallback is not None else 900.0)
        return RateLimited(
            "x", detail, retry_after=retry_after, status=status, code=code, endpoint=endpoint
        )
    if status >= 500:
        return Transient("x", detail, status=status, code=code, endpoint=endpoint)
    if status == 403 and "duplicate" in detail.lower():
        code = "duplicate"
    return Rejected("x", detail, status=status, code=code, endpoint=endpoint)


def _seconds_until_utc_midnight(now: datetime) -> float:
    tomorrow = (now.astimezone(UTC) + timedelta(days=1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return (tomorrow - now).total_seconds()


def _classify_linkedin(response: httpx2.Response, now: datetime) -> ProviderError:
    status = response.status_code
    body = _json(response)
    endpoint = endpoint_of(response)
    oauth = _oauth_error("linkedin", body, response)
    if oauth is not None:
        return oauth
    data = body if isinstance(body, dict) else {}
    service_code = data.get("serviceErrorCode")
    code = str(data.get("code") or service_code or status)
    message = str(data.get("message") or response.reason_phrase)
    if status == 401 or service_code in LINKEDIN_REAUTH_CODES:
        return ReauthRequired("linkedin", message, status=status, code=code, endpoint=endpoint)
    if status == 429:
        # LinkedIn limits are per day and reset at midnight UTC; it sends no reset header.
        retry_after = _retry_after_header(response) or _seconds_until_utc_midnight(now)
        return RateLimited(
            "linkedin",
            message,
            retry_after=retry_after,
            status=status,
            code=code,
            endpoint=endpoint,
        )
    if status >= 500:
        return Transient("linkedin", message, status=status, code=code, endpoint=endpoint)
    return Rejected("linkedin", message, status=status, code=code, endpoint=endpoint)


def _meta_regain_seconds(response: httpx2.Response) -> float | None:
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


def _classify_meta(platform: str, response: httpx2.Response, now: datetime) -> ProviderError:
    status = response.status_code
    body = _json(response)
    endpoint = endpoint_of(response)
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        oauth = _oauth_error(platform, body, response)
        if oauth is not None:
            return oauth
        if status >= 500:
            return Transient(platform, response.reason_phrase, status=status, endpoint=endpoint)
        return Rejected(platform, response.reason_phrase, status=status, endpoint=endpoint)
    code = error.get("code")
    subcode = error.get("error_subcode")
    message = str(error.get("error_user_msg") or error.get("message") or "Graph API error")
    code_text = f"{code}/{subcode}" if subcode else str(code)
    if code in META_REAUTH_CODES:
        reason = META_SUBCODE_REASONS.get(subcode) if isinstance(subcode, int) else None
        text = f"{message} ({reason})" if reason else message
        return ReauthRequired(platform, text, status=status, code=code_text, endpoint=endpoint)
    if code in META_THROTTLE_CODES or code == 368:
        retry_after = _meta_regain_seconds(response) or _retry_after_header(response) or 3600.0
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
        or code in META_TRANSIENT_CODES
        or subcode in META_TRANSIENT_SUBCODES
        or status >= 500
    ):
        return Transient(platform, message, status=status, code=code_text, endpoint=endpoint)
    return Rejected(platform, message, status=status, code=code_text, endpoint=endpoint)


# --- transport -------------------------------------------------------------------------------


def send(
    client: httpx2.Client,
    platform: str,
    request: httpx2.Request,
    now: datetime | None = None,
    observe: Callable[[httpx2.Response], None] | None = None,
) -> httpx2.Response:
    """Send ``request``; return the 2xx response or raise the classified error.

    A connection that failed before the request left us is ``Transient``. A timeout or a
    dropped connection after a non-idempotent request was sent is ``OutcomeUnknown``: the
    platform may have applied it, so the caller must verify before trying again.
    """
    endpoint = f"{request.method} {request.url.path}"
    try:
        response = client.send(request)
    except (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout) as exc:
        raise Transient(
            platform, f"could not connect: {type(exc).__name__}", endpoint=endpoint
        ) from exc
    except (
        httpx2.ReadTimeout,
        httpx2.WriteTimeout,
        httpx2.RemoteProtocolError,
        httpx2.ReadError,
    ) as exc:
        if request.method in IDEMPOTENT_METHODS:
            raise Transient(
                platform, f"no answer: {type(exc).__name__}", endpoint=endpoint
            ) from exc
        raise OutcomeUnknown(
            platform,
            f"the request was sent but no answer came back ({type(exc).__name__}); "
            "it may have been applied",
            endpoint=endpoint,
        ) from exc
    except httpx2.TransportError as exc:
        raise Transient(
            platform, f"transport error: {type(exc).__name__}", endpoint=endpoint
        ) from exc
    response.read()
    if observe is not None:
        observe(response)
    if response.is_success:
        return response
    raise classify(platform, response, now)


# --- rate-limit headers ------------------------------------------------------------------------


def _epoch(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def parse_rate_limits(platform: str, response: httpx2.Response) -> list[RateLimitState]:
    """Every budget the response reports. LinkedIn sends none (as the real API)."""
    endpoint = endpoint_of(response)
    states: list[RateLimitState] = []
    headers = response.headers
    if platform == "x":
        for scope, prefix in (
            ("endpoint", "x-rate-limit"),
            ("user-24h", "x-user-limit-24hour"),
            ("app-24h", "x-app-limit-24hour"),
        ):
            if f"{prefix}-limit" in headers or f"{prefix}-remaining" in headers:
                states.append(
                    RateLimitState(
                        platform="x",
                        scope=scope,
                        endpoint=endpoint,
                        limit=_header_int(response, f"{prefix}-limit"),
                        remaining=_header_int(response, f"{prefix}-remaining"),
                        reset_at=_epoch(_header_int(response, f"{prefix}-reset")),
                    )
                )
    elif platform in ("facebook", "instagram", "meta"):
        for header in ("x-app-usage", "x-page-usage"):
            raw = headers.get(header)
            if raw:
                try:
                    usage = json.loads(raw)
                except ValueError:
                    continue
                percent = max(
                    float(usage.get(k, 0) or 0)
                    for k in ("call_count", "total_time", "total_cputime")
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
