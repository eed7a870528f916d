"""The HTTP plumbing every platform shares.

:func:`send` turns transport failures into outcomes (a write whose request was sent but whose
answer never came is ``OutcomeUnknown``) and hands every non-2xx response to the platform's
:data:`Classifier`; each platform's folder holds its classifier and its :data:`RateLimitParser`
(which reads the budget headers of every response so jobs can see what is left). The helpers
here read the pieces those share: JSON bodies, integer headers, ``Retry-After``, RFC 6749
token-endpoint errors and the ``METHOD /path`` a budget is keyed by.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx2

from growth_manager.providers.errors import (
    OutcomeUnknown,
    ProviderError,
    ReauthRequired,
    Rejected,
    Transient,
)

DEFAULT_TIMEOUT = httpx2.Timeout(20.0, connect=5.0)
IDEMPOTENT_METHODS = {"GET", "HEAD", "OPTIONS", "DELETE", "PUT"}


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


def json_body(response: httpx2.Response) -> Any:
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError):
        return None


def seconds_until(epoch: float | None, now: datetime) -> float | None:
    if epoch is None:
        return None
    return max(0.0, epoch - now.timestamp())


def header_int(response: httpx2.Response, name: str) -> int | None:
    value = response.headers.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def retry_after_header(response: httpx2.Response) -> float | None:
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


def oauth_error(platform: str, body: Any, response: httpx2.Response) -> ProviderError | None:
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


def epoch(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


# A platform's reading of a non-2xx response: (platform key, response, now) → the outcome.
Classifier = Callable[[str, httpx2.Response, datetime], ProviderError]
# Every budget a response reports: (platform key, response) → states (none when it sends none).
RateLimitParser = Callable[[str, httpx2.Response], list[RateLimitState]]


# --- transport -------------------------------------------------------------------------------


def send(
    client: httpx2.Client,
    platform: str,
    request: httpx2.Request,
    classify: Classifier,
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
    raise classify(platform, response, now or datetime.now(UTC))
