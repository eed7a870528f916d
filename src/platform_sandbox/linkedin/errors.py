"""LinkedIn's error bodies, as the real API sends them (platform-apis.md B.6).

API errors share one JSON shape, ``{"status", "serviceErrorCode", "code", "message"}``, where
``code`` is absent from some real bodies (the plain 401 and the 429). OAuth endpoints on
www.linkedin.com use the OAuth shape ``{"error", "error_description"}`` instead.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse, Response

# Real bodies, quoted in platform-apis.md B.6 unless marked otherwise.
INVALID_TOKEN = {"serviceErrorCode": 65600, "message": "Invalid access token", "status": 401}
REVOKED_TOKEN = {
    "status": 401,
    "serviceErrorCode": 65601,
    "code": "REVOKED_ACCESS_TOKEN",
    "message": "The token used in the request has been revoked by the user",
}
# Not quoted in the reference: same family as 65601, LinkedIn's documented expiry code.
EXPIRED_TOKEN = {
    "status": 401,
    "serviceErrorCode": 65602,
    "code": "EXPIRED_ACCESS_TOKEN",
    "message": "The token used in the request has expired",
}
# LinkedIn's "Error Handling" page sample for a request without any token.
EMPTY_TOKEN = {"message": "Empty oauth2_access_token", "serviceErrorCode": 401, "status": 401}


class LinkedInError(Exception):
    """Raised by handlers; turned into LinkedIn's error body by the router's handler."""

    def __init__(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(body.get("message"))
        self.body = body
        self.status = int(body["status"])
        self.headers = headers or {}

    def response(self) -> Response:
        return JSONResponse(self.body, status_code=self.status, headers=self.headers)


def error_body(
    status: int, message: str, code: str | None = None, service_error_code: int | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"status": status}
    if service_error_code is not None:
        body["serviceErrorCode"] = service_error_code
    if code is not None:
        body["code"] = code
    body["message"] = message
    return body


def access_denied(message: str) -> LinkedInError:
    return LinkedInError(error_body(403, message, "ACCESS_DENIED", 100))


def not_enough_permissions(resource: str, method: str, version: str | None) -> LinkedInError:
    suffix = f".{version}" if version else ""
    return access_denied(f"Not enough permissions to access: {resource}.{method}{suffix}")


def unpermitted_field(location: str, field: str) -> LinkedInError:
    """The 403 LinkedIn gives for an entity the token may not act on (Microsoft Q&A 1331917)."""
    return access_denied(
        f"Unpermitted fields present in {location}: "
        f"Data Processing Exception while processing fields [{field}]"
    )


def bad_request(message: str, code: str | None = None) -> LinkedInError:
    return LinkedInError(error_body(400, message, code or "ILLEGAL_ARGUMENT", 100))


def not_found(message: str) -> LinkedInError:
    return LinkedInError(error_body(404, message, "NOT_FOUND"))


def throttled(kind: str) -> LinkedInError:
    # No rate-limit headers: the real API documents none.
    return LinkedInError(
        {
            "serviceErrorCode": 101,
            "message": f"Resource level throttle {kind} DAY limit for calls to this resource "
            "is reached.",
            "status": 429,
        }
    )


def nonexistent_version(requested: str) -> LinkedInError:
    return LinkedInError(
        {
            "status": 426,
            "code": "NONEXISTENT_VERSION",
            "message": f"Requested version {requested} is not active",
        }
    )


_DEFAULT_MESSAGES: dict[int, tuple[str | None, int | None, str]] = {
    400: ("ILLEGAL_ARGUMENT", 100, "Bad request"),
    401: (None, 65600, "Invalid access token"),
    403: ("ACCESS_DENIED", 100, "Not enough permissions to access this resource"),
    404: ("NOT_FOUND", None, "Not Found"),
    409: ("CONFLICT", None, "Conflict"),
    422: ("UNPROCESSABLE_ENTITY", None, "Unprocessable entity"),
    426: ("NONEXISTENT_VERSION", None, "Requested version is not active"),
    429: (None, 101, "Resource level throttle limit for calls to this resource is reached."),
    500: ("INTERNAL_SERVER_ERROR", None, "Internal Server Error"),
    502: ("BAD_GATEWAY", None, "Bad Gateway"),
    503: ("SERVICE_UNAVAILABLE", None, "Service Unavailable"),
    504: ("GATEWAY_TIMEOUT", None, "Gateway Timeout"),
}


def error_response(status: int, message: str | None = None) -> Response:
    """LinkedIn's error body for ``status`` (used by the control plane's fault injection)."""
    code, service_code, default = _DEFAULT_MESSAGES.get(status, (None, None, "Unexpected error"))
    if status == 401 and message is None:
        body: dict[str, Any] = dict(INVALID_TOKEN)
    elif status == 429 and message is None:
        body = {"serviceErrorCode": 101, "message": default, "status": 429}
    else:
        body = error_body(status, message or default, code, service_code)
    return JSONResponse(body, status_code=status)
