"""X's OAuth 2.0 authorization code flow with PKCE (reference A.2).

``x.com/i/oauth2/authorize`` shows a consent page; the token endpoint exchanges codes (30 s
lifetime, single use, PKCE S256 or plain) and rotating single-use refresh tokens (only with
``offline.access``); access tokens live two hours on the sandbox clock.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from platform_sandbox.apps import SbApp, get_app
from platform_sandbox.oauth_pages import authorize_page, error_page
from platform_sandbox.platform import SandboxContext, context
from platform_sandbox.x import errors
from platform_sandbox.x.common import opaque_token
from platform_sandbox.x.models import (
    XAccessToken,
    XAuthCode,
    XRefreshToken,
    XUser,
)

ACCESS_TOKEN_LIFETIME = timedelta(hours=2)
REFRESH_TOKEN_LIFETIME = timedelta(days=180)
CODE_LIFETIME = timedelta(seconds=30)
MAX_STATE_LENGTH = 500

SCOPES: dict[str, str] = {
    "tweet.read": "See Posts from your timeline (including protected Posts) and your Lists.",
    "tweet.write": "Post and repost for you.",
    "tweet.moderate.write": "Hide and unhide replies to your Posts.",
    "users.email": "See the email address associated with your account.",
    "users.read": "See any account you can view, including protected accounts.",
    "follows.read": "See who follows you and who you follow.",
    "follows.write": "Follow and unfollow people for you.",
    "offline.access": "Stay connected to your account until you revoke access.",
    "space.read": "See all the Spaces you can view.",
    "mute.read": "See which accounts you've muted.",
    "mute.write": "Mute and unmute accounts for you.",
    "like.read": "See Posts you've liked and likes you can view.",
    "like.write": "Like and un-like Posts for you.",
    "list.read": "See Lists and members of Lists you can view.",
    "list.write": "Create and manage Lists for you.",
    "block.read": "See which accounts you've blocked.",
    "block.write": "Block and unblock accounts for you.",
    "bookmark.read": "See your bookmarks.",
    "bookmark.write": "Create and delete bookmarks for you.",
    "dm.read": "See all your Direct Messages.",
    "dm.write": "Send and manage Direct Messages for you.",
    "media.write": "Upload media, such as photos and videos, for you.",
    "timeline.read": "See Custom Timelines you can view.",
}
_PKCE_CHARS = re.compile(r"^[A-Za-z0-9\-._~]{1,128}$")

web_router = APIRouter()
token_router = APIRouter()


class AuthorizeError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _something_went_wrong(reason: str) -> HTMLResponse:
    # X shows this one page for every bad authorization request and never redirects to a
    # redirect_uri it could not verify.
    return HTMLResponse(
        error_page(
            title="Something went wrong",
            message="You weren't able to give access to the App. Go back and try logging in again.",
            reason=reason,
        ),
        status_code=400,
    )


def _validate(session: Session, params: dict[str, str]) -> SbApp:
    app = get_app(session, "x", params.get("client_id", ""))
    if app is None:
        raise AuthorizeError("invalid_client")
    if not app.allows_redirect(params.get("redirect_uri", "")):
        raise AuthorizeError("invalid_redirect_uri")
    if params.get("response_type") != "code":
        raise AuthorizeError("unsupported_response_type")
    scopes = params.get("scope", "").split()
    if not scopes or any(s not in SCOPES for s in scopes):
        raise AuthorizeError("invalid_scope")
    state = params.get("state", "")
    if not state or len(state) > MAX_STATE_LENGTH:
        raise AuthorizeError("invalid_state")
    method = params.get("code_challenge_method", "")
    challenge = params.get("code_challenge", "")
    if method not in {"S256", "plain"} or not _PKCE_CHARS.match(challenge):
        raise AuthorizeError("invalid_code_challenge")
    if method == "S256" and len(challenge) != 43:
        raise AuthorizeError("invalid_code_challenge")
    return app


def _with_query(uri: str, params: dict[str, str]) -> str:
    return f"{uri}{'&' if '?' in uri else '?'}{urlencode(params)}"


def _page(ctx: SandboxContext, params: dict[str, str], action_url: str) -> Response:
    with ctx.store.session() as session:
        try:
            app = _validate(session, params)
        except AuthorizeError as exc:
            return _something_went_wrong(exc.reason)
        users = session.scalars(
            select(XUser).where(XUser.competitor.is_(False)).order_by(XUser.id)
        ).all()
        accounts = [(u.id, f"{u.name} (@{u.username})") for u in users]
        app_name = app.name
    keys = [
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "state",
        "code_challenge",
        "code_challenge_method",
    ]
    hidden = {k: params[k] for k in keys if k in params}
    scopes = [(s, SCOPES[s]) for s in params["scope"].split()]
    return HTMLResponse(
        authorize_page(
            platform_title="X",
            app_name=app_name,
            action_url=action_url,
            accounts=accounts,
            scopes=scopes,
            hidden=hidden,
        )
    )


def _decide(ctx: SandboxContext, form: dict[str, str]) -> Response:
    with ctx.store.session() as session:
        try:
            _validate(session, form)
        except AuthorizeError as exc:
            return _something_went_wrong(exc.reason)
        redirect_uri, state = form["redirect_uri"], form["state"]
        if form.get("action") != "authorize":
            return RedirectResponse(
                _with_query(redirect_uri, {"error": "access_denied", "state": state}), 302
            )
        user = session.get(XUser, form.get("account", ""))
        if user is None:
            return _something_went_wrong("unknown_account")
        now = ctx.clock.now()
        code = opaque_token("ac", now)
        session.add(
            XAuthCode(
                code=code,
                client_id=form["client_id"],
                user_id=user.id,
                redirect_uri=redirect_uri,
                scope=" ".join(dict.fromkeys(form["scope"].split())),
                code_challenge=form["code_challenge"],
                code_challenge_method=form["code_challenge_method"],
                expires_at=now + CODE_LIFETIME,
            )
        )
    return RedirectResponse(_with_query(redirect_uri, {"state": state, "code": code}), 302)


@web_router.get("/i/oauth2/authorize", response_model=None)
async def authorize(request: Request) -> Response:
    params = dict(request.query_params)
    return await run_in_threadpool(_page, context(request), params, str(request.url))


@web_router.post("/i/oauth2/authorize", response_model=None)
async def authorize_decision(request: Request) -> Response:
    form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
    # Query parameters (the page posts back to its own URL) fill anything the form lacks.
    merged = {**dict(request.query_params), **form}
    return await run_in_threadpool(_decide, context(request), merged)


# --- token endpoint ----------------------------------------------------------------------


class TokenError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


def _client(session: Session, request_headers: dict[str, str], form: dict[str, str]) -> SbApp:
    """Confidential clients authenticate with HTTP Basic; public clients send ``client_id``."""
    header = request_headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise TokenError(
                401, "unauthorized_client", "Missing valid authorization header"
            ) from None
        app = get_app(session, "x", client_id)
        if app is None or not hmac.compare_digest(app.client_secret, secret):
            raise TokenError(401, "unauthorized_client", "Missing valid authorization header")
        return app
    app = get_app(session, "x", form.get("client_id", ""))
    if app is None or app.client_type == "confidential":
        raise TokenError(401, "unauthorized_client", "Missing valid authorization header")
    return app


def _pkce_ok(code: XAuthCode, verifier: str) -> bool:
    if not verifier or not _PKCE_CHARS.match(verifier):
        return False
    if code.code_challenge_method == "plain":
        return hmac.compare_digest(verifier, code.code_challenge)
    digest = hashlib.sha256(verifier.encode()).digest()
    expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return hmac.compare_digest(expected, code.code_challenge)


def _issue(
    ctx: SandboxContext, session: Session, client_id: str, user_id: str, scope: str
) -> dict[str, Any]:
    now = ctx.clock.now()
    access = opaque_token("at", now)
    session.add(
        XAccessToken(
            token=access,
            client_id=client_id,
            user_id=user_id,
            scope=scope,
            expires_at=now + ACCESS_TOKEN_LIFETIME,
        )
    )
    body: dict[str, Any] = {
        "token_type": "bearer",
        "expires_in": int(ACCESS_TOKEN_LIFETIME.total_seconds()),
        "access_token": access,
        "scope": scope,
    }
    if "offline.access" in scope.split():
        refresh = opaque_token("rt", now)
        session.add(
            XRefreshToken(
                token=refresh,
                client_id=client_id,
                user_id=user_id,
                scope=scope,
                expires_at=now + REFRESH_TOKEN_LIFETIME,
            )
        )
        body["refresh_token"] = refresh
    return body


def _token(ctx: SandboxContext, headers: dict[str, str], form: dict[str, str]) -> dict[str, Any]:
    grant = form.get("grant_type", "")
    if grant not in {"authorization_code", "refresh_token"}:
        raise TokenError(400, "invalid_request", "Missing required parameter [grant_type].")
    with ctx.store.session() as session:
        app = _client(session, headers, form)
        now = ctx.clock.now()
        if grant == "authorization_code":
            invalid = TokenError(
                400, "invalid_request", "Value passed for the authorization code was invalid."
            )
            code = session.get(XAuthCode, form.get("code", ""))
            if (
                code is None
                or code.used
                or code.expires_at <= now
                or code.client_id != app.client_id
                or code.redirect_uri != form.get("redirect_uri")
            ):
                raise invalid
            # Consumed even when PKCE fails: a code is good for one attempt only.
            code.used = True
            if not _pkce_ok(code, form.get("code_verifier", "")):
                session.commit()
                raise invalid
            return _issue(ctx, session, app.client_id, code.user_id, code.scope)
        refresh = session.get(XRefreshToken, form.get("refresh_token", ""))
        if (
            refresh is None
            or refresh.used
            or refresh.revoked
            or refresh.expires_at <= now
            or refresh.client_id != app.client_id
        ):
            raise TokenError(400, "invalid_request", "Value passed for the token was invalid.")
        refresh.used = True
        return _issue(ctx, session, app.client_id, refresh.user_id, refresh.scope)


def _revoke(ctx: SandboxContext, headers: dict[str, str], form: dict[str, str]) -> None:
    with ctx.store.session() as session:
        app = _client(session, headers, form)
        token = form.get("token", "")
        access = session.get(XAccessToken, token)
        if access is not None and access.client_id == app.client_id:
            access.revoked = True
        refresh = session.get(XRefreshToken, token)
        if refresh is not None and refresh.client_id == app.client_id:
            refresh.revoked = True


async def _form(request: Request) -> dict[str, str]:
    return dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))


@token_router.post("/2/oauth2/token", response_model=None)
async def token(request: Request) -> Response:
    form = await _form(request)
    try:
        body = await run_in_threadpool(_token, context(request), dict(request.headers), form)
    except TokenError as exc:
        return errors.oauth_error(exc.status, exc.error, exc.description)
    return JSONResponse(body, headers={"cache-control": "no-store"})


@token_router.post("/2/oauth2/revoke", response_model=None)
async def revoke(request: Request) -> Response:
    form = await _form(request)
    try:
        await run_in_threadpool(_revoke, context(request), dict(request.headers), form)
    except TokenError as exc:
        return errors.oauth_error(exc.status, exc.error, exc.description)
    return JSONResponse({"revoked": True})


# The OpenAPI security scheme names api.x.com/2/oauth2/authorize; some clients follow it.
token_router.add_api_route("/2/oauth2/authorize", authorize, methods=["GET"], response_model=None)
token_router.add_api_route(
    "/2/oauth2/authorize", authorize_decision, methods=["POST"], response_model=None
)
