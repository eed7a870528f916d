"""www.linkedin.com: the 3-legged OAuth consent page and the token endpoints (B.1).

Error behaviour follows what real clients report:

* unknown or missing ``client_id`` and a ``redirect_uri`` that is not registered verbatim never
  redirect: LinkedIn shows its "Bummer, something went wrong" page;
* an unauthorized scope redirects back with ``error=unauthorized_scope_error``;
* Cancel redirects back with ``error=user_cancelled_authorize`` (or ``user_cancelled_login``);
* ``state`` is optional and echoed verbatim whenever LinkedIn redirects.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from platform_sandbox.apps import SbApp, get_app
from platform_sandbox.linkedin import common
from platform_sandbox.linkedin.models import (
    LiAccessToken,
    LiAuthCode,
    LiMember,
    LiRefreshToken,
)
from platform_sandbox.platform import SandboxContext, context

router = APIRouter(route_class=common.LinkedInRoute)

AUTHORIZE_PATH = "/oauth/v2/authorization"

# Exact texts from clients' reports (passport-linkedin-oauth2 #90, postman/issue threads).
CODE_EXCHANGE_FAILED = (
    "Unable to retrieve access token: appid/redirect uri/code verifier does not match "
    "authorization code. Or authorization code expired. Or external member binding exists"
)
CANCEL_AUTHORIZE_DESCRIPTION = "The user cancelled the authorization"
CANCEL_LOGIN_DESCRIPTION = "The user cancelled LogIn"


class _PageError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Redirect(Exception):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


def _with_params(redirect_uri: str, params: dict[str, str | None]) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    separator = "&" if "?" in redirect_uri else "?"
    return f"{redirect_uri}{separator}{query}"


def _validate(session: Session, params: dict[str, str]) -> tuple[SbApp, str, list[str]]:
    """Checks in LinkedIn's order; page errors for client and redirect, redirects after."""
    client_id = params.get("client_id", "")
    if not client_id:
        raise _PageError('You need to pass the "client_id" parameter')
    app = get_app(session, common.PLATFORM_NAME, client_id)
    if app is None:
        raise _PageError(f'The passed in client_id is invalid "{client_id}"')
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri or not app.allows_redirect(redirect_uri):
        raise _PageError("The redirect_uri does not match the registered value")
    state = params.get("state")
    if params.get("response_type") != "code":
        raise _Redirect(
            _with_params(
                redirect_uri,
                {
                    "error": "invalid_request",
                    "error_description": "Invalid response_type, expected code",
                    "state": state,
                },
            )
        )
    # LinkedIn accepts space- or comma-separated scopes.
    scopes = [s for s in params.get("scope", "").replace(",", " ").split() if s]
    if not scopes:
        raise _Redirect(
            _with_params(
                redirect_uri,
                {
                    "error": "invalid_request",
                    "error_description": 'A required parameter "scope" is missing',
                    "state": state,
                },
            )
        )
    for scope in scopes:
        if scope not in common.KNOWN_SCOPES:
            # LinkedIn HTML-escapes the quotes inside the description.
            raise _Redirect(
                _with_params(
                    redirect_uri,
                    {
                        "error": "unauthorized_scope_error",
                        "error_description": f"Scope &quot;{scope}&quot; is not authorized "
                        "for your application",
                        "state": state,
                    },
                )
            )
    return app, redirect_uri, list(dict.fromkeys(scopes))


def _error_page(message: str) -> HTMLResponse:
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>LinkedIn</title></head>
<body><main><h1>Bummer, something went wrong.</h1>
<p id="error-message">{html.escape(message, quote=False)}</p></main></body></html>"""
    return HTMLResponse(body, status_code=400)


_STYLE = """
body{font-family:system-ui,sans-serif;background:#f3f2ef;margin:0}
main{max-width:30rem;margin:3rem auto;background:#fff;border-radius:8px;padding:2rem;
box-shadow:0 0 0 1px rgba(0,0,0,.08)}
h1{font-size:1.3rem}ul{padding-left:1.2rem}label{display:block;margin:.4rem 0}
.actions{display:flex;gap:1rem;margin-top:1.5rem}
button{border-radius:1.5rem;padding:.5rem 1.4rem;font-size:1rem;cursor:pointer;
border:1px solid #0a66c2}
button[value=allow]{background:#0a66c2;color:#fff}button[value=cancel]{background:#fff;color:#0a66c2}
.link{background:none;border:none;color:#666;padding:0;text-decoration:underline;font-size:.85rem}
"""


def _consent_page(
    app: SbApp, members: list[LiMember], scopes: list[str], params: dict[str, str]
) -> HTMLResponse:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(params[k])}">'
        for k in ("response_type", "client_id", "redirect_uri", "state", "scope")
        if k in params
    )
    member_options = "".join(
        f'<label><input type="radio" name="member" value="{html.escape(m.id)}"'
        f"{' checked' if i == 0 else ''}> {html.escape(m.name)}"
        f" <small>({html.escape(m.email)})</small></label>"
        for i, m in enumerate(members)
    )
    scope_items = "".join(
        f'<li data-scope="{html.escape(s)}"><code>{html.escape(s)}</code>: '
        f"{html.escape(common.KNOWN_SCOPES[s])}</li>"
        for s in scopes
    )
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>LinkedIn: sign in and allow access</title>
<style>{_STYLE}</style></head>
<body><main>
<h1>{html.escape(app.name or app.client_id)} would like to access your LinkedIn account</h1>
<form method="post" action="authorization">
{hidden}
<fieldset><legend>Sign in as</legend>{member_options}</fieldset>
<p>This will allow the app to:</p>
<ul id="scopes">{scope_items}</ul>
<div class="actions">
<button type="submit" name="action" value="cancel">Cancel</button>
<button type="submit" name="action" value="allow">Allow</button>
</div>
<p><button class="link" type="submit" name="action" value="cancel_login">
Not you? Cancel sign in</button></p>
</form></main></body></html>"""
    return HTMLResponse(body)


@router.get(AUTHORIZE_PATH)
def authorization_page(request: Request) -> Response:
    ctx = context(request)
    params = dict(request.query_params)
    with ctx.store.session() as session:
        try:
            app, _redirect_uri, scopes = _validate(session, params)
        except _PageError as exc:
            return _error_page(exc.message)
        except _Redirect as exc:
            return RedirectResponse(exc.url, status_code=302)
        members = list(session.scalars(select(LiMember).order_by(LiMember.id)))
        return _consent_page(app, members, scopes, params)


@router.post(AUTHORIZE_PATH)
async def authorization_submit(request: Request) -> Response:
    ctx = context(request)
    form = await request.form()
    params = {k: str(v) for k, v in form.items()}
    with ctx.store.session() as session:
        try:
            app, redirect_uri, scopes = _validate(session, params)
        except _PageError as exc:
            return _error_page(exc.message)
        except _Redirect as exc:
            return RedirectResponse(exc.url, status_code=303)
        state = params.get("state")
        action = params.get("action")
        if action == "cancel_login":
            return RedirectResponse(
                _with_params(
                    redirect_uri,
                    {
                        "error": "user_cancelled_login",
                        "error_description": CANCEL_LOGIN_DESCRIPTION,
                        "state": state,
                    },
                ),
                status_code=303,
            )
        if action != "allow":
            return RedirectResponse(
                _with_params(
                    redirect_uri,
                    {
                        "error": "user_cancelled_authorize",
                        "error_description": CANCEL_AUTHORIZE_DESCRIPTION,
                        "state": state,
                    },
                ),
                status_code=303,
            )
        member = session.get(LiMember, params.get("member", ""))
        if member is None:
            return _error_page("Choose a member to sign in as")
        at = common.now(ctx)
        code = common.random_token("AQT", 150)
        session.add(
            LiAuthCode(
                code=code,
                client_id=app.client_id,
                redirect_uri=redirect_uri,
                member_id=member.id,
                scopes=scopes,
                created_at=at,
                expires_at=at + common.AUTH_CODE_TTL,
            )
        )
        return RedirectResponse(
            _with_params(redirect_uri, {"code": code, "state": state}), status_code=303
        )


# --- token endpoints --------------------------------------------------------------------------


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def _missing(name: str) -> JSONResponse:
    return _oauth_error(400, "invalid_request", f'A required parameter "{name}" is missing')


def _client(session: Session, form: dict[str, str]) -> SbApp | JSONResponse:
    for name in ("client_id", "client_secret"):
        if not form.get(name):
            return _missing(name)
    app = get_app(session, common.PLATFORM_NAME, form["client_id"])
    if app is None or app.client_secret != form["client_secret"]:
        return _oauth_error(401, "invalid_client", "Client authentication failed")
    return app


def _scope_string(scopes: list[Any]) -> str:
    # Token responses and introspection list scopes comma-separated.
    return ",".join(str(s) for s in scopes)


def _issue_access_token(
    session: Session,
    ctx: SandboxContext,
    app: SbApp,
    *,
    member_id: str,
    scopes: list[Any],
    authorized_at: datetime,
    refresh: LiRefreshToken | None,
) -> LiAccessToken:
    at = common.now(ctx)
    token = LiAccessToken(
        token=common.random_token("AQV", 350),
        client_id=app.client_id,
        member_id=member_id,
        scopes=list(scopes),
        refresh_token=refresh.token if refresh else None,
        authorized_at=authorized_at,
        created_at=at,
        expires_at=at + common.ACCESS_TOKEN_TTL,
    )
    session.add(token)
    return token


def _refresh_enabled(ctx: SandboxContext) -> bool:
    # Programmatic refresh tokens are a partner feature; the sandbox grants them by default.
    return bool(ctx.overrides.get(common.PLATFORM_NAME, {}).get("refresh_tokens", True))


@router.post("/oauth/v2/accessToken")
async def access_token(request: Request) -> Response:
    ctx = context(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    grant_type = form.get("grant_type")
    if not grant_type:
        return _missing("grant_type")
    with ctx.store.session() as session:
        if grant_type == "authorization_code":
            return _code_grant(session, ctx, form)
        if grant_type == "refresh_token":
            return _refresh_grant(session, ctx, form)
        return _oauth_error(
            400, "unsupported_grant_type", f"The grant type {grant_type} is not supported"
        )


def _code_grant(session: Session, ctx: SandboxContext, form: dict[str, str]) -> Response:
    for name in ("code", "redirect_uri"):
        if not form.get(name):
            return _missing(name)
    app = _client(session, form)
    if isinstance(app, JSONResponse):
        return app
    at = common.now(ctx)
    code = session.get(LiAuthCode, form["code"])
    if (
        code is None
        or code.used
        or code.client_id != app.client_id
        or code.redirect_uri != form["redirect_uri"]
        or code.expires_at <= at
    ):
        return _oauth_error(400, "invalid_request", CODE_EXCHANGE_FAILED)
    code.used = True
    body: dict[str, Any] = {}
    refresh: LiRefreshToken | None = None
    if _refresh_enabled(ctx):
        refresh = LiRefreshToken(
            token=common.random_token("AQX", 350),
            client_id=app.client_id,
            member_id=code.member_id,
            scopes=list(code.scopes),
            authorized_at=at,
            expires_at=at + common.REFRESH_TOKEN_TTL,
        )
        session.add(refresh)
    token = _issue_access_token(
        session,
        ctx,
        app,
        member_id=code.member_id,
        scopes=code.scopes,
        authorized_at=at,
        refresh=refresh,
    )
    body["access_token"] = token.token
    body["expires_in"] = int(common.ACCESS_TOKEN_TTL.total_seconds())
    if refresh is not None:
        body["refresh_token"] = refresh.token
        body["refresh_token_expires_in"] = int(common.REFRESH_TOKEN_TTL.total_seconds())
    body["scope"] = _scope_string(code.scopes)
    return JSONResponse(body)


def _refresh_grant(session: Session, ctx: SandboxContext, form: dict[str, str]) -> Response:
    if not form.get("refresh_token"):
        return _missing("refresh_token")
    app = _client(session, form)
    if isinstance(app, JSONResponse):
        return app
    at = common.now(ctx)
    refresh = session.get(LiRefreshToken, form["refresh_token"])
    if (
        refresh is None
        or refresh.revoked
        or refresh.client_id != app.client_id
        or refresh.expires_at <= at
    ):
        # [uncertain] description; the error code matches LinkedIn's other grant failures.
        return _oauth_error(400, "invalid_request", "The provided refresh token is invalid")
    token = _issue_access_token(
        session,
        ctx,
        app,
        member_id=refresh.member_id,
        scopes=refresh.scopes,
        authorized_at=refresh.authorized_at,
        refresh=refresh,
    )
    # Not rotated, not extended: the same refresh token with what is left of its 365 days.
    return JSONResponse(
        {
            "access_token": token.token,
            "expires_in": int(common.ACCESS_TOKEN_TTL.total_seconds()),
            "refresh_token": refresh.token,
            "refresh_token_expires_in": int((refresh.expires_at - at).total_seconds()),
            "scope": _scope_string(refresh.scopes),
        }
    )


@router.post("/oauth/v2/introspectToken")
async def introspect_token(request: Request) -> Response:
    ctx = context(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    with ctx.store.session() as session:
        if not form.get("client_id"):
            return _missing("client_id")
        app = get_app(session, common.PLATFORM_NAME, form["client_id"])
        # Documented statuses: 400 invalid client id or token, 401 invalid client secret.
        if app is None:
            return _oauth_error(400, "invalid_request", "Invalid client id")
        if app.client_secret != form.get("client_secret"):
            return _oauth_error(401, "invalid_client", "Client authentication failed")
        value = form.get("token", "")
        if not value:
            return _missing("token")
        at = common.now(ctx)
        access = session.get(LiAccessToken, value)
        refresh = None if access else session.get(LiRefreshToken, value)
        row: LiAccessToken | LiRefreshToken | None = access or refresh
        if row is None or row.client_id != app.client_id:
            return _oauth_error(400, "invalid_request", "Invalid token")
        if row.revoked:
            status = "revoked"
        elif row.expires_at <= at:
            status = "expired"
        else:
            status = "active"
        created = access.created_at if access is not None else row.authorized_at
        return JSONResponse(
            {
                "active": status == "active",
                "client_id": row.client_id,
                "authorized_at": int(row.authorized_at.timestamp()),
                "created_at": int(created.timestamp()),
                "status": status,
                "expires_at": int(row.expires_at.timestamp()),
                "scope": _scope_string(row.scopes),
                "auth_type": "3L",
            }
        )


@router.post("/oauth/v2/revoke")
async def revoke_token(request: Request) -> Response:
    """Used by clients (e.g. Expo's LinkedIn discovery); not in the reference, kept minimal."""
    ctx = context(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    with ctx.store.session() as session:
        app = _client(session, form)
        if isinstance(app, JSONResponse):
            return app
        value = form.get("token", "")
        if not value:
            return _missing("token")
        access = session.get(LiAccessToken, value)
        if access is not None and access.client_id == app.client_id:
            access.revoked = True
        refresh = session.get(LiRefreshToken, value)
        if refresh is not None and refresh.client_id == app.client_id:
            refresh.revoked = True
            for token in session.scalars(
                select(LiAccessToken).where(LiAccessToken.refresh_token == refresh.token)
            ):
                token.revoked = True
        return Response(status_code=200)
