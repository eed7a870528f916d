"""LinkedIn 3-legged OAuth against the live sandbox: consent page, tokens, refresh, expiry."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from platform_sandbox.linkedin.oauth import CODE_EXCHANGE_FAILED
from tests.sandbox.linkedin.helpers import (
    ACCESS_TOKEN,
    AUTHORIZE,
    CLIENT_ID,
    CLIENT_SECRET,
    MAYA,
    REDIRECT_URI,
    TOM,
    authorize_params,
    client,
    exchange,
    get_code,
    login,
    redirect_query,
    rest_headers,
)
from tests.support.sandbox import SandboxHandle

DAY = 86_400
INTROSPECT = "/www.linkedin.com/oauth/v2/introspectToken"


def _introspect(http: object, token: str) -> dict[str, object]:
    import httpx2

    assert isinstance(http, httpx2.Client)
    response = http.post(
        INTROSPECT, data={"token": token, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_consent_page_lists_members_scopes_and_buttons(fresh_sandbox: SandboxHandle) -> None:
    with client(fresh_sandbox) as http:
        page = http.get(AUTHORIZE, params=authorize_params("openid profile w_member_social"))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "Maya Lindqvist" in html
    assert "Tom Okafor" in html
    assert re.findall(r'data-scope="([^"]+)"', html) == ["openid", "profile", "w_member_social"]
    assert 'value="allow"' in html
    assert 'value="cancel"' in html
    assert f'value="{REDIRECT_URI}"' in html


def test_allow_exchange_userinfo_and_token_response(fresh_sandbox: SandboxHandle) -> None:
    with client(fresh_sandbox) as http:
        code = get_code(http, member=TOM, scope="openid profile email", state="a b/c?=&")
        response = exchange(http, code)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {
            "access_token",
            "expires_in",
            "refresh_token",
            "refresh_token_expires_in",
            "scope",
        }
        assert body["expires_in"] == 60 * DAY
        assert body["refresh_token_expires_in"] == 365 * DAY
        assert body["scope"] == "openid,profile,email"
        info = http.get(
            "/api.linkedin.com/v2/userinfo",
            headers={"Authorization": f"Bearer {body['access_token']}"},
        )
        assert info.status_code == 200
        user = info.json()
        assert user["sub"] == TOM
        assert user["name"] == "Tom Okafor"
        assert user["given_name"] == "Tom"
        assert user["family_name"] == "Okafor"
        assert user["email"] == "tom.okafor@example.com"
        assert user["email_verified"] is True
        assert user["locale"] == {"country": "GB", "language": "en"}
        picture = http.get(user["picture"].removeprefix(fresh_sandbox.url))
        assert picture.status_code == 200
        # A code is single-use.
        again = exchange(http, code)
    assert again.status_code == 400
    assert again.json() == {"error": "invalid_request", "error_description": CODE_EXCHANGE_FAILED}


def test_state_round_trips_verbatim(fresh_sandbox: SandboxHandle) -> None:
    with client(fresh_sandbox) as http:
        params = authorize_params(state="a b/c?=&ü")
        response = http.post(AUTHORIZE, data={**params, "member": MAYA, "action": "allow"})
    assert redirect_query(response)["state"] == "a b/c?=&ü"


def test_refresh_is_not_rotated_and_keeps_the_original_expiry(
    fresh_sandbox: SandboxHandle,
) -> None:
    with client(fresh_sandbox) as http:
        tokens = login(http)
        fresh_sandbox.ctx.clock.set_offset(59 * DAY)
        response = http.post(
            ACCESS_TOKEN,
            data={
                "grant_type": "refresh_token",
                "refresh_token": tokens.refresh_token,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
            },
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["refresh_token"] == tokens.refresh_token
        assert body["access_token"] != tokens.access_token
        assert body["expires_in"] == 60 * DAY
        # "Day 59 ... the refresh token will have a TTL of 306 days" (B.1).
        assert 306 * DAY - 5 <= body["refresh_token_expires_in"] <= 306 * DAY
        new = http.get(
            "/api.linkedin.com/v2/userinfo",
            headers={"Authorization": f"Bearer {body['access_token']}"},
        )
        assert new.status_code == 200
        # After 365 days the refresh token is dead too.
        fresh_sandbox.ctx.clock.set_offset(366 * DAY)
        dead = http.post(
            ACCESS_TOKEN,
            data={
                "grant_type": "refresh_token",
                "refresh_token": tokens.refresh_token,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
            },
        )
    assert dead.status_code == 400
    assert dead.json()["error"] == "invalid_request"


def test_introspection_and_expiry_after_60_days(fresh_sandbox: SandboxHandle) -> None:
    with client(fresh_sandbox) as http:
        tokens = login(http, scope="openid profile w_member_social")
        info = _introspect(http, tokens.access_token)
        assert set(info) == {
            "active",
            "client_id",
            "authorized_at",
            "created_at",
            "status",
            "expires_at",
            "scope",
            "auth_type",
        }
        assert info["active"] is True
        assert info["status"] == "active"
        assert info["auth_type"] == "3L"
        assert info["client_id"] == CLIENT_ID
        assert info["scope"] == "openid,profile,w_member_social"
        assert isinstance(info["expires_at"], int)
        assert isinstance(info["created_at"], int)
        assert info["expires_at"] - info["created_at"] == 60 * DAY

        fresh_sandbox.ctx.clock.set_offset(
            (timedelta(days=60) + timedelta(minutes=1)).total_seconds()
        )
        expired = _introspect(http, tokens.access_token)
        assert expired["active"] is False
        assert expired["status"] == "expired"
        api = http.get(
            "/api.linkedin.com/v2/userinfo",
            headers={"Authorization": f"Bearer {tokens.access_token}"},
        )
    assert api.status_code == 401
    assert api.json()["status"] == 401
    assert api.json()["code"] == "EXPIRED_ACCESS_TOKEN"


def test_introspection_rejects_bad_client_credentials(fresh_sandbox: SandboxHandle) -> None:
    with client(fresh_sandbox) as http:
        tokens = login(http)
        bad_secret = http.post(
            INTROSPECT,
            data={"token": tokens.access_token, "client_id": CLIENT_ID, "client_secret": "x"},
        )
        bad_id = http.post(
            INTROSPECT,
            data={"token": tokens.access_token, "client_id": "nope", "client_secret": "x"},
        )
    # Documented: 401 invalid client secret, 400 invalid client id or token.
    assert bad_secret.status_code == 401
    assert bad_id.status_code == 400


def test_revoked_token_gets_linkedins_revoked_body(fresh_sandbox: SandboxHandle) -> None:
    with client(fresh_sandbox) as http:
        tokens = login(http)
        revoke = http.post(
            "/www.linkedin.com/oauth/v2/revoke",
            data={
                "token": tokens.access_token,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
            },
        )
        assert revoke.status_code == 200
        api = http.get(
            "/api.linkedin.com/v2/userinfo",
            headers={"Authorization": f"Bearer {tokens.access_token}"},
        )
        assert _introspect(http, tokens.access_token)["status"] == "revoked"
    assert api.status_code == 401
    assert api.json() == {
        "status": 401,
        "serviceErrorCode": 65601,
        "code": "REVOKED_ACCESS_TOKEN",
        "message": "The token used in the request has been revoked by the user",
    }


@pytest.mark.parametrize(
    ("action", "error", "description"),
    [
        ("cancel", "user_cancelled_authorize", "The user cancelled the authorization"),
        ("cancel_login", "user_cancelled_login", "The user cancelled LogIn"),
    ],
)
def test_cancel_redirects_with_linkedin_error_and_state(
    fresh_sandbox: SandboxHandle, action: str, error: str, description: str
) -> None:
    with client(fresh_sandbox) as http:
        params = authorize_params(state="keep-me")
        response = http.post(AUTHORIZE, data={**params, "member": MAYA, "action": action})
    query = redirect_query(response)
    assert query == {"error": error, "error_description": description, "state": "keep-me"}


def test_redirect_uri_must_match_exactly(fresh_sandbox: SandboxHandle) -> None:
    with client(fresh_sandbox) as http:
        for uri in (REDIRECT_URI + "/", REDIRECT_URI.replace("127.0.0.1", "evil.example"), ""):
            params = {**authorize_params(), "redirect_uri": uri}
            response = http.get(AUTHORIZE, params=params)
            # LinkedIn shows an error page and never redirects to an unregistered URI.
            assert response.status_code == 400
            assert "location" not in response.headers
            assert "The redirect_uri does not match the registered value" in response.text
        # The localhost spelling is registered too.
        ok = http.get(
            AUTHORIZE,
            params={
                **authorize_params(),
                "redirect_uri": REDIRECT_URI.replace("127.0.0.1", "localhost"),
            },
        )
        assert ok.status_code == 200
        # The token endpoint also wants the same redirect_uri as the authorization request.
        code = get_code(http)
        mismatch = http.post(
            ACCESS_TOKEN,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uri": REDIRECT_URI.replace("127.0.0.1", "localhost"),
            },
        )
    assert mismatch.status_code == 400
    assert mismatch.json()["error_description"] == CODE_EXCHANGE_FAILED


def test_bad_client_id_shows_error_page(fresh_sandbox: SandboxHandle) -> None:
    with client(fresh_sandbox) as http:
        unknown = http.get(AUTHORIZE, params={**authorize_params(), "client_id": "nope"})
        missing = http.get(AUTHORIZE, params={**authorize_params(), "client_id": ""})
    assert unknown.status_code == 400
    assert "location" not in unknown.headers
    assert 'The passed in client_id is invalid "nope"' in unknown.text
    assert missing.status_code == 400
    assert 'You need to pass the "client_id" parameter' in missing.text


def test_unauthorized_scope_redirects_with_scope_error(fresh_sandbox: SandboxHandle) -> None:
    with client(fresh_sandbox) as http:
        response = http.get(AUTHORIZE, params=authorize_params("openid r_fullprofile", "s1"))
    assert response.status_code == 302
    assert redirect_query(response) == {
        "error": "unauthorized_scope_error",
        "error_description": "Scope &quot;r_fullprofile&quot; is not authorized for your "
        "application",
        "state": "s1",
    }


def test_token_endpoint_client_authentication(fresh_sandbox: SandboxHandle) -> None:
    with client(fresh_sandbox) as http:
        code = get_code(http)
        wrong = http.post(
            ACCESS_TOKEN,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": CLIENT_ID,
                "client_secret": "wrong",
                "redirect_uri": REDIRECT_URI,
            },
        )
        missing = http.post(ACCESS_TOKEN, data={"code": code})
        # The failed attempt did not burn the code.
        ok = exchange(http, code)
    assert wrong.status_code == 401
    assert wrong.json() == {
        "error": "invalid_client",
        "error_description": "Client authentication failed",
    }
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"
    assert ok.status_code == 200


def test_code_expires_after_30_minutes(fresh_sandbox: SandboxHandle) -> None:
    with client(fresh_sandbox) as http:
        code = get_code(http)
        fresh_sandbox.ctx.clock.set_offset(31 * 60)
        response = exchange(http, code)
    assert response.status_code == 400
    assert response.json()["error_description"] == CODE_EXCHANGE_FAILED


def test_scopes_are_enforced_per_endpoint(fresh_sandbox: SandboxHandle) -> None:
    with client(fresh_sandbox) as http:
        tokens = login(http, scope="profile w_member_social")
        info = http.get(
            "/api.linkedin.com/v2/userinfo",
            headers={"Authorization": f"Bearer {tokens.access_token}"},
        )
        acls = http.get(
            "/api.linkedin.com/rest/organizationAcls?q=roleAssignee",
            headers=rest_headers(fresh_sandbox, tokens.access_token),
        )
    assert info.status_code == 403
    assert info.json() == {
        "status": 403,
        "serviceErrorCode": 100,
        "code": "ACCESS_DENIED",
        "message": "Not enough permissions to access: userinfo.GET.NO_VERSION",
    }
    assert acls.status_code == 403
    assert acls.json()["code"] == "ACCESS_DENIED"
