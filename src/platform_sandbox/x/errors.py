"""X's error bodies, field for field as the real API sends them (reference A.5).

Top-level errors are RFC 7807 problems served as ``application/problem+json``; partial errors
inside a 200 (missing ids) are problems in an ``errors`` array.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from starlette.responses import JSONResponse, Response

PROBLEMS = "https://api.twitter.com/2/problems"
INVALID_REQUEST_DETAIL = "One or more parameters to your request was invalid."
DUPLICATE_DETAIL = "You are not allowed to create a Tweet with duplicate content."


class XProblem(Exception):
    """Raised anywhere below an X route; the route class renders it."""

    def __init__(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(body.get("detail") or body.get("title"))
        self.status = status
        self.body = body
        self.headers = headers or {}

    def response(self) -> Response:
        return JSONResponse(
            self.body,
            status_code=self.status,
            headers=self.headers,
            media_type="application/problem+json",
        )


def generic(status: int, detail: str | None = None) -> dict[str, Any]:
    """The ``about:blank`` problem X uses for 401, 403, 429 and 5xx."""
    phrase = HTTPStatus(status).phrase
    return {"title": phrase, "detail": detail or phrase, "type": "about:blank", "status": status}


def unauthorized() -> XProblem:
    return XProblem(401, generic(401))


def forbidden(detail: str | None = None) -> XProblem:
    return XProblem(403, generic(403, detail))


def too_many_requests(headers: dict[str, str] | None = None) -> XProblem:
    return XProblem(429, generic(429), headers)


def invalid_request(message: str, parameters: dict[str, list[str]] | None = None) -> XProblem:
    error: dict[str, Any] = {"message": message}
    if parameters is not None:
        error["parameters"] = parameters
    return XProblem(
        400,
        {
            "errors": [error],
            "title": "Invalid Request",
            "detail": INVALID_REQUEST_DETAIL,
            "type": f"{PROBLEMS}/invalid-request",
        },
    )


def not_found_problem(resource_type: str, parameter: str, value: str) -> dict[str, Any]:
    kind = {"tweet": "tweet", "user": "user", "media": "media"}.get(resource_type, resource_type)
    return {
        "value": value,
        "detail": f"Could not find {kind} with {parameter}: [{value}].",
        "title": "Not Found Error",
        "resource_type": resource_type,
        "parameter": parameter,
        "resource_id": value,
        "type": f"{PROBLEMS}/resource-not-found",
    }


def suspended_problem(parameter: str, value: str) -> dict[str, Any]:
    """A suspended user looked up by id or username: a partial error in a 200, titled
    "Forbidden" but typed resource-not-found (observed: the answers quoted in tweepy's and
    twitter-api-v2's issue threads, e.g. "User has been suspended: [name].")."""
    return {
        "value": value,
        "detail": f"User has been suspended: [{value}].",
        "title": "Forbidden",
        "resource_type": "user",
        "parameter": parameter,
        "resource_id": value,
        "type": f"{PROBLEMS}/resource-not-found",
    }


def not_authorized_user_problem(user_id: str) -> dict[str, Any]:
    """The timeline of a protected account read by someone who does not follow it: a 200
    whose only content is this problem (observed: redouane59/twittered issue #157, spec
    ``ResourceUnauthorizedProblem``)."""
    return {
        "value": user_id,
        "detail": f"Sorry, you are not authorized to see the user with id: [{user_id}].",
        "title": "Authorization Error",
        "resource_type": "user",
        "parameter": "id",
        "resource_id": user_id,
        "section": "data",
        "type": f"{PROBLEMS}/not-authorized-for-resource",
    }


def field_unauthorized_problem(field: str, resource_id: str) -> dict[str, Any]:
    return {
        "resource_type": "tweet",
        "field": field,
        "title": "Field Authorization Error",
        "section": "data",
        "detail": f"Sorry, you are not authorized to access '{field}' on a Tweet.",
        "type": f"{PROBLEMS}/not-authorized-for-field",
        "resource_id": resource_id,
        "value": resource_id,
    }


def oauth_error(status: int, error: str, description: str) -> Response:
    """Token-endpoint errors use the OAuth shape, not a problem (reference A.2)."""
    body: dict[str, Any] = {"error": error, "error_description": description}
    if status == 400:
        body["errors"] = [{"message": description}]
    return JSONResponse(body, status_code=status)


def error_response(status: int, message: str | None = None) -> Response:
    """``Platform.error_response``: the real body X sends for ``status``."""
    if status == 400:
        return invalid_request(message or INVALID_REQUEST_DETAIL).response()
    try:
        HTTPStatus(status)
    except ValueError:
        return XProblem(
            status,
            {
                "title": "Error",
                "detail": message or "Error",
                "type": "about:blank",
                "status": status,
            },
        ).response()
    return XProblem(status, generic(status, message)).response()
