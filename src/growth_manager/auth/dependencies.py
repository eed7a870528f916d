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
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from growth_manager.db import Database, DbSession, is_read_only
from growth_manager.errors import NotAuthenticated, PermissionDenied
from growth_manager.kit.clock import utcnow
from growth_manager.models.user import ApiToken, User

__all__ = [  # DbSession is re-exported: routes take the session and the user from one place
    "CurrentUser",
    "DbSession",
    "LoginRequired",
    "PageUser",
    "bearer_token",
    "csrf_protect",
    "csrf_token",
    "current_user",
    "hash_api_token",
    "optional_user",
    "page_user",
]

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


def _user_from_bearer(request: Request, session: Session, token: str) -> User:
    now = utcnow()
    found = session.execute(
        select(User, ApiToken.id, ApiToken.last_used_at)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == hash_api_token(token),
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > now,
            User.is_active.is_(True),
        )
    ).first()
    if found is None:
        raise NotAuthenticated("The bearer token is invalid, expired or revoked.")
    user, token_id, last_used_at = found
    # Record use at most every few minutes: a write on every request would serialise every
    # API call behind the database's write lock for a value nobody needs to the second.
    if last_used_at is None or now - last_used_at >= LAST_USED_GRANULARITY:
        touch = update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now)
        if is_read_only(session):
            # A read request never writes through its own snapshot (db.py): one short write
            # transaction of its own, every few minutes per token.
            database: Database = request.app.state.database
            with database.write_session() as writer:
                writer.execute(touch)
        else:
            session.execute(touch)
    return user


def optional_user(request: Request, session: DbSession) -> User | None:
    token = bearer_token(request)
    if token is not None:
        return _user_from_bearer(request, session, token)
    user_id = request.session.get(SESSION_USER_KEY)
    if not isinstance(user_id, int):
        return None
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        request.session.clear()
        return None
    return user


async def current_user(
    user: Annotated[User | None, Depends(optional_user)],
    _csrf: Annotated[None, Depends(csrf_protect)],
) -> User:
    if user is None:
        raise NotAuthenticated()
    return user


CurrentUser = Annotated[User, Depends(current_user)]


class LoginRequired(Exception):
    """Raised by page dependencies; the app answers with a redirect to the login page."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


async def page_user(request: Request, user: Annotated[User | None, Depends(optional_user)]) -> User:
    """For dashboard pages: the signed-in user, or a redirect to /login?next=… ."""
    if user is None:
        raise LoginRequired(str(request.url.path))
    return user


PageUser = Annotated[User, Depends(page_user)]
