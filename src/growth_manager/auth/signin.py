"""Signing a browser in and out: the server-side session and its cookie, together."""

from __future__ import annotations

from datetime import timedelta

from fastapi import Request, Response
from sqlalchemy.orm import Session

from growth_manager.auth.dependencies import (
    ANONYMOUS_CSRF_KEY,
    browser_session,
    clear_session_cookie,
    forget_browser_session,
    session_store_of,
    set_session_cookie,
    settings_of,
)
from growth_manager.auth.ratelimit import client_address
from growth_manager.auth.service import users
from growth_manager.models.user import User


def sign_in(request: Request, db: Session, user: User, response: Response) -> None:
    """Opens a new session for ``user`` and sets its cookie on ``response``.

    A new session id at every login (never a pre-login one reused) so nothing an attacker
    planted before login carries over; a session this browser already had is ended.
    """
    store = session_store_of(request)
    previous = browser_session(request, db)
    if previous is not None:
        store.end(db, previous.session.user_id, previous.session.id)
    secret = users.start_session(
        db,
        store,
        user,
        lifetime=timedelta(days=settings_of(request).session_max_age_days),
        user_agent=request.headers.get("user-agent", ""),
        ip_address=client_address(request),
    )
    set_session_cookie(request, response, secret)
    # The pre-login CSRF token has done its job; the session has its own from now on.
    request.session.pop(ANONYMOUS_CSRF_KEY, None)


def sign_out(request: Request, db: Session, response: Response) -> bool:
    """Ends this browser's session (server-side: the cookie is worthless from now on) and
    clears its cookie. True if there was a session to end."""
    signed_in = browser_session(request, db)
    if signed_in is not None:
        session_store_of(request).end(db, signed_in.session.user_id, signed_in.session.id)
    forget_browser_session(request)
    clear_session_cookie(request, response)
    request.session.pop(ANONYMOUS_CSRF_KEY, None)
    return signed_in is not None
