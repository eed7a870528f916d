"""Real-HTTP helpers for the Meta sandbox tests: the login dialog, token exchanges and the
Graph error envelope checked field for field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2

from tests.support.sandbox import SandboxHandle

APP_ID = "1000000000000001"
APP_SECRET = "sandbox-meta-secret"
APP_TOKEN = f"{APP_ID}|{APP_SECRET}"
REDIRECT_URI = "http://127.0.0.1:8000/api/v1/oauth/facebook/callback"
DANA = "10229000000000001"  # administers the florist (with Instagram) and the workshops Pages
MARCO = "10229000000000002"  # administers the bike repair Page only
FLORIST = "108820000000001"
WORKSHOPS = "108820000000002"
BIKES = "108820000000003"
FLORIST_IG = "17841400000000101"
SCOPES = (
    "pages_show_list,pages_manage_posts,pages_read_engagement,pages_read_user_engagement,"
    "pages_manage_engagement,read_insights,business_management,instagram_basic,"
    "instagram_content_publish,instagram_manage_insights,instagram_manage_comments"
)
DIALOG = "/www.facebook.com/v23.0/dialog/oauth"
VERSION = "v23.0"

# Keys Meta's error object may carry (reference C.8); anything else is a sandbox invention.
ERROR_KEYS = {
    "message",
    "type",
    "code",
    "error_subcode",
    "is_transient",
    "error_user_title",
    "error_user_msg",
    "fbtrace_id",
}


def client(sandbox: SandboxHandle) -> httpx2.Client:
    return httpx2.Client(base_url=sandbox.url, follow_redirects=False, timeout=30)


def graph(path: str, version: str = VERSION) -> str:
    return f"/graph.facebook.com/{version}/{path.lstrip('/')}"


def dialog_params(scope: str = SCOPES, state: str = "st-42") -> dict[str, str]:
    return {
        "client_id": APP_ID,
        "redirect_uri": REDIRECT_URI,
        "state": state,
        "response_type": "code",
        "scope": scope,
    }


def redirect_query(response: httpx2.Response) -> dict[str, str]:
    assert response.status_code == 302, (response.status_code, response.text[:300])
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI + "?"), location
    assert location.endswith("#_=_"), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def get_code(
    http: httpx2.Client,
    user: str = DANA,
    pages: tuple[str, ...] = (FLORIST, WORKSHOPS),
    scope: str = SCOPES,
) -> str:
    params = dialog_params(scope)
    assert http.get(DIALOG, params=params).status_code == 200
    step = http.post(DIALOG, data={**params, "user": user, "action": "continue"})
    assert step.status_code == 200, step.text[:300]
    response = http.post(
        DIALOG, data={**params, "user": user, "action": "authorize", "page_ids": list(pages)}
    )
    query = redirect_query(response)
    assert query["state"] == params["state"]
    return query["code"]


def exchange_code(http: httpx2.Client, code: str) -> httpx2.Response:
    return http.get(
        graph("oauth/access_token"),
        params={
            "client_id": APP_ID,
            "client_secret": APP_SECRET,
            "redirect_uri": REDIRECT_URI,
            "code": code,
        },
    )


def long_lived(http: httpx2.Client, short_token: str) -> httpx2.Response:
    return http.get(
        graph("oauth/access_token"),
        params={
            "grant_type": "fb_exchange_token",
            "client_id": APP_ID,
            "client_secret": APP_SECRET,
            "fb_exchange_token": short_token,
        },
    )


@dataclass
class Login:
    short_token: str
    user_token: str
    page_tokens: dict[str, str]


def login(
    http: httpx2.Client,
    user: str = DANA,
    pages: tuple[str, ...] = (FLORIST, WORKSHOPS),
    scope: str = SCOPES,
) -> Login:
    short = exchange_code(http, get_code(http, user, pages, scope)).json()["access_token"]
    token = long_lived(http, short).json()["access_token"]
    accounts = http.get(
        graph("me/accounts"), params={"access_token": token, "fields": "id,access_token"}
    ).json()
    return Login(short, token, {p["id"]: p["access_token"] for p in accounts["data"]})


def assert_graph_error(
    response: httpx2.Response,
    code: int,
    subcode: int | None = None,
    *,
    status: int = 400,
    message: str | None = None,
    error_type: str = "OAuthException",
) -> dict[str, Any]:
    """The error envelope exactly as Meta sends it; returns the ``error`` object."""
    assert response.status_code == status, (response.status_code, response.text[:400])
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["error"], body
    error = body["error"]
    assert set(error) <= ERROR_KEYS, set(error) - ERROR_KEYS
    assert list(error)[:3] == ["message", "type", "code"], list(error)
    assert error["type"] == error_type
    assert error["code"] == code, error
    assert error.get("error_subcode") == subcode, error
    assert isinstance(error["fbtrace_id"], str)
    assert len(error["fbtrace_id"]) >= 11
    assert list(error)[-1] == "fbtrace_id"
    if message is not None:
        assert error["message"] == message, error["message"]
    assert response.headers["www-authenticate"].startswith('OAuth "Facebook Platform" ')
    return dict(error)
