"""Application errors and their single mapping to HTTP ``{"type", "detail"}`` responses.

Services raise :class:`AppError` subclasses (defined next to the service when specific);
endpoints never raise ``HTTPException`` themselves. Dashboard pages catch the same errors and
render them, so the API and the pages say the same thing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

import structlog
from fastapi import Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import iter_route_contexts
from starlette.types import Send

log = structlog.get_logger(__name__)


class AppError(Exception):
    status_code: ClassVar[int] = 400
    type: ClassVar[str] = "bad_request"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}


class NotFound(AppError):
    status_code = 404
    type = "not_found"


class PermissionDenied(AppError):
    status_code = 403
    type = "forbidden"


class LoginRequired(Exception):
    """Raised by page dependencies; the app answers with a redirect to the login page."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class NotAuthenticated(AppError):
    status_code = 401
    type = "not_authenticated"

    def __init__(self, detail: str = "Log in or send a valid bearer token.") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Conflict(AppError):
    status_code = 409
    type = "conflict"


class InvalidInput(AppError):
    """A rule the payload's shape cannot express (e.g. a text too long for a platform)."""

    status_code = 422
    type = "invalid"


class PayloadTooLarge(AppError):
    status_code = 413
    type = "payload_too_large"


class UnsupportedMedia(AppError):
    status_code = 415
    type = "unsupported_media_type"


class RateLimited(AppError):
    status_code = 429
    type = "rate_limited"


class PageAnswer(Exception):
    """Raised by a dashboard page's dependency that answers the request itself (a refusal
    already rendered in the layout): the response is sent as it is."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


HTTP_ERROR_TYPES = {
    401: "not_authenticated",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path.

    Starlette's 405 names only the methods of the first route whose path matched, while
    ``GET /businesses`` and ``POST /businesses`` are two routes.
    """
    methods: set[str] = set()
    path: str = request.scope["path"]
    root_path: str = request.scope.get("root_path", "")
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :]
    for route in iter_route_contexts(request.app.router.routes):
        pattern = getattr(route, "path_regex", None)
        if pattern is not None and pattern.match(path):
            methods.update(route.methods or ())
    return sorted(methods)


DECLARED_ERRORS_ATTRIBUTE = "__declared_errors__"
_Dependency = TypeVar("_Dependency", bound=Callable[..., Any])


def declares_errors(*statuses: int) -> Callable[[_Dependency], _Dependency]:
    """Marks a dependency with the error statuses it answers, so that every operation using it
    documents them in the OpenAPI document (see :mod:`growth_manager.openapi`)."""

    def mark(dependency: _Dependency) -> _Dependency:
        setattr(dependency, DECLARED_ERRORS_ATTRIBUTE, frozenset(statuses))
        return dependency

    return mark


def error_body(type_: str, detail: Any) -> dict[str, Any]:
    return {"type": type_, "detail": detail}


async def send_error(
    send: Send,
    status: int,
    type_: str,
    detail: str,
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    """The error shape sent straight from an ASGI middleware, before any route runs."""
    body = json.dumps(error_body(type_, detail)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# --- Plain words for pydantic's validation errors ------------------------------------------------
# Every 422 detail, API or dashboard form, is written by plain_validation_message: pydantic's own
# texts ("Input should be a valid integer", "Value error, …", "invalid international domain
# name") speak to programmers. Custom errors (PydanticCustomError) are already written for
# people and pass through unchanged.


def _choices(expected: str) -> str:
    return expected.replace("'", "")


def _url_problem(ctx: dict[str, Any]) -> str:
    return "must be a web address like https://example.com"


_PLAIN: dict[str, Any] = {
    "missing": "is required",
    "string_type": "must be text",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number, like 3",
    "int_from_float": "must be a whole number, without decimals",
    "float_type": "must be a number",
    "float_parsing": "must be a number, like 2.5",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be an object with named fields",
    "model_type": "must be an object with named fields",
    "model_attributes_type": "must be an object with named fields",
    "date_type": "must be a date like 2026-03-01",
    "date_parsing": "must be a real date written like 2026-03-01",
    "date_from_datetime_parsing": "must be a real date written like 2026-03-01",
    "date_from_datetime_inexact": "must be a date without a time, like 2026-03-01",
    "datetime_type": "must be a date and time like 2026-03-01T09:00:00Z",
    "datetime_parsing": "must be a date and time like 2026-03-01T09:00:00Z",
    "datetime_from_date_parsing": "must be a date and time like 2026-03-01T09:00:00Z",
    "timezone_aware": "needs a time zone, like 2026-03-01T09:00:00Z or +01:00 at the end",
    "url_type": _url_problem,
    "url_parsing": _url_problem,
    "url_scheme": lambda ctx: "must start with http:// or https://",
    "greater_than_equal": lambda ctx: f"must be {ctx.get('ge')} or more",
    "greater_than": lambda ctx: f"must be more than {ctx.get('gt')}",
    "less_than_equal": lambda ctx: f"must be {ctx.get('le')} or less",
    "less_than": lambda ctx: f"must be less than {ctx.get('lt')}",
    "string_too_long": lambda ctx: (
        f"is too long: at most {ctx.get('max_length')} characters, please shorten it"
    ),
    "string_too_short": lambda ctx: (
        "cannot be empty"
        if ctx.get("min_length") == 1
        else f"is too short: at least {ctx.get('min_length')} characters"
    ),
    "too_long": lambda ctx: f"has too many entries: at most {ctx.get('max_length')}",
    "too_short": lambda ctx: f"needs at least {ctx.get('min_length')} entries",
    "enum": lambda ctx: f"must be one of {_choices(str(ctx.get('expected', '')))}",
    "literal_error": lambda ctx: f"must be one of {_choices(str(ctx.get('expected', '')))}",
    "extra_forbidden": "is not a known field; remove it",
}


def plain_validation_message(error: Mapping[str, Any]) -> str:
    """What is wrong with one field, in words a person acts on (without the field's name)."""
    kind = str(error.get("type", ""))
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    plain = _PLAIN.get(kind)
    if callable(plain):
        return str(plain(ctx))
    if plain is not None:
        return str(plain)
    if kind in ("value_error", "assertion_error"):
        # A ValueError raised in a validator: its own text, without pydantic's prefix.
        reason = str(ctx.get("error") or error.get("msg", ""))
        reason = reason.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if "email" in reason.lower():
            return "must be an email address like name@example.com"
        return reason
    return str(error.get("msg", "is not valid"))


def describe_validation_errors(errors: list[Any], labels: Mapping[str, str] | None = None) -> str:
    """One readable sentence per problem: which field, and why. ``labels`` maps a field's
    dotted path to the name a form shows for it; the API names fields as they are sent."""
    parts = []
    for error in errors:
        loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path")]
        field = ".".join(loc) or "body"
        if labels:
            field = labels.get(
                field, labels.get(".".join(p for p in loc if not p.isdigit()), field)
            )
        if error.get("type") == "json_invalid":
            field = "body"
            message = "is not valid JSON: " + str(error.get("ctx", {}).get("error"))
        elif field == "body" and error.get("type") in ("dict_type", "model_attributes_type"):
            message = "must be a JSON object with named fields"
        else:
            message = plain_validation_message(error)
        parts.append(f"{field}: {message}")
    return "; ".join(parts)


def validation_response(errors: list[Any]) -> JSONResponse:
    return JSONResponse(
        {
            "type": "validation_error",
            "detail": describe_validation_errors(errors),
            "errors": [
                {
                    "field": ".".join(str(p) for p in e.get("loc", ())),
                    "message": plain_validation_message(e),
                    "code": e.get("type"),
                }
                for e in errors
            ],
        },
        status_code=422,
    )


# -------------------------------------------------------------------------------------------------
