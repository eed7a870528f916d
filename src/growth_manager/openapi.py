"""The OpenAPI document, made to say what the API really answers, in one pass over every route.

FastAPI documents its own validation error (``detail`` as an array) and no other error. This
step, run once when the document is built, replaces that with the one error shape of
:mod:`growth_manager.errors` and declares, per operation, the errors it can really return:

- 401 and 403 where a dependency says so (:func:`growth_manager.errors.declares_errors`: the
  current-user dependency answers 401 without credentials and 403 for a cookie session without
  its CSRF token; rate limits answer 429);
- 404 where the path has parameters (an id that names nothing of yours);
- 413 where there is a request body (the body limit), 422 where there is any input;
- any status a route lists itself in ``responses=`` (409, 415…), with the error schema added.

Integers get the range the database stores (:data:`growth_manager.inputs.LARGEST_INTEGER`),
which :mod:`growth_manager.inputs` enforces for every route.

The bearer scheme is declared for the operations that take a user, so clients and fuzzers
know how to authenticate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from growth_manager.errors import DECLARED_ERRORS_ATTRIBUTE
from growth_manager.inputs import LARGEST_INTEGER, SMALLEST_INTEGER

ERROR_SCHEMA = "Error"
VALIDATION_ERROR_SCHEMA = "ValidationErrorResponse"
BEARER_SCHEME = "bearer"

ERROR_DESCRIPTIONS = {
    400: "The request cannot be carried out as sent; `detail` says why.",
    401: "No valid credentials: send `Authorization: Bearer <token>`.",
    403: "Your role does not allow this, or a dashboard session sent no CSRF token.",
    404: "Nothing of yours has this id.",
    409: "Conflicts with the current state; `detail` says which.",
    413: "The request body is larger than this route accepts.",
    415: "The uploaded file is not an accepted type.",
    422: "The input is invalid; `detail` names each field and the reason.",
    429: "Too many requests; wait for `Retry-After` seconds.",
}

_COMPONENTS: dict[str, Any] = {
    ERROR_SCHEMA: {
        "title": "Error",
        "type": "object",
        "description": "Every error answer has this shape.",
        "properties": {
            "type": {"type": "string", "description": "Machine-readable kind, e.g. `not_found`."},
            "detail": {"type": "string", "description": "What went wrong and what to do."},
        },
        "required": ["type", "detail"],
    },
    VALIDATION_ERROR_SCHEMA: {
        "title": "ValidationErrorResponse",
        "type": "object",
        "description": "A 422: `detail` is one sentence per problem. Payload validation "
        "(`type` `validation_error`) also lists them in `errors`; a rule of the service (`type` "
        "`invalid`, e.g. a text too long for a platform) says it in `detail` alone.",
        "properties": {
            "type": {"type": "string"},
            "detail": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "field": {"type": "string"},
                        "message": {"type": "string"},
                        "code": {"type": "string"},
                    },
                    "required": ["field", "message", "code"],
                },
            },
        },
        "required": ["type", "detail"],
    },
}


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for child in dependant.dependencies:
        yield from _dependants(child)


def declared_statuses(route: APIRoute) -> set[int]:
    """The error statuses this route can answer, from its dependencies and its inputs."""
    statuses: set[int] = set()
    has_input = False
    for dependant in _dependants(route.dependant):
        statuses.update(getattr(dependant.call, DECLARED_ERRORS_ATTRIBUTE, ()))
        if dependant.path_params:
            statuses.add(404)
        if dependant.body_params:
            statuses.add(413)
        if dependant.path_params or dependant.query_params or dependant.body_params:
            has_input = True
        if dependant.header_params or dependant.cookie_params:
            has_input = True
    if has_input:
        statuses.add(422)
    return statuses


def _error_content(status: int) -> dict[str, Any]:
    schema = VALIDATION_ERROR_SCHEMA if status == 422 else ERROR_SCHEMA
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}


def _is_error(status: str) -> bool:
    return status.isdigit() and int(status) >= 400


def _bound_integers(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "integer":
            if "exclusiveMinimum" not in node:
                node["minimum"] = max(node.get("minimum", SMALLEST_INTEGER), SMALLEST_INTEGER)
            if "exclusiveMaximum" not in node:
                node["maximum"] = min(node.get("maximum", LARGEST_INTEGER), LARGEST_INTEGER)
        for value in node.values():
            _bound_integers(value)
    elif isinstance(node, list):
        for item in node:
            _bound_integers(item)


def describe_errors(app: FastAPI, document: dict[str, Any]) -> dict[str, Any]:
    """Applies the module docstring's rules to a generated document, in place."""
    _bound_integers(document)
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.update(_COMPONENTS)
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    components.setdefault("securitySchemes", {})[BEARER_SCHEME] = {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from `POST /api/v1/auth/token`.",
    }

    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        path_item = document["paths"].get(context.path_format or route.path_format, {})
        statuses = declared_statuses(route)
        for method in route.methods or ():
            operation = path_item.get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(statuses):
                responses.setdefault(
                    str(status), {"description": ERROR_DESCRIPTIONS.get(status, "Error")}
                )
            for status, response in responses.items():
                # FastAPI's own 422 schema is replaced; a route's described errors get one.
                if _is_error(status) and (status == "422" or "content" not in response):
                    response["content"] = _error_content(int(status))
            if 401 in statuses:
                operation["security"] = [{BEARER_SCHEME: []}]
    return document


def install_openapi(app: FastAPI) -> None:
    """Builds the document once, on first request, with :func:`describe_errors` applied."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                servers=app.servers,
            )
            app.openapi_schema = describe_errors(app, document)
        return app.openapi_schema

    openapi: Callable[[], dict[str, Any]] = build
    app.openapi = openapi  # type: ignore[method-assign]
