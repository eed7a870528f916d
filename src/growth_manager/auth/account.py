"""The account page: your dashboard sessions, your API tokens and your password.

Everything here the API does too (``/api/v1/auth/sessions``, ``/tokens``, ``/password``); both
call the same service methods.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from growth_manager.auth.dependencies import (
    DbSession,
    PageUser,
    current_session_id,
    session_store_of,
)
from growth_manager.auth.ratelimit import LOGIN_SCOPE, client_address, rate_limiter_of
from growth_manager.auth.service import users
from growth_manager.errors import AppError, InvalidInput, NotFound
from growth_manager.models.user import User
from growth_manager.web.templating import flash, page_context, redirect, render

router = APIRouter(include_in_schema=False)

ACCOUNT = "/account"
PASSWORD_FIELDS = {"current_password", "new_password", "confirm_password"}


def _page(
    request: Request,
    session: DbSession,
    user: User,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    current = current_session_id(request)
    sessions = users.sessions_of(session, session_store_of(request), user)
    context: dict[str, Any] = page_context(
        session,
        user,
        sessions=sessions,
        current_session=current,
        other_sessions=sum(1 for s in sessions if s.id != current),
        tokens=users.active_tokens(session, user),
        errors=errors or {},
    )
    return render(request, "auth/account.html", context, status_code=status_code)


@router.get("/account")
def account_page(request: Request, session: DbSession, user: PageUser) -> Response:
    return _page(request, session, user)


@router.post("/account/sessions/{session_id}/end")
def end_session(session_id: str, request: Request, session: DbSession, user: PageUser) -> Response:
    ending_this_one = session_id == current_session_id(request)
    try:
        users.end_session(session, session_store_of(request), user, session_id)
    except NotFound:
        flash(request, "That session had already ended.", "info")
        return redirect(ACCOUNT)
    if ending_this_one:
        flash(request, "You have been logged out.", "info")
        return redirect("/login")
    flash(request, "The session was ended: that browser is signed out.")
    return redirect(ACCOUNT)


@router.post("/account/sessions/end-others")
def end_other_sessions(request: Request, session: DbSession, user: PageUser) -> Response:
    ended = users.end_other_sessions(
        session, session_store_of(request), user, keep=current_session_id(request)
    )
    flash(request, f"Signed out everywhere else ({ended} session{'s' if ended != 1 else ''}).")
    return redirect(ACCOUNT)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(token_id: int, request: Request, session: DbSession, user: PageUser) -> Response:
    try:
        token = users.revoke_token(session, user, token_id)
    except NotFound:
        flash(request, "That API token was not found among yours.", "error")
        return redirect(ACCOUNT)
    flash(request, f"API token “{token.name}” revoked: it stops working now.")
    return redirect(ACCOUNT)


@router.post("/account/password")
def change_password(
    request: Request,
    session: DbSession,
    user: PageUser,
    *,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    confirm_password: Annotated[str, Form()] = "",
) -> Response:
    try:
        limiter = rate_limiter_of(request)
        limiter.hit(LOGIN_SCOPE, limiter.login_limit, client_address(request))
        if new_password != confirm_password:
            raise InvalidInput("confirm_password: the two new passwords differ.")
        ended = users.change_password(
            session,
            session_store_of(request),
            user,
            current_password=current_password,
            new_password=new_password,
            keep_session=current_session_id(request),
        )
    except AppError as exc:
        field, _, message = exc.detail.partition(": ")
        errors = {field: message} if field in PASSWORD_FIELDS else {"form": exc.detail}
        return _page(request, session, user, errors=errors, status_code=exc.status_code)
    others = f" and {ended} other session{'s' if ended != 1 else ''} signed out" if ended else ""
    flash(request, f"Password changed{others}.")
    return redirect(ACCOUNT)
