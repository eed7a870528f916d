"""Who is calling: a bearer API token or the dashboard's server-side session, and CSRF.

**CSRF.** Every state change a browser can be tricked into sending must carry a token the
attacker's page cannot know, either in the ``X-CSRF-Token`` header (htmx and fetch) or in a
``csrf_token`` form field (plain forms).

- Dashboard routes (everything outside ``/api/``): :func:`page_csrf_protect` is a dependency of
  the whole app (``create_app``), so a POST/PUT/PATCH/DELETE page route added tomorrow is
  protected without anyone remembering to ask for it. Signed in, the token is the session's
  (:func:`growth_manager.auth.sessions.csrf_token_for`).
- Before sign-in (login, sign-up, a logout from a page whose session already ended) there is no
  server-side session to bind a token to: that is the login-CSRF case, where another site logs a
  visitor into the attacker's account. Those forms use a signed double-submit token: a random
  value kept in the signed, HttpOnly ``gm_browser`` cookie (Starlette's SessionMiddleware) and
  echoed in the form. We chose it over an anonymous server-side session because the latter
  would write a row for every visitor who merely opens /login (a bot can fill the table, and on
  SQLite every such GET would take the write lock); the double-submit token costs nothing on
  the server. Its weakness, a sibling subdomain planting its own cookie, is closed in
  production by the ``__Host-`` cookie prefix, which browsers refuse to accept from another
  host.
- API routes (``/api/``): bearer-authenticated requests are exempt (browsers never attach a
  bearer token by themselves); cookie-authenticated state changes need the session's token,
  checked by :func:`current_user`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from growth_manager.auth.rejected_tokens import REJECTED_DETAIL, RejectedTokens
from growth_manager.auth.sessions import (
    BrowserSession,
    SessionStore,
    csrf_token_for,
    needs_touch,
    session_secret_hash,
    session_store_for,
)
from growth_manager.config import Settings
from growth_manager.db import Database, DbSession, is_read_only
from growth_manager.errors import LoginRequired, NotAuthenticated, PermissionDenied, declares_errors
from growth_manager.kit.clock import utcnow
from growth_manager.models.user import ApiToken, User
from growth_manager.web.templating import request_part

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
SESSION_COOKIE = "gm_session"
# Starlette's signed cookie: flash messages and the pre-login CSRF token, never who you are.
BROWSER_COOKIE = "gm_browser"
ANONYMOUS_CSRF_KEY = "csrf"
LAST_USED_GRANULARITY = timedelta(minutes=5)
API_TOKEN_PREFIX = "gm_"  # noqa: S105 - a prefix, not a secret
CSRF_REFUSED = (
    "Missing or wrong CSRF token: reload the page and try again "
    "(API clients should send Authorization: Bearer instead of cookies)."
)


PAGE_CSRF_REFUSED = (
    "This form has expired or did not come from this site (missing or wrong CSRF token): "
    "reload the page and try again."
)


class CsrfRefused(PermissionDenied):
    def __init__(self, detail: str = CSRF_REFUSED) -> None:
        super().__init__(detail)


def hash_api_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def secure_cookies(settings: Settings) -> bool:
    return settings.environment == "production"


def cookie_name(base: str, settings: Settings) -> str:
    """``__Host-`` in production: such a cookie is only accepted over HTTPS, for this exact
    host, so a sibling subdomain cannot plant one (cookie tossing)."""
    return f"__Host-{base}" if secure_cookies(settings) else base


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def session_store_of(request: Request) -> SessionStore:
    state = request.app.state
    store: SessionStore | None = getattr(state, "session_store", None)
    if store is None:
        store = session_store_for(settings_of(request).redis_url)
        state.session_store = store
    return store


@dataclass(frozen=True)
class SignedIn:
    """The request's live session and the secret from its cookie."""

    secret: str
    session: BrowserSession


_UNRESOLVED = object()


def browser_session(request: Request, db: Session) -> SignedIn | None:
    """The live session the request's cookie names, looked up once per request."""
    cached = getattr(request.state, "signed_in", _UNRESOLVED)
    if cached is not _UNRESOLVED:
        return cached  # type: ignore[return-value]
    signed_in: SignedIn | None = None
    secret = request.cookies.get(cookie_name(SESSION_COOKIE, settings_of(request)))
    if secret:
        store = session_store_of(request)
        now = utcnow()
        found = store.find(db, session_secret_hash(secret), now)
        if found is not None and needs_touch(found, now) and is_read_only(db):
            # A read request never writes through its own snapshot (db.py): last seen is
            # recorded in a short write transaction of its own, every few minutes.
            database: Database = request.app.state.database
            with database.write_session() as writer:
                found = store.touch(writer, found, now)
        elif found is not None:
            found = store.touch(db, found, now)
        if found is not None:
            signed_in = SignedIn(secret, found)
    request.state.signed_in = signed_in
    return signed_in


def forget_browser_session(request: Request) -> None:
    """After logout: the rest of this request is anonymous."""
    request.state.signed_in = None


def current_session_id(request: Request) -> str | None:
    """The id of the session this request came with (None for bearer or anonymous requests);
    valid once :func:`optional_user` or a CSRF check has run."""
    signed_in = getattr(request.state, "signed_in", None)
    return signed_in.session.id if isinstance(signed_in, SignedIn) else None


def csrf_token(request: Request) -> str:
    """The CSRF token forms and htmx send back: the session's when signed in, else the
    browser's pre-login token (created on first use)."""
    signed_in = getattr(request.state, "signed_in", _UNRESOLVED)
    if signed_in is _UNRESOLVED:
        with request.app.state.database.read_session() as db:
            signed_in = browser_session(request, db)
    if isinstance(signed_in, SignedIn):
        return csrf_token_for(signed_in.secret)
    token = request.session.get(ANONYMOUS_CSRF_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[ANONYMOUS_CSRF_KEY] = token
    return token


@request_part
def _form_token(request: Request) -> dict[str, str]:
    """Every page's forms carry the CSRF token."""
    return {"csrf_token": csrf_token(request)}


def set_session_cookie(request: Request, response: Response, secret: str) -> None:
    settings = settings_of(request)
    response.set_cookie(
        cookie_name(SESSION_COOKIE, settings),
        secret,
        max_age=settings.session_max_age_days * 86400,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(settings),
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    settings = settings_of(request)
    response.delete_cookie(
        cookie_name(SESSION_COOKIE, settings),
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(settings),
    )


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


async def _sent_csrf_token(request: Request) -> str | None:
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        # Starlette caches the parsed form, so the endpoint's Form()/File() parameters still
        # work; for an upload FastAPI has parsed it before any dependency runs, so this reads
        # nothing twice (and the body limit middleware has capped it while streaming).
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    return sent


def _check(expected: str | None, sent: str | None, detail: str = CSRF_REFUSED) -> None:
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise CsrfRefused(detail)


async def csrf_protect(request: Request, db: DbSession) -> None:
    """API rule: a cookie-authenticated state change without the session's CSRF token is
    refused; bearer-authenticated and unauthenticated requests pass (the latter then get 401
    from whatever needs a user)."""
    if request.method in SAFE_METHODS or bearer_token(request) is not None:
        return
    signed_in = await run_in_threadpool(browser_session, request, db)
    if signed_in is None:
        return
    _check(csrf_token_for(signed_in.secret), await _sent_csrf_token(request))


async def page_csrf_protect(request: Request, db: DbSession) -> None:
    """Dashboard rule, installed on the whole app: every state-changing request outside
    ``/api/`` carries the token of its session, or the pre-login token when signed out."""
    if request.method in SAFE_METHODS or request.url.path.startswith("/api/"):
        return
    signed_in = await run_in_threadpool(browser_session, request, db)
    if signed_in is not None:
        expected: str | None = csrf_token_for(signed_in.secret)
    else:
        anonymous = request.session.get(ANONYMOUS_CSRF_KEY)
        expected = anonymous if isinstance(anonymous, str) else None
    _check(expected, await _sent_csrf_token(request), PAGE_CSRF_REFUSED)


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
        rejected: RejectedTokens | None = getattr(request.app.state, "rejected_tokens", None)
        if rejected is not None:
            rejected.add(hash_api_token(token))
        raise NotAuthenticated(REJECTED_DETAIL)
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
    signed_in = browser_session(request, session)
    if signed_in is None:
        return None
    user = session.get(User, signed_in.session.user_id)
    if user is None or not user.is_active:
        return None
    return user


@declares_errors(401, 403)  # 403: a cookie session without its CSRF token
async def current_user(
    user: Annotated[User | None, Depends(optional_user)],
    _csrf: Annotated[None, Depends(csrf_protect)],
) -> User:
    if user is None:
        raise NotAuthenticated()
    return user


CurrentUser = Annotated[User, Depends(current_user)]


async def page_user(request: Request, user: Annotated[User | None, Depends(optional_user)]) -> User:
    """For dashboard pages: the signed-in user, or a redirect to /login?next=… ."""
    if user is None:
        raise LoginRequired(str(request.url.path))
    return user


PageUser = Annotated[User, Depends(page_user)]
