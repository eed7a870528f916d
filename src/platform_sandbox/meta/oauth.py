"""Facebook Login (reference C.2): the dialog on www.facebook.com and the token endpoints on
graph.facebook.com (``/oauth/access_token``, ``/debug_token``, ``/me/permissions``).

The dialog is two plain HTML steps, usable by a person and by Playwright without JavaScript:
pick the simulated person to log in as, then see the requested permissions and tick the Pages
to grant. Problems Meta shows as a page (unknown app, redirect URI not registered verbatim,
invalid scopes) never redirect; Cancel redirects back with Meta's ``access_denied`` parameters.
Like Meta, every redirect carries the ``#_=_`` fragment.
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from platform_sandbox.apps import SbApp, get_app
from platform_sandbox.meta import common, errors
from platform_sandbox.meta.common import Caller
from platform_sandbox.meta.errors import GraphError
from platform_sandbox.meta.models import (
    MetaAuthCode,
    MetaGrant,
    MetaIgAccount,
    MetaPage,
    MetaPageRole,
    MetaToken,
    MetaUser,
)
from platform_sandbox.platform import SandboxContext, context

www_router = APIRouter()

PERMISSIONS: dict[str, str] = {
    "public_profile": "Your name and profile picture",
    "email": "Your email address",
    "pages_show_list": "Show a list of the Pages you manage",
    "pages_manage_posts": "Create and manage content on your Page",
    "pages_read_engagement": "Read content posted on the Page",
    "pages_read_user_engagement": "Read user content on your Page",
    "pages_manage_engagement": "Manage comments on your Page",
    "pages_manage_metadata": "Manage accounts, settings and webhooks for a Page",
    "read_insights": "Read Page insights",
    "business_management": "Manage your business",
    "instagram_basic": "Access profile and posts from the Instagram account connected to your Page",
    "instagram_content_publish": "Create and manage content on your Instagram account",
    "instagram_manage_insights": "Access insights for the Instagram account connected to your Page",
    "instagram_manage_comments": "Manage comments for the Instagram account connected to your Page",
    "publish_video": "Publish videos to your Page",
    "pages_messaging": "Manage and access Page conversations in Messenger",
}

CANCEL_PARAMS = {
    "error": "access_denied",
    "error_code": "200",
    "error_description": "Permissions error",
    "error_reason": "user_denied",
}

_STYLE = """
body{font-family:Helvetica,Arial,sans-serif;background:#f0f2f5;margin:0;color:#1c1e21}
header{background:#1877f2;color:#fff;padding:.8rem 1.5rem;font-weight:bold;font-size:1.3rem}
main{max-width:32rem;margin:2rem auto;background:#fff;border-radius:8px;padding:1.5rem 2rem;
box-shadow:0 2px 4px rgba(0,0,0,.1),0 8px 16px rgba(0,0,0,.1)}
h1{font-size:1.25rem}ul{padding-left:1.2rem}label{display:block;margin:.45rem 0}
.page small{color:#65676b}.actions{display:flex;gap:.8rem;margin-top:1.5rem}
button{flex:1;border-radius:6px;padding:.6rem;font-size:1rem;font-weight:bold;cursor:pointer;
border:none}button[value=cancel]{background:#e4e6eb;color:#050505}
button[value=continue],button[value=authorize]{background:#1877f2;color:#fff}
.note{color:#65676b;font-size:.8rem;margin-top:1.2rem}
"""


class _PageProblem(Exception):
    def __init__(self, title: str, message: str, reason: str) -> None:
        super().__init__(message)
        self.title = title
        self.message = message
        self.reason = reason


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{_STYLE}</style></head>
<body><header>facebook</header><main>{body}
<p class="note">Platform sandbox: simulated people and Pages, no real Facebook data.</p>
</main></body></html>""",
        status_code=status,
    )


def _problem_page(problem: _PageProblem) -> HTMLResponse:
    return _page(
        problem.title,
        f'<h1 data-error="{html.escape(problem.reason)}">{html.escape(problem.title)}</h1>'
        f'<p id="error-message">{html.escape(problem.message, quote=False)}</p>',
        status=400,
    )


def _with_params(redirect_uri: str, params: dict[str, str | None]) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    joiner = "&" if "?" in redirect_uri else "?"
    return f"{redirect_uri}{joiner}{query}#_=_"


def _scopes(raw: str) -> list[str]:
    # Meta's dialog accepts comma- or space-separated scopes.
    return list(dict.fromkeys(s for s in raw.replace(",", " ").split() if s))


def _validate(session: Session, params: dict[str, str]) -> tuple[SbApp, str, list[str]]:
    client_id = params.get("client_id", "")
    app = get_app(session, common.PLATFORM_NAME, client_id) if client_id else None
    if app is None:
        raise _PageProblem(
            "Invalid App ID",
            "Invalid App ID: The provided app ID does not look like a valid app ID.",
            "invalid_app_id",
        )
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri or not app.allows_redirect(redirect_uri):
        raise _PageProblem(
            "URL blocked",
            "URL blocked: This redirect failed because the redirect URI is not whitelisted in "
            "the app's Client OAuth Settings. Make sure that the client and web OAuth logins "
            "are on and add all your app domains as valid OAuth redirect URIs.",
            "redirect_uri_mismatch",
        )
    response_type = params.get("response_type", "code")
    if response_type not in ("code", ""):
        raise _PageProblem(
            "Invalid response_type",
            f"The response_type {response_type} is not supported by the sandbox; use code.",
            "invalid_response_type",
        )
    scopes = _scopes(params.get("scope", ""))
    invalid = [s for s in scopes if s not in PERMISSIONS]
    if invalid:
        raise _PageProblem(
            "Invalid Scopes",
            f"Invalid Scopes: {', '.join(invalid)}. This message is only shown to developers. "
            "Users of your app will ignore these permissions if present. Please read the "
            "documentation for valid permissions at: "
            "https://developers.facebook.com/docs/facebook-login/permissions",
            "invalid_scope",
        )
    return app, redirect_uri, ["public_profile", *[s for s in scopes if s != "public_profile"]]


def _hidden(params: dict[str, str]) -> str:
    return "".join(
        f'<input type="hidden" name="{k}" value="{html.escape(params[k])}">'
        for k in ("client_id", "redirect_uri", "state", "scope", "response_type")
        if k in params
    )


def _choose_person(app: SbApp, users: list[MetaUser], params: dict[str, str]) -> HTMLResponse:
    options = "".join(
        f'<label class="person"><input type="radio" name="user" value="{html.escape(u.id)}"'
        f"{' checked' if i == 0 else ''}> {html.escape(u.name)} "
        f"<small>({html.escape(u.email)})</small></label>"
        for i, u in enumerate(users)
    )
    return _page(
        "Log in with Facebook",
        f"""<h1>Log in to {html.escape(app.name or app.client_id)} with Facebook</h1>
<form method="post" action="">{_hidden(params)}
<fieldset><legend>Continue as</legend>{options}</fieldset>
<div class="actions">
<button type="submit" name="action" value="cancel">Cancel</button>
<button type="submit" name="action" value="continue">Continue</button>
</div></form>""",
    )


def _choose_pages(
    session: Session, app: SbApp, user: MetaUser, scopes: list[str], params: dict[str, str]
) -> HTMLResponse:
    roles = session.scalars(select(MetaPageRole).where(MetaPageRole.user_id == user.id))
    pages = [p for p in (session.get(MetaPage, r.page_id) for r in roles) if p is not None]
    items = []
    for page in sorted(pages, key=lambda p: p.name):
        ig = session.get(MetaIgAccount, page.instagram_id) if page.instagram_id else None
        linked = f" <small>Instagram: @{html.escape(ig.username)}</small>" if ig else ""
        items.append(
            f'<label class="page"><input type="checkbox" name="page_ids" '
            f'value="{html.escape(page.id)}" checked> {html.escape(page.name)}{linked}</label>'
        )
    pages_block = (
        f"<fieldset><legend>Choose the Pages you want {html.escape(app.name)} to access"
        f"</legend>{''.join(items)}</fieldset>"
        if items
        else "<p>You don't manage any Pages.</p>"
    )
    scope_items = "".join(
        f'<li data-scope="{html.escape(s)}"><code>{html.escape(s)}</code>: '
        f"{html.escape(PERMISSIONS[s])}</li>"
        for s in scopes
    )
    return _page(
        "Log in with Facebook",
        f"""<h1>{html.escape(user.name)}, {html.escape(app.name or app.client_id)} is requesting
access to:</h1>
<form method="post" action="">{_hidden(params)}
<input type="hidden" name="user" value="{html.escape(user.id)}">
<ul id="permissions">{scope_items}</ul>
{pages_block}
<div class="actions">
<button type="submit" name="action" value="cancel">Cancel</button>
<button type="submit" name="action" value="authorize">Continue</button>
</div></form>""",
    )


def _version_ok(version: str | None) -> bool:
    return version is None or version in common.VERSIONS


@www_router.get("/dialog/oauth", include_in_schema=False)
@www_router.get("/{version}/dialog/oauth", include_in_schema=False)
def dialog(request: Request, version: str | None = None) -> Response:
    ctx = context(request)
    if not _version_ok(version):
        return _problem_page(
            _PageProblem(
                "Page not found",
                "Sorry, this content isn't available right now.",
                "unknown_version",
            )
        )
    params = dict(request.query_params)
    with ctx.store.session() as session:
        try:
            app, _redirect, _scopes = _validate(session, params)
        except _PageProblem as problem:
            return _problem_page(problem)
        users = list(session.scalars(select(MetaUser).order_by(MetaUser.id)))
        return _choose_person(app, users, params)


@www_router.post("/dialog/oauth", include_in_schema=False)
@www_router.post("/{version}/dialog/oauth", include_in_schema=False)
async def dialog_submit(request: Request, version: str | None = None) -> Response:
    ctx = context(request)
    form = await request.form()
    params = {k: str(v) for k, v in form.items() if k != "page_ids"}
    page_ids = [str(v) for v in form.getlist("page_ids")]
    if not _version_ok(version):
        return _problem_page(
            _PageProblem(
                "Page not found",
                "Sorry, this content isn't available right now.",
                "unknown_version",
            )
        )
    return await run_in_threadpool(_submit, ctx, params, page_ids)


def _submit(ctx: SandboxContext, params: dict[str, str], page_ids: list[str]) -> Response:
    with ctx.store.session() as session:
        try:
            app, redirect_uri, scopes = _validate(session, params)
        except _PageProblem as problem:
            return _problem_page(problem)
        state = params.get("state")
        action = params.get("action")
        if action not in ("continue", "authorize"):
            return RedirectResponse(
                _with_params(redirect_uri, {**CANCEL_PARAMS, "state": state}), status_code=302
            )
        user = session.get(MetaUser, params.get("user", ""))
        if user is None:
            users = list(session.scalars(select(MetaUser).order_by(MetaUser.id)))
            return _choose_person(app, users, params)
        if action == "continue":
            return _choose_pages(session, app, user, scopes, params)
        administered = {
            r.page_id
            for r in session.scalars(select(MetaPageRole).where(MetaPageRole.user_id == user.id))
        }
        chosen = [p for p in dict.fromkeys(page_ids) if p in administered]
        now = ctx.clock.now()
        grant = session.get(MetaGrant, (user.id, app.client_id))
        if grant is None:
            grant = MetaGrant(
                user_id=user.id,
                app_id=app.client_id,
                scopes=scopes,
                page_ids=chosen,
                granted_at=now,
            )
            session.add(grant)
        else:
            grant.scopes = scopes
            grant.page_ids = chosen
            grant.granted_at = now
            grant.revoked = False
        code = common.random_token("AQ", 320)
        session.add(
            MetaAuthCode(
                code=code,
                app_id=app.client_id,
                redirect_uri=redirect_uri,
                user_id=user.id,
                scopes=scopes,
                page_ids=chosen,
                created_at=now,
                expires_at=now + common.AUTH_CODE_TTL,
            )
        )
        return RedirectResponse(
            _with_params(redirect_uri, {"code": code, "state": state}), status_code=302
        )


# --- /oauth/access_token -------------------------------------------------------------------------


def _app(session: Session, params: dict[str, Any]) -> SbApp:
    client_id = str(params.get("client_id") or "")
    if not client_id:
        raise GraphError("Missing client_id parameter.", 101)
    app = get_app(session, common.PLATFORM_NAME, client_id)
    if app is None:
        raise GraphError("Error validating application. Invalid application ID.", 101)
    secret = str(params.get("client_secret") or "")
    if not secret:
        raise GraphError("Missing client_secret parameter.", 1)
    if secret != app.client_secret:
        raise GraphError("Error validating client secret.", 1)
    return app


def _issue_user_token(
    session: Session, ctx: SandboxContext, app_id: str, user_id: str, long_lived: bool
) -> dict[str, Any]:
    now = ctx.clock.now()
    ttl = common.LONG_LIVED_TTL if long_lived else common.SHORT_LIVED_TTL
    token = MetaToken(
        token=common.random_token("EAAG"),
        kind="user",
        app_id=app_id,
        user_id=user_id,
        page_id=None,
        long_lived=long_lived,
        parent=None,
        issued_at=now,
        expires_at=now + ttl,
    )
    session.add(token)
    return {
        "access_token": token.token,
        "token_type": "bearer",
        "expires_in": int(ttl.total_seconds()),
    }


def access_token(session: Session, ctx: SandboxContext, params: dict[str, Any]) -> dict[str, Any]:
    grant_type = str(params.get("grant_type") or "")
    app = _app(session, params)
    if grant_type == "client_credentials":
        return {"access_token": f"{app.client_id}|{app.client_secret}", "token_type": "bearer"}
    if grant_type == "fb_exchange_token":
        return _exchange(session, ctx, app, str(params.get("fb_exchange_token") or ""))
    # Meta documents the code exchange without a grant_type, but the real endpoint also takes
    # the standard OAuth 2.0 form (RFC 6749 4.1.3) that client libraries such as Authlib and
    # requests-oauthlib send: grant_type=authorization_code, POSTed as a form body.
    if grant_type not in ("", "authorization_code"):
        raise errors.invalid_parameter(f"Unsupported grant_type {grant_type}")
    redirect_uri = str(params.get("redirect_uri") or "")
    code_value = str(params.get("code") or "")
    if not redirect_uri:
        raise GraphError("Missing redirect_uri parameter.", 191)
    if not code_value:
        raise GraphError("Missing authorization code", 1)
    code = session.get(MetaAuthCode, code_value)
    now = ctx.clock.now()
    if code is None or code.app_id != app.client_id:
        raise GraphError("Invalid verification code format.", 100, 36008)
    if code.used:
        raise GraphError("This authorization code has been used.", 100, 36009)
    if code.expires_at <= now:
        raise GraphError("This authorization code has expired.", 100, 36007)
    if code.redirect_uri != redirect_uri:
        raise GraphError(
            "Error validating verification code. Please make sure your redirect_uri is "
            "identical to the one you used in the OAuth dialog request",
            100,
            36008,
        )
    code.used = True
    return _issue_user_token(session, ctx, app.client_id, code.user_id, long_lived=False)


def _exchange(session: Session, ctx: SandboxContext, app: SbApp, value: str) -> dict[str, Any]:
    if not value:
        raise GraphError("Missing fb_exchange_token parameter.", 1)
    token = session.get(MetaToken, value)
    if token is None:
        raise errors.token_unparseable()
    grant = session.get(MetaGrant, (token.user_id, token.app_id))
    problem = common.token_problem(ctx, token, grant)
    if problem is not None:
        raise problem
    if token.app_id != app.client_id:
        raise GraphError("Error validating application. Invalid application ID.", 101)
    if token.kind == "page":
        # A page token exchanged again stays what it is.
        return {"access_token": token.token, "token_type": "bearer"}
    return _issue_user_token(session, ctx, app.client_id, token.user_id, long_lived=True)


# --- /debug_token --------------------------------------------------------------------------------


def debug_token(
    session: Session, ctx: SandboxContext, params: dict[str, Any], token: str | None
) -> dict[str, Any]:
    if not token:
        raise GraphError(
            "(#100) You must provide an app access token, or a user access token that is an "
            "owner or developer of the app",
            100,
        )
    inspector = common.authenticate(session, ctx, token)
    raw = str(params.get("input_token") or "")
    if not raw:
        raise errors.invalid_parameter("The parameter input_token is required")
    app_token = common.parse_app_token(raw)
    if app_token is not None:
        app = get_app(session, common.PLATFORM_NAME, app_token[0])
        if app is None or app.client_secret != app_token[1]:
            return _invalid("Invalid OAuth access token signature.")
        return {
            "data": {
                "app_id": app.client_id,
                "type": "APP",
                "application": app.name,
                "is_valid": True,
            }
        }
    row = session.get(MetaToken, raw)
    if row is None:
        return _invalid("Invalid OAuth access token.")
    if row.app_id != inspector.app.client_id:
        raise errors.invalid_parameter(
            "The App_id in the input_token did not match the Viewing App"
        )
    grant = session.get(MetaGrant, (row.user_id, row.app_id))
    scopes = [str(s) for s in grant.scopes] if grant else []
    page_ids = [str(p) for p in grant.page_ids] if grant else []
    if row.kind == "page" and row.page_id:
        page_ids = [row.page_id]
    ig_ids = [
        page.instagram_id
        for page in (session.get(MetaPage, p) for p in page_ids)
        if page is not None and page.instagram_id
    ]
    granular = []
    for scope in scopes:
        if scope.startswith("pages_") or scope in ("read_insights",):
            granular.append({"scope": scope, "target_ids": page_ids})
        elif scope.startswith("instagram_"):
            granular.append({"scope": scope, "target_ids": ig_ids})
        elif scope != "public_profile":
            granular.append({"scope": scope})
    app_row = get_app(session, common.PLATFORM_NAME, row.app_id)
    data: dict[str, Any] = {
        "app_id": row.app_id,
        "type": "PAGE" if row.kind == "page" else "USER",
        "application": app_row.name if app_row else "",
        "data_access_expires_at": int((row.issued_at + common.DATA_ACCESS_TTL).timestamp()),
        "expires_at": int(row.expires_at.timestamp()) if row.expires_at else 0,
        "is_valid": True,
        "issued_at": int(row.issued_at.timestamp()),
    }
    if row.kind == "page" and row.page_id:
        data["profile_id"] = row.page_id
    data["scopes"] = scopes
    data["granular_scopes"] = granular
    data["user_id"] = row.user_id
    problem = common.token_problem(ctx, row, grant)
    if problem is not None:
        data["is_valid"] = False
        error: dict[str, Any] = {"code": problem.code, "message": problem.message}
        if problem.subcode is not None:
            error["subcode"] = problem.subcode
        data = {
            "app_id": data["app_id"],
            "type": data["type"],
            "application": data["application"],
            "error": error,
            **{
                k: data[k]
                for k in (
                    "expires_at",
                    "is_valid",
                    "issued_at",
                    "scopes",
                    "granular_scopes",
                    "user_id",
                )
            },
        }
    return {"data": data}


def _invalid(message: str) -> dict[str, Any]:
    return {"data": {"error": {"code": 190, "message": message}, "is_valid": False, "scopes": []}}


def permissions_of(caller: Caller) -> dict[str, Any]:
    scopes = sorted(caller.scopes, key=lambda s: (s != "public_profile", s))
    return {"data": [{"permission": s, "status": "granted"} for s in scopes]}
