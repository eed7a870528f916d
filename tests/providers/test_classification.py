"""Every real error body quoted in shared/reference/platform-apis.md, classified."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest

from growth_manager.providers.errors import (
    OutcomeUnknown,
    ProviderError,
    RateLimited,
    ReauthRequired,
    Rejected,
    Transient,
)
from growth_manager.providers.http import send
from growth_manager.providers.registry import classify, parse_rate_limits

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def response(
    status: int,
    body: Any,
    headers: dict[str, str] | None = None,
    method: str = "POST",
    url: str = "https://api.x.com/2/tweets",
) -> httpx2.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx2.Response(
        status,
        content=content,
        headers={"content-type": "application/json", **(headers or {})},
        request=httpx2.Request(method, url),
    )


# --- X (platform-apis.md A.2, A.5) -------------------------------------------------------------

X_CASES: list[tuple[int, Any, dict[str, str], type[ProviderError], str | None]] = [
    (
        401,
        {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"},
        {},
        ReauthRequired,
        None,
    ),
    (
        403,
        {
            "detail": "You are not allowed to create a Tweet with duplicate content.",
            "type": "about:blank",
            "title": "Forbidden",
            "status": 403,
        },
        {},
        Rejected,
        "duplicate",
    ),
    (
        429,
        {
            "title": "Too Many Requests",
            "detail": "Too Many Requests",
            "type": "about:blank",
            "status": 429,
        },
        {
            "x-rate-limit-limit": "100",
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(int(NOW.timestamp()) + 600),
        },
        RateLimited,
        None,
    ),
    (
        400,
        {
            "errors": [
                {
                    "parameters": {"max_results": ["0"]},
                    "message": "The `max_results` query parameter value [0] is not between 5 and 100",
                }
            ],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        },
        {},
        Rejected,
        "invalid-request",
    ),
    (
        400,
        {
            "error": "invalid_request",
            "error_description": "Value passed for the authorization code was invalid.",
        },
        {},
        Rejected,
        "invalid_request",
    ),
    (
        401,
        {"error": "unauthorized_client", "error_description": "Missing valid authorization header"},
        {},
        ReauthRequired,
        "unauthorized_client",
    ),
    (
        503,
        {"title": "Service Unavailable", "type": "about:blank", "status": 503},
        {},
        Transient,
        None,
    ),
]


@pytest.mark.parametrize(("status", "body", "headers", "outcome", "code"), X_CASES)
def test_x_errors(
    status: int, body: Any, headers: dict[str, str], outcome: type[ProviderError], code: str | None
) -> None:
    error = classify("x", response(status, body, headers), NOW)
    assert type(error) is outcome
    assert error.status == status
    if code is not None:
        assert error.code == code


def test_x_429_waits_for_the_later_of_the_window_and_the_24_hour_limit() -> None:
    headers = {
        "x-rate-limit-remaining": "40",
        "x-rate-limit-reset": str(int(NOW.timestamp()) + 300),
        "x-user-limit-24hour-limit": "100",
        "x-user-limit-24hour-remaining": "0",
        "x-user-limit-24hour-reset": str(int(NOW.timestamp()) + 7200),
    }
    body = {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank"}
    error = classify("x", response(429, body, headers), NOW)
    assert isinstance(error, RateLimited)
    assert error.retry_after == pytest.approx(7200)


def test_x_duplicate_message_is_shown_in_the_platforms_words() -> None:
    body = {
        "detail": "You are not allowed to create a Tweet with duplicate content.",
        "type": "about:blank",
        "title": "Forbidden",
        "status": 403,
    }
    error = classify("x", response(403, body), NOW)
    assert error.message == "You are not allowed to create a Tweet with duplicate content."


# --- LinkedIn (B.2, B.4, B.6) --------------------------------------------------------------------

LINKEDIN_CASES: list[tuple[int, Any, type[ProviderError], str]] = [
    (
        401,
        {"serviceErrorCode": 65600, "message": "Invalid access token", "status": 401},
        ReauthRequired,
        "65600",
    ),
    (
        401,
        {
            "status": 401,
            "serviceErrorCode": 65601,
            "code": "REVOKED_ACCESS_TOKEN",
            "message": "The token used in the request has been revoked by the user",
        },
        ReauthRequired,
        "REVOKED_ACCESS_TOKEN",
    ),
    (
        403,
        {
            "status": 403,
            "serviceErrorCode": 100,
            "code": "ACCESS_DENIED",
            "message": "Unpermitted fields present in PARAMETER: Data Processing Exception while processing fields [/shares[0]]",
        },
        Rejected,
        "ACCESS_DENIED",
    ),
    (
        426,
        {
            "status": 426,
            "code": "NONEXISTENT_VERSION",
            "message": "Requested version 20240401 is not active",
        },
        Rejected,
        "NONEXISTENT_VERSION",
    ),
    (
        429,
        {
            "serviceErrorCode": 101,
            "message": "Resource level throttle limit for calls to this resource is reached.",
            "status": 429,
        },
        RateLimited,
        "101",
    ),
    (
        400,
        {
            "error": "invalid_grant",
            "error_description": "The provided authorization grant is invalid",
        },
        ReauthRequired,
        "invalid_grant",
    ),
    (500, {"status": 500, "message": "Internal Server Error"}, Transient, "500"),
]


@pytest.mark.parametrize(("status", "body", "outcome", "code"), LINKEDIN_CASES)
def test_linkedin_errors(status: int, body: Any, outcome: type[ProviderError], code: str) -> None:
    error = classify(
        "linkedin", response(status, body, url="https://api.linkedin.com/rest/posts"), NOW
    )
    assert type(error) is outcome
    assert error.code == code


def test_linkedin_429_waits_until_midnight_utc() -> None:
    body = {"serviceErrorCode": 101, "message": "throttled", "status": 429}
    error = classify("linkedin", response(429, body), NOW)
    assert isinstance(error, RateLimited)
    assert error.retry_after == pytest.approx(12 * 3600)


# --- Meta (C.5, C.8) ------------------------------------------------------------------------

META_CASES: list[tuple[int, Any, type[ProviderError], str]] = [
    (
        400,
        {
            "error": {
                "message": "Error validating access token: Session has expired on Monday, 10-Aug-15 01:00:00 PDT. The current time is Monday, 10-Aug-15 01:14:23 PDT.",
                "type": "OAuthException",
                "code": 190,
                "error_subcode": 463,
            }
        },
        ReauthRequired,
        "190/463",
    ),
    (
        400,
        {
            "error": {
                "message": "Message describing the error",
                "type": "OAuthException",
                "code": 190,
                "error_subcode": 460,
                "error_user_title": "A title",
                "error_user_msg": "A message",
                "fbtrace_id": "EJplcsCHuLu",
            }
        },
        ReauthRequired,
        "190/460",
    ),
    (
        403,
        {
            "error": {
                "message": "(#32) Page request limit reached",
                "type": "OAuthException",
                "code": 32,
                "fbtrace_id": "Fz54k3GZrio",
            }
        },
        RateLimited,
        "32",
    ),
    (
        400,
        {
            "error": {
                "message": "(#80001) There have been too many calls to this Page account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
                "type": "OAuthException",
                "code": 80001,
                "fbtrace_id": "AmFGcW_3hwDB7qFbl_QdebZ",
            }
        },
        RateLimited,
        "80001",
    ),
    (
        400,
        {
            "error": {
                "message": "(#4) Application request limit reached",
                "type": "OAuthException",
                "code": 4,
            }
        },
        RateLimited,
        "4",
    ),
    (
        400,
        {
            "error": {
                "message": "(#17) User request limit reached",
                "type": "OAuthException",
                "code": 17,
            }
        },
        RateLimited,
        "17",
    ),
    (
        400,
        {
            "error": {
                "message": "(#80002) too many calls to this Instagram account",
                "type": "OAuthException",
                "code": 80002,
            }
        },
        RateLimited,
        "80002",
    ),
    (
        400,
        {
            "error": {
                "message": "Invalid query",
                "type": "OAuthException",
                "code": 3001,
                "error_subcode": 1504028,
                "is_transient": False,
                "error_user_title": "No Metric Specified",
                "error_user_msg": "No metric was specified to be fetched. Please specify one or more metrics to be fetched and try again.",
                "fbtrace_id": "GpdspOgqUHT",
            }
        },
        Rejected,
        "3001/1504028",
    ),
    (
        400,
        {
            "error": {
                "message": "(#100) The Media Insights API does not support the impressions, replies metric for this media product type.",
                "type": "OAuthException",
                "code": 100,
                "fbtrace_id": "AyMK6Hdc8c0kgeG5PwtpWn4",
            }
        },
        Rejected,
        "100",
    ),
    (
        400,
        {"error": {"message": "(#200) Permissions error", "type": "OAuthException", "code": 200}},
        Rejected,
        "200",
    ),
    (
        400,
        {"error": {"message": "Duplicate status message", "type": "OAuthException", "code": 506}},
        Rejected,
        "506",
    ),
    (
        500,
        {
            "error": {
                "message": "An unknown error occurred",
                "type": "OAuthException",
                "code": 1,
                "is_transient": True,
            }
        },
        Transient,
        "1",
    ),
    (
        400,
        {
            "error": {
                "message": "Media download has failed.",
                "type": "OAuthException",
                "code": 9004,
                "error_subcode": 2207052,
            }
        },
        Transient,
        "9004/2207052",
    ),
    (
        400,
        {
            "error": {
                "message": "The account is temporarily blocked",
                "type": "OAuthException",
                "code": 368,
            }
        },
        RateLimited,
        "368",
    ),
]


@pytest.mark.parametrize(("status", "body", "outcome", "code"), META_CASES)
def test_meta_errors(status: int, body: Any, outcome: type[ProviderError], code: str) -> None:
    error = classify(
        "facebook", response(status, body, url="https://graph.facebook.com/v23.0/me"), NOW
    )
    assert type(error) is outcome
    assert error.code == code


def test_meta_expired_token_names_the_reason() -> None:
    body = {
        "error": {
            "message": "Error validating access token",
            "type": "OAuthException",
            "code": 190,
            "error_subcode": 463,
        }
    }
    error = classify("instagram", response(400, body), NOW)
    assert "expired" in error.message


def test_meta_throttle_uses_estimated_time_to_regain_access() -> None:
    usage = {
        "17841400455970028": [
            {
                "type": "instagram",
                "call_count": 100,
                "total_cputime": 29,
                "total_time": 10,
                "estimated_time_to_regain_access": 7,
            }
        ]
    }
    body = {"error": {"message": "(#80002) limit", "type": "OAuthException", "code": 80002}}
    error = classify(
        "instagram", response(400, body, {"X-Business-Use-Case-Usage": json.dumps(usage)}), NOW
    )
    assert isinstance(error, RateLimited)
    assert error.retry_after == pytest.approx(7 * 60)


# --- rate-limit headers ------------------------------------------------------------------------


def test_x_headers_parse_into_window_and_24_hour_budgets() -> None:
    resp = response(
        201,
        {"data": {"id": "1", "text": "hi"}},
        {
            "x-rate-limit-limit": "200",
            "x-rate-limit-remaining": "199",
            "x-rate-limit-reset": "1635976418",
            "x-user-limit-24hour-limit": "100",
            "x-user-limit-24hour-remaining": "0",
            "x-user-limit-24hour-reset": "1636000000",
        },
    )
    states = {s.scope: s for s in parse_rate_limits("x", resp)}
    assert states["endpoint"].limit == 200
    assert states["endpoint"].remaining == 199
    assert states["endpoint"].reset_at == datetime.fromtimestamp(1635976418, UTC)
    assert states["endpoint"].endpoint == "POST /2/tweets"
    assert states["user-24h"].exhausted
    assert not states["endpoint"].exhausted


def test_meta_usage_headers_parse_into_percentages() -> None:
    resp = response(
        200,
        {"id": "1"},
        {
            "X-App-Usage": json.dumps({"call_count": 28, "total_time": 25, "total_cputime": 25}),
            "X-Business-Use-Case-Usage": json.dumps(
                {
                    "17841400455970028": [
                        {
                            "type": "instagram",
                            "call_count": 12,
                            "total_cputime": 29,
                            "total_time": 10,
                            "estimated_time_to_regain_access": 0,
                        }
                    ]
                }
            ),
        },
        method="GET",
    )
    states = parse_rate_limits("instagram", resp)
    app = next(s for s in states if s.scope == "app-usage")
    buc = next(s for s in states if s.scope == "business-use-case")
    assert app.used_percent == 28
    assert buc.used_percent == 29
    assert buc.extra["object_id"] == "17841400455970028"


def test_linkedin_reports_no_budget() -> None:
    resp = response(201, b"", {"x-restli-id": "urn:li:share:1"})
    assert parse_rate_limits("linkedin", resp) == []


# --- transport outcomes --------------------------------------------------------------------------


def _client(exc: Exception) -> httpx2.Client:
    def handler(request: httpx2.Request) -> httpx2.Response:
        raise exc

    return httpx2.Client(transport=httpx2.MockTransport(handler))


def test_timeout_after_sending_a_write_is_outcome_unknown() -> None:
    client = _client(httpx2.ReadTimeout("timed out"))
    with pytest.raises(OutcomeUnknown):
        send(
            client,
            "x",
            client.build_request("POST", "https://api.x.com/2/tweets", json={"text": "a"}),
            classify,
        )


def test_timeout_on_a_read_is_transient() -> None:
    client = _client(httpx2.ReadTimeout("timed out"))
    with pytest.raises(Transient):
        send(client, "x", client.build_request("GET", "https://api.x.com/2/users/me"), classify)


def test_refused_connection_is_transient_even_for_writes() -> None:
    client = _client(httpx2.ConnectError("refused"))
    with pytest.raises(Transient):
        send(client, "x", client.build_request("POST", "https://api.x.com/2/tweets"), classify)


def test_success_is_returned() -> None:
    client = httpx2.Client(
        transport=httpx2.MockTransport(lambda r: httpx2.Response(201, json={"data": {"id": "9"}}))
    )
    resp = send(client, "x", client.build_request("POST", "https://api.x.com/2/tweets"), classify)
    assert resp.json() == {"data": {"id": "9"}}


# --- the recorded X responses ------------------------------------------------------------------

from tests.support.recordings import load_interactions  # noqa: E402

RECORDED = load_interactions()


@pytest.mark.parametrize("interaction", RECORDED, ids=lambda i: f"{i.cassette}:{i.method}")
def test_recorded_x_responses_parse_their_rate_limit_headers(interaction: Any) -> None:
    resp = httpx2.Response(
        interaction.status,
        headers=interaction.headers,
        content=b"",
        request=httpx2.Request(interaction.method, interaction.uri),
    )
    states = {s.scope: s for s in parse_rate_limits("x", resp)}
    if "x-rate-limit-limit" in interaction.headers:
        assert states["endpoint"].limit == int(interaction.headers["x-rate-limit-limit"])
        assert states["endpoint"].remaining == int(interaction.headers["x-rate-limit-remaining"])
        assert states["endpoint"].reset_at == datetime.fromtimestamp(
            int(interaction.headers["x-rate-limit-reset"]), UTC
        )
    else:
        assert "endpoint" not in states
    assert 200 <= interaction.status < 300  # the recordings hold successes only
