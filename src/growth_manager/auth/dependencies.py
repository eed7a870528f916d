"""Who is calling: a bearer API token or the dashboard's session cookie.

Cookie-authenticated requests that change state must carry the session's CSRF token, either in
the ``X-CSRF-Token`` header (htmx and fetch) or in a ``csrf_token`` form field (plain forms).
Bearer-authenticated requests are not exposed to CSRF (browsers never attach them by
themselves), so they are exempt.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from growth_manager.db import get_db_session
from growth_manager.errors import NotAuthenticated, PermissionDenied, declares_errors
from growth_manager.kit.clock import utcnow
from growth_manager.models.user import ApiToken, User

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
SESSION_USER_KEY = "user_id"
SESSION_CSRF_KEY = "csrf"
LAST_USED_GRANULARITY = timedelta(minutes=5)
API_TOKEN_PREFIX = "gm_"  # noqa: S105 - a prefix, not a secret


def hash_api_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get(SESSION_CSRF_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF_KEY] = token
    return token


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


async def csrf_protect(request: Request) -> None:
    """Rejects a cookie-authenticated state change without the session's CSRF token."""
    if request.method in SAFE_METHODS or bearer_token(request) is not None:
        return
    if SESSION_USER_KEY not in request.session:
        return  # unauthenticated; current_user answers 401
    expected = request.session.get(SESSION_CSRF_KEY)
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()  # Starlette caches it; Form() parameters still work
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not isinstance(expected, str) or not sent or not hmac.compare_digest(expected, sent):
        raise PermissionDenied(
            "Missing or wrong CSRF token: reload the page and try again "
            "(API clients should send Authorization: Bearer instead of cookies)."
        )


def _user_from_bearer(session: Session, token: str) -> User:
    api_token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_api_token(token)))
    now = utcnow()
    if api_token is None or api_token.revoked_at is not None or api_token.expires_at <= now:
        raise NotAuthenticated("The bearer token is invalid, expired or revoked.")
    user = session.get(User, api_token.user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated("The bearer token is invalid, expired or revoked.")
    # Record use at most every few minutes: a write on every request would serialise every
    # API call behind the database's write lock for a value nobody needs to the second.
    if api_token.last_used_at is None or now - api_token.last_used_at >= LAST_USED_GRANULARITY:
        api_token.last_used_at = now
    return user


def optional_user(
    request: Request, session: Annotated[Session, Depends(get_db_session)]
) -> User | None:
    token = bearer_token(request)
    if token is not None:
        return _user_from_bearer(session, token)
    user_id = request.session.get(SESSION_USER_KEY)
    if not isinstance(user_id, int):
        return None
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        request.session.clear()
        return None
    return user


@declares_errors(401, 403)  # 403: a cookie session without its CSRF token
def current_user(
    user: Annotated[User | None, Depends(optional_user)],
    _csrf: Annotated[None, Depends(csrf_protect)],
) -> User:
    if user is None:
        raise NotAuthenticated()
    return user


CurrentUser = Annotated[User, Depends(current_user)]
DbSession = Annotated[Session, Depends(get_db_session)]


class LoginRequired(Exception):
    """Raised by page dependencies; the app answers with a redirect to the login page."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def page_user(request: Request, user: Annotated[User | None, Depends(optional_user)]) -> User:
    """For dashboard pages: the signed-in user, or a redirect to /login?next=… ."""
    if user is None:
        raise LoginRequired(str(request.url.path))
    return user


PageUser = Annotated[User, Depends(page_user)]
