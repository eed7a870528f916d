"""Rate limits on the credential endpoints (log in, API token, sign up), per client address,
and on CPU-heavy endpoints (text measurement), per user.

Storage follows the settings: ``memory://`` in the embedded single-process mode, Redis when
``redis_url`` (or ``rate_limit_storage``) is set, so several web processes share one count.

This uses slowapi's engine, the ``limits`` library, directly rather than slowapi's decorator:
the decorator binds one ``Limiter`` (and so one storage) at import time, while here the storage
is chosen by the settings handed to ``create_app``; and the dashboard's login page must answer
a 429 by re-rendering its form, which slowapi's exception handler can't do.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Annotated

import structlog
from fastapi import Depends, Request
from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from growth_manager.auth.dependencies import CurrentUser
from growth_manager.config import Settings
from growth_manager.errors import RateLimited, declares_errors

log = structlog.get_logger(__name__)

LOGIN_SCOPE = "login"  # shared by the login page and POST /api/v1/auth/token
SIGNUP_SCOPE = "signup"
MEASURE_SCOPE = "measure"


@dataclass
class RateLimiter:
    storage: Storage
    strategy: MovingWindowRateLimiter
    login_limit: RateLimitItem
    measure_limit: RateLimitItem
    key_prefix: str = "gm"

    def hit(self, scope: str, limit: RateLimitItem, client: str) -> None:
        """Counts one attempt; raises :class:`RateLimited` (with ``Retry-After``) past the limit."""
        identifiers = (self.key_prefix, scope, client)
        if self.strategy.hit(limit, *identifiers):
            return
        reset_at, _remaining = self.strategy.get_window_stats(limit, *identifiers)
        retry_after = max(1, math.ceil(reset_at - time.time()))
        log.warning("auth.rate_limit.exceeded", scope=scope, retry_after=retry_after)
        raise RateLimited(
            f"Too many attempts. Wait {retry_after} seconds, then try again.",
            headers={"Retry-After": str(retry_after)},
        )

    def reset(self) -> None:
        self.storage.reset()


def build_rate_limiter(settings: Settings, key_prefix: str = "gm") -> RateLimiter:
    storage = storage_from_string(settings.effective_rate_limit_storage)
    if not isinstance(storage, Storage):
        # The endpoints are sync (plain def), so an async+redis:// storage can't serve them.
        raise ValueError(
            f"rate_limit_storage must be a synchronous storage such as memory:// or redis://, "
            f"not {settings.effective_rate_limit_storage.split(':', 1)[0]}://"
        )
    return RateLimiter(
        storage=storage,
        # A moving window, unlike a fixed one, does not allow a double burst across the
        # boundary of two windows.
        strategy=MovingWindowRateLimiter(storage),
        login_limit=parse(settings.login_rate_limit),
        measure_limit=parse(settings.measure_rate_limit),
        key_prefix=key_prefix,
    )


def client_address(request: Request) -> str:
    # The connecting address, or the forwarded one when it came through a proxy listed in
    # GROWTH_TRUSTED_PROXIES (create_app installs the middleware that rewrites it). Never read
    # X-Forwarded-For here: anyone can send it.
    return request.client.host if request.client else "unknown"


def rate_limiter_of(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


@declares_errors(429)
def limit_login(request: Request) -> None:
    """Dependency: one login attempt for this client address."""
    limiter = rate_limiter_of(request)
    limiter.hit(LOGIN_SCOPE, limiter.login_limit, client_address(request))


@declares_errors(429)
def limit_signup(request: Request) -> None:
    """Dependency: one sign-up attempt for this client address."""
    limiter = rate_limiter_of(request)
    limiter.hit(SIGNUP_SCOPE, limiter.login_limit, client_address(request))


@declares_errors(429)
def limit_measure(request: Request, user: CurrentUser) -> None:
    """Dependency: one text measurement for this user (counting X's way costs CPU per
    character, so an unbounded loop of them would starve every other request)."""
    limiter = rate_limiter_of(request)
    limiter.hit(MEASURE_SCOPE, limiter.measure_limit, f"user:{user.id}")


LoginRateLimit = Annotated[None, Depends(limit_login)]
SignupRateLimit = Annotated[None, Depends(limit_signup)]
MeasureRateLimit = Annotated[None, Depends(limit_measure)]
