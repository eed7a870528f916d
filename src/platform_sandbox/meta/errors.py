"""Meta's Graph error envelope, field for field (reference C.8).

``{"error": {"message", "type", "code", "error_subcode", "is_transient", "error_user_title",
"error_user_msg", "fbtrace_id"}}``: optional keys are left out when Meta leaves them out. Graph
answers errors with HTTP 400 (throttling sometimes 403) and a ``WWW-Authenticate`` header that
repeats the message, as seen in real response headers.
"""

from __future__ import annotations

import json
import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.responses import Response

_TRACE_ALPHABET = string.ascii_letters + string.digits + "_-"

RATE_LIMIT_DOC = "https://developers.facebook.com/docs/graph-api/overview/rate-limiting"
GRAPH_DOC = "https://developers.facebook.com/docs/graph-api"


def fbtrace_id() -> str:
    # Real trace ids are 11 (older) to 23 characters of base64url.
    return "A" + "".join(secrets.choice(_TRACE_ALPHABET) for _ in range(22))


@dataclass
class GraphError(Exception):
    """Raised anywhere below a Graph route; rendered by :meth:`response`."""

    message: str
    code: int
    subcode: int | None = None
    status: int = 400
    type: str = "OAuthException"
    is_transient: bool | None = None
    user_title: str | None = None
    user_msg: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.is_transient is not None:
            error["is_transient"] = self.is_transient
        if self.user_title is not None:
            error["error_user_title"] = self.user_title
        if self.user_msg is not None:
            error["error_user_msg"] = self.user_msg
        error["fbtrace_id"] = fbtrace_id()
        return {"error": error}

    def response_headers(self, trace_id: str) -> dict[str, str]:
        kind = "invalid_token" if self.code in (102, 190) else "invalid_request"
        quoted = self.message.replace("\\", "\\\\").replace('"', '\\"')
        return {
            "WWW-Authenticate": f'OAuth "Facebook Platform" "{kind}" "{quoted}"',
            "x-fb-trace-id": trace_id,
            **self.headers,
        }

    def response(self, extra_headers: dict[str, str] | None = None) -> Response:
        body = self.body()
        headers = {**self.response_headers(body["error"]["fbtrace_id"]), **(extra_headers or {})}
        return Response(
            json.dumps(body, separators=(",", ":")),
            status_code=self.status,
            headers=headers,
            media_type="application/json; charset=UTF-8",
        )


# --- tokens (code 190 and friends) -------------------------------------------------------------


def _pacific(when: datetime) -> str:
    try:
        zone = ZoneInfo("America/Los_Angeles")
    except ZoneInfoNotFoundError:  # a machine without tzdata: still a readable message
        return when.strftime("%A, %d-%b-%y %H:%M:%S UTC")
    local = when.astimezone(zone)
    return local.strftime("%A, %d-%b-%y %H:%M:%S ") + (local.tzname() or "PDT")


def token_expired(expired_at: datetime, now: datetime) -> GraphError:
    return GraphError(
        f"Error validating access token: Session has expired on {_pacific(expired_at)}. "
        f"The current time is {_pacific(now)}.",
        190,
        463,
    )


def token_unparseable() -> GraphError:
    return GraphError("Invalid OAuth access token - Cannot parse access token", 190)


def token_password_changed() -> GraphError:
    return GraphError(
        "Error validating access token: The session has been invalidated because the user "
        "changed their password or Facebook has changed the session for security reasons.",
        190,
        460,
    )


def token_logged_out() -> GraphError:
    return GraphError(
        "Error validating access token: The session is invalid because the user logged out.",
        190,
        467,
    )


def app_not_authorized(app_id: str) -> GraphError:
    return GraphError(
        f"Error validating access token: The user has not authorized application {app_id}.",
        190,
        458,
    )


def token_required() -> GraphError:
    return GraphError("An access token is required to request this resource.", 104)


def active_token_required() -> GraphError:
    return GraphError(
        "An active access token must be used to query information about the current user.", 2500
    )


# --- objects, parameters, permissions ----------------------------------------------------------


def unsupported(method: str, object_id: str) -> GraphError:
    return GraphError(
        f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist, "
        "cannot be loaded due to missing permissions, or does not support this operation. "
        f"Please read the Graph API documentation at {GRAPH_DOC}",
        100,
        33,
        type="GraphMethodException",
    )


def unknown_path(path: str) -> GraphError:
    return GraphError(f"Unknown path components: {path}", 2500)


def nonexisting_field(field_name: str, node_type: str) -> GraphError:
    return GraphError(
        f"(#100) Tried accessing nonexisting field ({field_name}) on node type ({node_type})", 100
    )


def invalid_parameter(message: str, subcode: int | None = None) -> GraphError:
    return GraphError(f"(#100) {message}", 100, subcode)


def aliases_missing(names: list[str]) -> GraphError:
    return GraphError(
        f"(#803) Some of the aliases you requested do not exist: {','.join(names)}", 803
    )


def discovery_user_not_found(username: str) -> GraphError:
    """Business Discovery of a username that is no business or creator account. Instagram
    answers a personal account exactly as a username that does not exist: code 110, subcode
    2207013 (observed: a Business Discovery client's notes, "Meta does not tell a personal
    account from a missing @: both return 110/2207013", and client tests replaying Meta's
    body ``{"message": "Invalid user id", "code": 110, "error_subcode": 2207013}``; the user
    title and message as Graph's error-codes reference words IG user-facing errors)."""
    return GraphError(
        "Invalid user id",
        110,
        2207013,
        is_transient=False,
        user_title="Cannot find User",
        user_msg=f"The user with username: {username} cannot be found.",
    )


def permission_missing(
    message: str = "Application does not have permission for this action",
) -> GraphError:
    return GraphError(f"(#10) {message}", 10)


def permissions_error(message: str = "Permissions error") -> GraphError:
    return GraphError(f"(#200) {message}", 200)


PAGE_PUBLISH_PERMISSIONS = (
    "If posting to a group, requires app being installed in the group, and either "
    "publish_to_groups permission with user token, or both pages_read_engagement and "
    "pages_manage_posts permission with page token; If posting to a page, requires both "
    "pages_read_engagement and pages_manage_posts as an admin with sufficient administrative "
    "permission"
)


# --- throttling (C.7 / C.8) --------------------------------------------------------------------


def app_limit() -> GraphError:
    return GraphError("(#4) Application request limit reached", 4, is_transient=True)


def user_limit() -> GraphError:
    return GraphError("(#17) User request limit reached", 17, is_transient=True)


def page_limit() -> GraphError:
    return GraphError("(#32) Page request limit reached", 32, is_transient=True)


def page_buc_limit() -> GraphError:
    return GraphError(
        "(#80001) There have been too many calls to this Page account. Wait a bit and try "
        f"again. For more info, please refer to {RATE_LIMIT_DOC}.",
        80001,
        is_transient=True,
    )


def instagram_buc_limit() -> GraphError:
    return GraphError(
        "(#80002) There have been too many calls to this Instagram account. Wait a bit and try "
        f"again. For more info, please refer to {RATE_LIMIT_DOC}.",
        80002,
        is_transient=True,
    )


# --- fault injection -----------------------------------------------------------------------------

_BY_STATUS: dict[int, GraphError] = {
    400: GraphError("(#100) Invalid parameter", 100),
    401: GraphError("Invalid OAuth access token - Cannot parse access token", 190),
    403: GraphError("(#200) Permissions error", 200),
    404: GraphError("(#803) Some of the aliases you requested do not exist", 803),
    429: GraphError("(#4) Application request limit reached", 4, is_transient=True),
    500: GraphError("An unknown error has occurred.", 1, is_transient=True),
    503: GraphError(
        "An unexpected error has occurred. Please retry your request later.",
        2,
        is_transient=True,
    ),
}


def error_response(status: int, message: str | None = None) -> Response:
    """Meta's real error body for an HTTP status, for fault injection."""
    template = _BY_STATUS.get(status) or (
        _BY_STATUS[503] if status >= 500 else GraphError("An unknown error has occurred.", 1)
    )
    error = GraphError(
        message or template.message,
        template.code,
        template.subcode,
        status=status,
        is_transient=template.is_transient,
    )
    return error.response()
