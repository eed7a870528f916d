"""Request input the database or the process cannot take, refused at the boundary for every route.

Two mechanisms, so that a new route inherits both without remembering them:

- :class:`BodySizeLimitMiddleware` bounds the body *while it streams*, per route: a route that
  declares an upload (a ``File``/``UploadFile`` parameter) gets the upload limit, every other
  route the JSON limit, whatever ``Content-Type`` the client claims. A declared
  ``Content-Length`` over the limit is refused before a byte is read.
- :func:`check_request_values`, an application-wide dependency, refuses values that pass
  pydantic's type checks but that the drivers cannot bind: integers beyond the columns' range
  (SQLite's driver raises ``OverflowError`` past 64 bits, PostgreSQL's ``integer`` overflows
  past 32), strings with lone
  surrogates (not encodable as UTF-8) and NUL characters (PostgreSQL text cannot hold them).
  Path ids out of range are 404 (no such thing can exist); query and body values are 422,
  naming the field.
"""

from __future__ import annotations

import email.message
import re
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.params import File
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from growth_manager.errors import NotFound, send_error

# Ids and counts are INTEGER columns: signed 32-bit on PostgreSQL, which casts every bound
# parameter to its column's type (SQLite's would take 64 bits; both answer alike this way).
LARGEST_INTEGER = 2**31 - 1
SMALLEST_INTEGER = -(2**31)
_UNSTORABLE_CHARACTER = re.compile("[\x00\ud800-\udfff]")


# Body size ------------------------------------------------------------------------------------
class BodyTooLarge(StarletteHTTPException):
    """Raised from ``receive`` once a body passes its route's limit.

    An ``HTTPException`` on purpose: FastAPI turns any other exception raised while it reads
    the body into a 400 "error parsing the body", but lets HTTP exceptions through to the one
    error handler, which answers 413 in the usual ``{"type", "detail"}`` shape.
    """

    type = "payload_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(
            status_code=413,
            detail=f"The request body is larger than the {describe_size(limit)} allowed here.",
            # The rest of the body is never read, so the connection cannot carry another request.
            headers={"Connection": "close"},
        )


def describe_size(limit: int) -> str:
    if limit >= 1024 * 1024 and limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MiB"
    return f"{limit // 1024} KiB"


def accepts_upload(route: APIRoute) -> bool:
    """Whether the route (or one of its dependencies) declares a file parameter."""
    return any(isinstance(field.field_info, File) for field in _fields(route, "body_params"))


class BodySizeLimitMiddleware:
    """Refuses bodies over their route's limit before they are read into memory (413).

    The route is only known once the router has matched, which happens before anything reads
    the body; so the limit is chosen on the first ``receive`` from ``scope["route"]``.
    """

    def __init__(self, app: ASGIApp, max_json_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_json_bytes = max_json_bytes
        self.max_upload_bytes = max_upload_bytes

    def limit_for(self, scope: Scope) -> int:
        route = scope.get("route")
        if isinstance(route, APIRoute) and accepts_upload(route):
            return self.max_upload_bytes
        return self.max_json_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > max(self.max_upload_bytes, self.max_json_bytes):
            # No route takes this much: answer before routing, reading nothing.
            await _too_large(send, max(self.max_upload_bytes, self.max_json_bytes))
            return
        limit: int | None = None
        received = 0

        async def limited_receive() -> Message:
            nonlocal limit, received
            if limit is None:
                limit = self.limit_for(scope)
                if declared is not None and declared > limit:
                    raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        response_started = False

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge as exc:
            # Raised where no error handler runs (outside a route); answer here.
            if not response_started:
                await _too_large(send, limit or self.max_json_bytes, exc.detail)


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or []:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def _too_large(send: Send, limit: int, detail: str | None = None) -> None:
    await send_error(
        send,
        413,
        BodyTooLarge.type,
        detail or f"The request body is larger than the {describe_size(limit)} allowed here.",
        [(b"connection", b"close")],
    )


# Values the database cannot bind ---------------------------------------------------------------
def _fields(route: APIRoute, kind: str) -> list[Any]:
    """The route's parameters of one kind, its dependencies' included (cached on the route:
    routes are not hashable, and an id() could be reused by another app's route)."""
    cache: dict[str, list[Any]] = vars(route).setdefault("_growth_manager_fields", {})
    if kind not in cache:
        found: list[Any] = []
        pending = [route.dependant]
        while pending:
            dependant = pending.pop()
            found.extend(getattr(dependant, kind))
            pending.extend(dependant.dependencies)
        cache[kind] = found
    return cache[kind]


def _integer_out_of_range(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not SMALLEST_INTEGER <= value <= LARGEST_INTEGER
    if isinstance(value, list | tuple | set | frozenset):
        return any(_integer_out_of_range(item) for item in value)
    return False


def _error(location: tuple[str | int, ...], code: str, message: str) -> dict[str, Any]:
    return {"type": code, "loc": location, "msg": message, "input": None}


def _range_message() -> str:
    return f"must be between {SMALLEST_INTEGER} and {LARGEST_INTEGER}"


def _character_problem(text: str) -> str | None:
    match = _UNSTORABLE_CHARACTER.search(text)
    if match is None:
        return None
    if match.group() == "\x00":
        return "contains a NUL character (\\u0000); remove it"
    return (
        "contains a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text; send the "
        "character itself or its surrogate pair"
    )


def _string_problems(value: Any, location: tuple[str | int, ...]) -> list[dict[str, Any]]:
    """Strings anywhere in the raw JSON that no database column can hold."""
    problems: list[dict[str, Any]] = []
    if isinstance(value, str):
        problem = _character_problem(value)
        if problem:
            problems.append(_error(location, "string_unstorable", problem))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            problems.extend(_string_problems(item, (*location, index)))
    elif isinstance(value, dict):
        for key, item in value.items():
            problem = _character_problem(key)
            if problem:
                # The key itself can't be echoed back: it may not even encode as UTF-8.
                problems.append(_error(location, "string_unstorable", "a key " + problem))
            else:
                problems.extend(_string_problems(item, (*location, key)))
    return problems


def _integer_problems(value: Any, location: tuple[str | int, ...]) -> list[dict[str, Any]]:
    """Integers out of range in a *validated* body: only fields that are integers count (a
    number sent for a text field is that field's type error, which FastAPI reports)."""
    if isinstance(value, BaseModel):
        value = value.model_dump(by_alias=True)
    problems: list[dict[str, Any]] = []
    if isinstance(value, bool):
        return problems
    if isinstance(value, int):
        if not SMALLEST_INTEGER <= value <= LARGEST_INTEGER:
            problems.append(_error(location, "int_out_of_range", _range_message()))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            problems.extend(_integer_problems(item, (*location, index)))
    elif isinstance(value, dict):
        for key, item in value.items():
            problems.extend(_integer_problems(item, (*location, str(getattr(key, "value", key)))))
    return problems


def _is_form(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return request.method not in ("GET", "HEAD", "OPTIONS") and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    )


def _is_json(request: Request) -> bool:
    # The same rule FastAPI applies when it decides to parse a body as JSON.
    content_type = request.headers.get("content-type")
    if not content_type:
        return True
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


async def check_request_values(request: Request) -> None:
    """Application-wide dependency: see the module docstring."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    for field in _fields(route, "path_params"):
        raw = request.path_params.get(field.alias)
        if not isinstance(raw, str):
            continue
        if "\x00" in raw:
            raise NotFound("Nothing here has a name with a NUL character in it.")
        value, errors = field.validate(raw, loc=("path", field.alias))
        if not errors and _integer_out_of_range(value):
            raise NotFound(f"No {field.alias.removesuffix('_id')} has id {raw}.")

    problems: list[dict[str, Any]] = []
    # Every parameter, declared or not: some routes (the OAuth callback) read them all.
    unstorable = {name for name, value in request.query_params.multi_items() if "\x00" in value}
    problems.extend(
        _error(("query", name), "string_unstorable", "contains a NUL character")
        for name in sorted(unstorable)
    )
    for field in _fields(route, "query_params"):
        if field.alias not in request.query_params or field.alias in unstorable:
            continue
        values = request.query_params.getlist(field.alias)
        # A scalar parameter takes the last value, a list parameter all of them.
        for candidate in (values[-1], values):
            value, errors = field.validate(candidate, loc=("query", field.alias))
            if not errors:
                if _integer_out_of_range(value):
                    problems.append(
                        _error(("query", field.alias), "int_out_of_range", _range_message())
                    )
                break

    if _fields(route, "body_params") and _is_json(request):
        try:
            body = await request.json()
        except ValueError:
            body = None  # not JSON: FastAPI's own validation reports it
        problems.extend(_string_problems(body, ("body",)))
        if not problems and body is not None and route.body_field is not None:
            value, errors = route.body_field.validate(body, loc=("body",))
            if not errors:
                problems.extend(_integer_problems(value, ("body",)))
    if _is_form(request):
        form = await request.form()  # Starlette caches it for the route's own parameters
        for name, value in form.multi_items():
            if isinstance(value, str):
                problems.extend(_string_problems(value, ("body", name)))
    if problems:
        raise RequestValidationError(problems)
