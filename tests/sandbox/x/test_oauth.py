"""X OAuth 2.0: consent page, PKCE, code and token lifetimes, refresh rotation, revocation."""

from __future__ import annotations

import base64

import pytest

from tests.sandbox.x.conftest import (
    BAKERY_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    CYCLES_ID,
    PUBLIC_CLIENT_ID,
    REDIRECT_URI,
    XClient,
    data_error,
    location_code,
)

INVALID_CODE = {
    "error": "invalid_request",
    "error_description": "Value passed for the authorization code was invalid.",
    "errors": [{"message": "Value passed for the authorization code was invalid."}],
}
INVALID_TOKEN = {
    "error": "invalid_request",
    "error_description": "Value passed for the token was invalid.",
    "errors": [{"message": "Value passed for the token was invalid."}],
}
UNAUTHORIZED = {
    "title": "Unauthorized",
    "type": "about:blank",
    "status": 401,
    "detail": "Unauthorized",
}


def test_consent_page_shows_accounts_and_scopes(x: XClient) -> None:
    params, _ = x.authorize_params()
    page = x.http.get("/x.com/i/oauth2/authorize", params=params)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for text in ("Corner Bakery", "@riversidecycles", "tweet.write", "offline.access", "Authorize"):
        assert text in page.text


def test_pkce_s256_code_exchange_gives_two_hour_bearer_token(x: XClient) -> None:
    code, verifier, params = x.code_for(CYCLES_ID)
    response = x.exchange(code, verifier)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token_type", "expires_in", "access_token", "scope", "refresh_token"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 7200
    assert body["scope"] == params["scope"]
    me = x.http.get(
        "/api.x.com/2/users/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.json()["data"]["id"] == CYCLES_ID


def test_pkce_plain_and_twitter_com_alias(x: XClient) -> None:
    params, _ = x.authorize_params(code_challenge="challenge", code_challenge_method="plain")
    page = x.http.get("/twitter.com/i/oauth2/authorize", params=params)
    assert page.status_code == 200
    code = location_code(x.consent(params))["code"][0]
    response = x.http.post(
        "/api.twitter.com/2/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": "challenge",
        },
        auth=(CLIENT_ID, CLIENT_SECRET),
    )
    assert response.status_code == 200, response.text


def test_wrong_verifier_fails_and_burns_the_code(x: XClient) -> None:
    code, verifier, _ = x.code_for()
    wrong = x.exchange(code, verifier[:-1] + ("A" if verifier[-1] != "A" else "B"))
    assert wrong.status_code == 400
    assert wrong.json() == INVALID_CODE
    assert x.exchange(code, verifier).json() == INVALID_CODE


def test_code_is_single_use_and_expires_after_30_seconds(x: XClient) -> None:
    code, verifier, _ = x.code_for()
    assert x.exchange(code, verifier).status_code == 200
    again = x.exchange(code, verifier)
    assert (again.status_code, again.json()) == (400, INVALID_CODE)

    code, verifier, _ = x.code_for()
    x.clock(advance_seconds=31)
    late = x.exchange(code, verifier)
    assert (late.status_code, late.json()) == (400, INVALID_CODE)


def test_redirect_uri_must_match_at_exchange(x: XClient) -> None:
    code, verifier, _ = x.code_for()
    response = x.exchange(
        code, verifier, redirect_uri="http://localhost:8000/api/v1/oauth/x/callback"
    )
    assert response.status_code == 400


def test_confidential_client_needs_basic_auth(x: XClient) -> None:
    code, verifier, _ = x.code_for()
    response = x.http.post(
        "/api.x.com/2/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
            "client_id": CLIENT_ID,
        },
    )
    assert response.status_code == 401
    assert response.json() == {
        "error": "unauthorized_client",
        "error_description": "Missing valid authorization header",
    }
    bad_secret = x.exchange(code, verifier, client_id=CLIENT_ID)
    assert bad_secret.status_code == 200  # the right Basic header still works afterwards
    wrong = x.http.post(
        "/api.x.com/2/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": "x"},
        auth=(CLIENT_ID, "not-the-secret"),
    )
    assert wrong.status_code == 401


def test_public_client_uses_client_id_in_body(x: XClient) -> None:
    code, verifier, _ = x.code_for(client_id=PUBLIC_CLIENT_ID)
    response = x.http.post(
        "/api.x.com/2/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
            "client_id": PUBLIC_CLIENT_ID,
        },
    )
    assert response.status_code == 200, response.text


def test_no_refresh_token_without_offline_access(x: XClient) -> None:
    body = x.token(scope="tweet.read users.read")
    assert "refresh_token" not in body
    assert body["scope"] == "tweet.read users.read"


def test_refresh_rotates_and_each_refresh_token_is_single_use(x: XClient) -> None:
    first = x.token()
    refreshed = x.http.post(
        "/api.x.com/2/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        auth=(CLIENT_ID, CLIENT_SECRET),
    )
    assert refreshed.status_code == 200
    second = refreshed.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["scope"] == first["scope"]

    reuse = x.http.post(
        "/api.x.com/2/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        auth=(CLIENT_ID, CLIENT_SECRET),
    )
    assert (reuse.status_code, reuse.json()) == (400, INVALID_TOKEN)
    third = x.http.post(
        "/api.x.com/2/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": second["refresh_token"]},
        auth=(CLIENT_ID, CLIENT_SECRET),
    )
    assert third.status_code == 200


def test_access_token_expires_after_two_hours_and_refresh_still_works(x: XClient) -> None:
    body = x.token()
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    x.clock(advance_seconds=7190)
    assert x.http.get("/api.x.com/2/users/me", headers=headers).status_code == 200
    x.clock(advance_seconds=20)
    expired = x.http.get("/api.x.com/2/users/me", headers=headers)
    assert (expired.status_code, expired.json()) == (401, UNAUTHORIZED)
    assert expired.headers["content-type"].startswith("application/problem+json")
    refreshed = x.http.post(
        "/api.x.com/2/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
        auth=(CLIENT_ID, CLIENT_SECRET),
    )
    new_headers = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    assert x.http.get("/api.x.com/2/users/me", headers=new_headers).status_code == 200


def test_revoke_access_and_refresh_tokens(x: XClient) -> None:
    body = x.token()
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    revoked = x.http.post(
        "/api.x.com/2/oauth2/revoke",
        data={"token": body["access_token"]},
        auth=(CLIENT_ID, CLIENT_SECRET),
    )
    assert (revoked.status_code, revoked.json()) == (200, {"revoked": True})
    assert x.http.get("/api.x.com/2/users/me", headers=headers).status_code == 401
    x.http.post(
        "/api.x.com/2/oauth2/revoke",
        data={"token": body["refresh_token"]},
        auth=(CLIENT_ID, CLIENT_SECRET),
    )
    refresh = x.http.post(
        "/api.x.com/2/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
        auth=(CLIENT_ID, CLIENT_SECRET),
    )
    assert refresh.status_code == 400


def test_cancel_redirects_with_access_denied_and_state(x: XClient) -> None:
    params, _ = x.authorize_params()
    response = x.consent(params, action="cancel")
    assert response.status_code == 302
    assert response.headers["location"].startswith(REDIRECT_URI + "?")
    assert location_code(response) == {"error": ["access_denied"], "state": [params["state"]]}


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"client_id": "nobody"}, "invalid_client"),
        ({"redirect_uri": REDIRECT_URI + "/"}, "invalid_redirect_uri"),
        ({"scope": "tweet.read tweet.fly"}, "invalid_scope"),
        ({"scope": ""}, "invalid_scope"),
        ({"state": "s" * 501}, "invalid_state"),
        ({"code_challenge": "short"}, "invalid_code_challenge"),
        ({"code_challenge_method": "S512"}, "invalid_code_challenge"),
        ({"response_type": "token"}, "unsupported_response_type"),
    ],
)
def test_bad_authorization_requests_show_x_error_page(
    x: XClient, override: dict[str, str], reason: str
) -> None:
    params, _ = x.authorize_params(**override)
    page = x.http.get("/x.com/i/oauth2/authorize", params=params)
    assert page.status_code == 400
    assert "You weren't able to give access to the App" in page.text
    assert data_error(page.text) == reason
    assert "location" not in page.headers  # never redirects to an unverified URI


def test_state_of_500_characters_is_accepted(x: XClient) -> None:
    params, _ = x.authorize_params(state="s" * 500)
    assert x.http.get("/x.com/i/oauth2/authorize", params=params).status_code == 200


def test_registered_app_redirect_uris_via_control_plane(x: XClient) -> None:
    uri = "http://127.0.0.1:9999/cb?tenant=1"
    added = x.http.post(
        "/_sandbox/apps",
        json={
            "platform": "x",
            "client_id": "my-app",
            "client_secret": "s3",
            "redirect_uris": [uri],
        },
    )
    assert added.status_code == 200
    params, verifier = x.authorize_params(client_id="my-app", redirect_uri=uri)
    response = x.consent(params, BAKERY_ID)
    assert response.headers["location"].startswith(uri + "&state=")
    code = location_code(response)["code"][0]
    basic = base64.b64encode(b"my-app:s3").decode()
    token = x.http.post(
        "/api.x.com/2/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": uri,
            "code_verifier": verifier,
        },
        headers={"Authorization": f"Basic {basic}"},
    )
    assert token.status_code == 200, token.text
