"""Real-HTTP helpers for the LinkedIn sandbox tests: the OAuth dance and versioned headers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx2

from platform_sandbox.linkedin import common
from tests.support.sandbox import SandboxHandle

CLIENT_ID = "sandbox-linkedin-client"
CLIENT_SECRET = "sandbox-linkedin-secret"
REDIRECT_URI = "http://127.0.0.1:8000/api/v1/oauth/linkedin/callback"
MAYA = "mLq7Xw2Tz4"  # administers both organizations
TOM = "tOk3Pn8Rb1"  # administers none
BAKERY = "urn:li:organization:90312417"
COFFEE = "urn:li:organization:90312418"
ALL_SCOPES = (
    "openid profile email w_member_social r_member_social r_member_postAnalytics "
    "w_organization_social r_organization_social rw_organization_admin"
)

AUTHORIZE = "/www.linkedin.com/oauth/v2/authorization"
ACCESS_TOKEN = "/www.linkedin.com/oauth/v2/accessToken"


@dataclass
class Tokens:
    access_token: str
    refresh_token: str
    body: dict[str, Any]


def client(sandbox: SandboxHandle) -> httpx2.Client:
    return httpx2.Client(base_url=sandbox.url, follow_redirects=False, timeout=30)


def authorize_params(scope: str = ALL_SCOPES, state: str = "st-123") -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "state": state,
        "scope": scope,
    }


def redirect_query(response: httpx2.Response) -> dict[str, str]:
    assert response.status_code in (302, 303), (response.status_code, response.text[:300])
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI + "?"), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def get_code(
    http: httpx2.Client, member: str = MAYA, scope: str = ALL_SCOPES, state: str = "st-123"
) -> str:
    params = authorize_params(scope, state)
    page = http.get(AUTHORIZE, params=params)
    assert page.status_code == 200, page.text[:300]
    response = http.post(AUTHORIZE, data={**params, "member": member, "action": "allow"})
    query = redirect_query(response)
    assert query["state"] == state
    return query["code"]


def exchange(http: httpx2.Client, code: str) -> httpx2.Response:
    return http.post(
        ACCESS_TOKEN,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uri": REDIRECT_URI,
        },
    )


def login(http: httpx2.Client, member: str = MAYA, scope: str = ALL_SCOPES) -> Tokens:
    response = exchange(http, get_code(http, member, scope))
    assert response.status_code == 200, response.text
    body = response.json()
    return Tokens(body["access_token"], body["refresh_token"], body)


def current_version(sandbox: SandboxHandle) -> str:
    return common.active_versions(sandbox.ctx.clock.now())[0]


def rest_headers(sandbox: SandboxHandle, token: str, **extra: str) -> dict[str, str]:
    headers = {
        "Authorization": f"Bearer {token}",
        "LinkedIn-Version": current_version(sandbox),
        "X-Restli-Protocol-Version": "2.0.0",
    }
    headers.update(extra)
    return headers


def enc(urn: str) -> str:
    return quote(urn, safe="")


def restli_list(urns: list[str]) -> str:
    return "List(" + ",".join(enc(u) for u in urns) + ")"


def post_body(
    author: str, text: str = "Fresh sourdough today #bread", **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "author": author,
        "commentary": text,
        "visibility": "PUBLIC",
        "distribution": {
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": [],
        },
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
    }
    body.update(extra)
    return body
