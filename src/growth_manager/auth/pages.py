"""Dashboard pages for signing up, logging in and out.

Login and sign-up forms are CSRF-protected too, although nobody is logged in yet: otherwise
another site could log a visitor into an account the attacker controls (login CSRF). The check
is the app-wide one (``page_csrf_protect``, with the pre-login double-submit token); see
``auth/dependencies.py`` for why.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

import structlog
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from growth_manager.auth.dependencies import DbSession, optional_user
from growth_manager.auth.ratelimit import (
    LOGIN_SCOPE,
    SIGNUP_SCOPE,
    client_address,
    rate_limiter_of,
)
from growth_manager.auth.service import users
from growth_manager.auth.signin import sign_in, sign_out
from growth_manager.errors import AppError
from growth_manager.models.user import User
from growth_manager.web.templating import flash, redirect, render

log = structlog.get_logger(__name__)

router = APIRouter(include_in_schema=False)

HOME = "/businesses"

OptionalUser = Annotated[User | None, Depends(optional_user)]


def safe_next(target: str | None, default: str = HOME) -> str:
    """``target`` if it is a path on this site, else ``default`` (no open redirects).

    Browsers read ``//host`` and ``/\\host`` as other hosts and drop tabs and newlines
    inside URLs, so all of those are refused, as is anything with a scheme or a host.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def _form_page(
    request: Request,
    template: str,
    *,
    email: str = "",
    name: str = "",
    next_url: str = HOME,
    error: AppError | str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context: dict[str, Any] = {"email": email, "name": name, "next": next_url, "error": None}
    headers: dict[str, str] = {}
    if isinstance(error, AppError):
        context["error"] = error.detail
        status_code = error.status_code
        headers = error.headers
    elif error is not None:
        context["error"] = error
    response = render(request, template, context, status_code=status_code)
    for key, value in headers.items():
        if key.lower() == "retry-after":
            response.headers[key] = value
    return response


@router.get("/")
def home(user: OptionalUser) -> RedirectResponse:
    return redirect(HOME if user is not None else "/login")


@router.get("/login")
def login_page(request: Request, user: OptionalUser, next: str = "") -> Response:
    next_url = safe_next(next)
    if user is not None:
        return redirect(next_url)
    return _form_page(request, "auth/login.html", next_url=next_url)


@router.post("/login")
def login(
    request: Request,
    session: DbSession,
    *,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    next_url = safe_next(next)
    email = email.strip()
    try:
        limiter = rate_limiter_of(request)
        limiter.hit(LOGIN_SCOPE, limiter.login_limit, client_address(request))
        user = users.authenticate(session, email, password)
    except AppError as exc:
        return _form_page(request, "auth/login.html", email=email, next_url=next_url, error=exc)
    response = redirect(next_url)
    sign_in(request, session, user, response)
    return response


@router.get("/signup")
def signup_page(request: Request, user: OptionalUser, next: str = "") -> Response:
    next_url = safe_next(next)
    if user is not None:
        return redirect(next_url)
    return _form_page(request, "auth/signup.html", next_url=next_url)


@router.post("/signup")
def signup(
    request: Request,
    session: DbSession,
    *,
    email: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    next_url = safe_next(next)
    email, name = email.strip(), name.strip()
    try:
        limiter = rate_limiter_of(request)
        limiter.hit(SIGNUP_SCOPE, limiter.login_limit, client_address(request))
        user = users.signup(session, email=email, password=password, name=name)
    except AppError as exc:
        return _form_page(
            request, "auth/signup.html", email=email, name=name, next_url=next_url, error=exc
        )
    response = redirect(next_url)
    sign_in(request, session, user, response)
    flash(request, "Welcome to Growth Manager! Create your first business to get started.")
    return response


@router.post("/logout")
def logout(request: Request, session: DbSession) -> RedirectResponse:
    response = redirect("/login")
    if sign_out(request, session, response):
        flash(request, "You have been logged out.", "info")
    return response
