"""How errors reach people and programs: every :class:`~growth_manager.errors.AppError` and
framework error becomes the one JSON shape for the API, or the same words as a dashboard page
for a person's browser. Installed once by ``create_app``; it sits above the templates, so
``errors`` itself stays a leaf every module can import."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from growth_manager.errors import (
    HTTP_ERROR_TYPES,
    AppError,
    LoginRequired,
    PageAnswer,
    allowed_methods,
    error_body,
    validation_response,
)
from growth_manager.web.templating import render

log = structlog.get_logger("growth_manager.errors")


def wants_page(request: Request) -> bool:
    """A person's browser navigating the dashboard (not the API, not an htmx swap)."""
    return (
        not request.url.path.startswith(("/api/", "/static/"))
        and "text/html" in request.headers.get("accept", "")
        and request.headers.get("hx-request") is None
    )


def error_page(request: Request, status: int, type_: str, detail: Any) -> Response:
    """The same error the API would give, as a dashboard page a person can act on."""
    return render(
        request,
        "error.html",
        {"status": status, "error_type": type_, "detail": detail},
        status_code=status,
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        if wants_page(request):
            return error_page(request, exc.status_code, exc.type, exc.detail)
        return JSONResponse(
            error_body(exc.type, exc.detail), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(PageAnswer)
    async def _page_answer(request: Request, exc: PageAnswer) -> Response:
        return exc.response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_response(list(exc.errors()))

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(f"/login?next={quote(exc.next_url)}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400:
            # The framework's only 400s are bodies it could not parse: a JSON body that is not
            # UTF-8 (FastAPI's bare "error parsing the body"), broken multipart (Starlette).
            # Malformed JSON is already a 422 naming the body; these get the same.
            reason = (
                "it is not UTF-8 text"
                if isinstance(exc.__cause__, UnicodeDecodeError)
                else str(exc.detail)
            )
            return validation_response(
                [{"type": "body_invalid", "loc": ("body",), "msg": f"cannot be read: {reason}"}]
            )
        type_ = getattr(exc, "type", None) or HTTP_ERROR_TYPES.get(exc.status_code, "http_error")
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        if wants_page(request):
            return error_page(request, exc.status_code, type_, exc.detail)
        return JSONResponse(
            error_body(type_, exc.detail), status_code=exc.status_code, headers=headers
        )

    @app.exception_handler(OverflowError)
    @app.exception_handler(UnicodeEncodeError)
    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: Exception) -> Response:
        # The safety net under inputs.check_request_values, for values that reach the database
        # another way (a page converting a form field itself): SQLite's driver overflows past
        # 64 bits, PostgreSQL refuses integers past its column type and NUL characters. The
        # request's transaction has already been rolled back by the session dependency.
        log.warning(
            "http.request.unstorable_value", path=request.url.path, error=type(exc).__name__
        )
        detail = (
            "A value in the request cannot be stored: numbers must be between "
            f"{-(2**31)} and {2**31 - 1}, and text may not contain NUL characters or lone "
            "surrogates."
        )
        if wants_page(request):
            return error_page(request, 422, "invalid", detail)
        return JSONResponse(error_body("invalid", detail), status_code=422)

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
        log.exception("http.request.unhandled_error", path=request.url.path)
        return JSONResponse(
            error_body("internal_error", "Something went wrong on our side; it has been logged."),
            status_code=500,
        )
