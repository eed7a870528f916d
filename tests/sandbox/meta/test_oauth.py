"""Facebook Login over real HTTP: the dialog, code and long-lived exchanges, Pages with their
Instagram accounts, token debugging, cancel, redirect checks and token expiry."""

from __future__ import annotations

from datetime import timedelta

from tests.sandbox.meta import helpers as h
from tests.support.sandbox import SandboxHandle


def test_login_dialog_exchanges_and_pages_with_instagram(fresh_sandbox: SandboxHandle) -> None:
    with h.client(fresh_sandbox) as http:
        page = http.get(h.DIALOG, params=h.dialog_params())
        assert page.status_code == 200
        assert "Dana Whitfield" in page.text
        assert "Marco Bianchi" in page.text
        step = http.post(h.DIALOG, data={**h.dialog_params(), "user": h.DANA, "action": "continue"})
        # The permissions asked for and only the Pages this person runs are offered.
        assert 'data-scope="instagram_content_publish"' in step.text
        assert "Harbor Lane Florist" in step.text
        assert "Bianchi Bike Repair" not in step.text
        # Grant only the florist Page, and smuggle in a Page Dana does not run.
        done = http.post(
            h.DIALOG,
            data={
                **h.dialog_params(),
                "user": h.DANA,
                "action": "authorize",
                "page_ids": [h.FLORIST, h.BIKES],
            },
        )
        query = h.redirect_query(done)
        assert query["state"] == "st-42"

        short = h.exchange_code(http, query["code"])
        assert short.status_code == 200
        body = short.json()
        assert list(body) == ["access_token", "token_type", "expires_in"]
        assert body["token_type"] == "bearer"
        assert 3600 <= body["expires_in"] <= 7200  # short-lived: one to two hours

        again = h.exchange_code(http, query["code"])
        h.assert_graph_error(again, 100, 36009, message="This authorization code has been used.")

        long = h.long_lived(http, body["access_token"])
        assert long.status_code == 200
        assert long.json()["expires_in"] == 5_184_000  # 60 days
        token = long.json()["access_token"]

        me = http.get(h.graph("me"), params={"access_token": token})
        assert me.json() == {"name": "Dana Whitfield", "id": h.DANA}

        accounts = http.get(
            h.graph("me/accounts"),
            params={
                "access_token": token,
                "fields": "id,name,access_token,instagram_business_account{id,username}",
            },
        ).json()
        assert [p["id"] for p in accounts["data"]] == [h.FLORIST]
        florist = accounts["data"][0]
        assert florist["instagram_business_account"] == {
            "id": h.FLORIST_IG,
            "username": "harborlaneflorist",
        }
        default_fields = http.get(h.graph("me/accounts"), params={"access_token": token}).json()
        assert set(default_fields["data"][0]) == {
            "access_token",
            "category",
            "category_list",
            "name",
            "id",
            "tasks",
        }
        # Without asking for it, no Instagram linkage appears.
        assert "instagram_business_account" not in default_fields["data"][0]

        linkage = http.get(
            h.graph(h.FLORIST),
            params={"access_token": token, "fields": "instagram_business_account"},
        ).json()
        assert linkage == {"instagram_business_account": {"id": h.FLORIST_IG}, "id": h.FLORIST}

        permissions = http.get(h.graph("me/permissions"), params={"access_token": token}).json()
        granted = {p["permission"] for p in permissions["data"] if p["status"] == "granted"}
        assert {"public_profile", "pages_show_list", "instagram_basic"} <= granted

        page_token = florist["access_token"]
        debug = http.get(
            h.graph("debug_token"), params={"input_token": page_token, "access_token": h.APP_TOKEN}
        ).json()["data"]
        assert debug["type"] == "PAGE"
        assert debug["profile_id"] == h.FLORIST
        assert debug["expires_at"] == 0  # derived from a long-lived user token: never expires
        assert debug["is_valid"] is True
        assert debug["app_id"] == h.APP_ID

        user_debug = http.get(
            h.graph("debug_token"), params={"input_token": token, "access_token": h.APP_TOKEN}
        ).json()["data"]
        assert user_debug["type"] == "USER"
        assert user_debug["user_id"] == h.DANA
        assert user_debug["expires_at"] - user_debug["issued_at"] == 5_184_000
        assert "pages_manage_posts" in user_debug["scopes"]
        targets = {g["scope"]: g.get("target_ids") for g in user_debug["granular_scopes"]}
        assert targets["pages_show_list"] == [h.FLORIST]
        assert targets["instagram_basic"] == [h.FLORIST_IG]


def test_cancel_redirects_with_meta_error_parameters(fresh_sandbox: SandboxHandle) -> None:
    with h.client(fresh_sandbox) as http:
        for step in ({}, {"user": h.DANA, "action": "continue"}):
            params = h.dialog_params()
            if step:
                http.post(h.DIALOG, data={**params, **step})
            response = http.post(h.DIALOG, data={**params, "user": h.DANA, "action": "cancel"})
            assert h.redirect_query(response) == {
                "error": "access_denied",
                "error_code": "200",
                "error_description": "Permissions error",
                "error_reason": "user_denied",
                "state": "st-42",
            }
            assert "error_description=Permissions+error" in response.headers["location"]


def test_dialog_problems_are_pages_never_redirects(fresh_sandbox: SandboxHandle) -> None:
    with h.client(fresh_sandbox) as http:
        mismatched = http.get(
            h.DIALOG,
            params={**h.dialog_params(), "redirect_uri": h.REDIRECT_URI + "/"},
        )
        assert mismatched.status_code == 400
        assert "location" not in mismatched.headers
        assert 'data-error="redirect_uri_mismatch"' in mismatched.text
        assert "URL blocked" in mismatched.text

        unknown_app = http.get(h.DIALOG, params={**h.dialog_params(), "client_id": "42"})
        assert 'data-error="invalid_app_id"' in unknown_app.text
        assert "Invalid App ID" in unknown_app.text

        bad_scope = http.get(h.DIALOG, params=h.dialog_params("pages_show_list,publish_actions"))
        assert 'data-error="invalid_scope"' in bad_scope.text
        assert "Invalid Scopes: publish_actions" in bad_scope.text

        # Submitting the form with a tampered redirect does not redirect either.
        forged = http.post(
            h.DIALOG,
            data={
                **h.dialog_params(),
                "redirect_uri": "https://evil.example/cb",
                "user": h.DANA,
                "action": "authorize",
            },
        )
        assert forged.status_code == 400
        assert "location" not in forged.headers

        # The code is bound to the redirect URI used in the dialog.
        code = h.get_code(http)
        wrong = http.get(
            h.graph("oauth/access_token"),
            params={
                "client_id": h.APP_ID,
                "client_secret": h.APP_SECRET,
                "code": code,
                "redirect_uri": "http://localhost:8000/api/v1/oauth/facebook/callback",
            },
        )
        h.assert_graph_error(wrong, 100, 36008)
        bad_secret = http.get(
            h.graph("oauth/access_token"),
            params={
                "client_id": h.APP_ID,
                "client_secret": "nope",
                "code": code,
                "redirect_uri": h.REDIRECT_URI,
            },
        )
        h.assert_graph_error(bad_secret, 1, message="Error validating client secret.")


def test_expired_tokens_answer_190_463(fresh_sandbox: SandboxHandle) -> None:
    with h.client(fresh_sandbox) as http:
        login = h.login(http)
        fresh_sandbox.ctx.clock.set_offset(timedelta(hours=3).total_seconds())
        expired = http.get(h.graph("me"), params={"access_token": login.short_token})
        error = h.assert_graph_error(expired, 190, 463)
        assert error["message"].startswith("Error validating access token: Session has expired on")
        assert 'OAuth "Facebook Platform" "invalid_token"' in expired.headers["www-authenticate"]
        # The long-lived token and the page token made from it still work after 3 hours...
        assert http.get(h.graph("me"), params={"access_token": login.user_token}).status_code == 200
        # ...and after 61 days only the page token does.
        fresh_sandbox.ctx.clock.set_offset(timedelta(days=61).total_seconds())
        h.assert_graph_error(
            http.get(h.graph("me"), params={"access_token": login.user_token}), 190, 463
        )
        page = http.get(h.graph("me"), params={"access_token": login.page_tokens[h.FLORIST]})
        assert page.json()["id"] == h.FLORIST
        debug = http.get(
            h.graph("debug_token"),
            params={"input_token": login.user_token, "access_token": h.APP_TOKEN},
        ).json()["data"]
        assert debug["is_valid"] is False
        assert debug["error"]["code"] == 190
        assert debug["error"]["subcode"] == 463


def test_invalid_and_invalidated_tokens(fresh_sandbox: SandboxHandle) -> None:
    with h.client(fresh_sandbox) as http:
        h.assert_graph_error(
            http.get(h.graph("me"), params={"access_token": "EAAGnotarealtoken"}),
            190,
            message="Invalid OAuth access token - Cannot parse access token",
        )
        h.assert_graph_error(http.get(h.graph(h.FLORIST)), 104)
        login = h.login(http)
        # A password change, as set through the control plane's overrides.
        limits = http.post(
            "/_sandbox/ratelimits",
            json={"platform": "meta", "limits": {"sessions": {h.DANA: 460}}},
        )
        assert limits.status_code == 200
        h.assert_graph_error(
            http.get(h.graph("me"), params={"access_token": login.user_token}), 190, 460
        )
        http.delete("/_sandbox/ratelimits")
        assert http.get(h.graph("me"), params={"access_token": login.user_token}).status_code == 200
        # Removing the app's permissions invalidates every token of the person for the app.
        revoke = http.delete(h.graph("me/permissions"), params={"access_token": login.user_token})
        assert revoke.json() == {"success": True}
        h.assert_graph_error(
            http.get(h.graph("me"), params={"access_token": login.page_tokens[h.FLORIST]}),
            190,
            458,
        )


def test_pages_of_other_people_are_not_reachable(fresh_sandbox: SandboxHandle) -> None:
    with h.client(fresh_sandbox) as http:
        login = h.login(http)
        other = http.get(h.graph(h.BIKES), params={"access_token": login.user_token})
        error = h.assert_graph_error(other, 100, 33, error_type="GraphMethodException")
        assert error["message"].startswith(f"Unsupported get request. Object with ID '{h.BIKES}'")
        marco = h.login(http, h.MARCO, (h.BIKES,))
        assert list(marco.page_tokens) == [h.BIKES]


def test_standard_oauth_clients_exchange_the_code(fresh_sandbox: SandboxHandle) -> None:
    """Authlib (like requests-oauthlib) POSTs grant_type=authorization_code with the client
    credentials in the form body; the real endpoint accepts that as well as Meta's GET form."""
    from authlib.integrations.httpx_client import OAuth2Client

    token_url = fresh_sandbox.url + h.graph("oauth/access_token")
    with h.client(fresh_sandbox) as http:
        code = h.get_code(http)
        with OAuth2Client(
            client_id=h.APP_ID,
            client_secret=h.APP_SECRET,
            redirect_uri=h.REDIRECT_URI,
            token_endpoint_auth_method="client_secret_post",
        ) as oauth:
            token = oauth.fetch_token(token_url, code=code)
        assert token["token_type"] == "bearer"
        assert 0 < token["expires_in"] <= 2 * 3600
        me = http.get(h.graph("me"), params={"access_token": token["access_token"]})
        assert me.status_code == 200, me.text
        assert me.json()["id"] == h.DANA

        # The same grant with everything in the query string, as some clients send it.
        second = h.get_code(http)
        query_form = http.post(
            h.graph("oauth/access_token"),
            params={
                "grant_type": "authorization_code",
                "client_id": h.APP_ID,
                "client_secret": h.APP_SECRET,
                "redirect_uri": h.REDIRECT_URI,
                "code": second,
            },
        )
        assert query_form.status_code == 200, query_form.text
        assert query_form.json()["access_token"].startswith("EAAG")

        # The standard grant keeps every check of Meta's own form: a used code stays used,
        # and the secret must be right.
        replay = http.post(
            h.graph("oauth/access_token"),
            data={
                "grant_type": "authorization_code",
                "client_id": h.APP_ID,
                "client_secret": h.APP_SECRET,
                "redirect_uri": h.REDIRECT_URI,
                "code": code,
            },
        )
        h.assert_graph_error(replay, 100, 36009)
        third = h.get_code(http)
        bad_secret = http.post(
            h.graph("oauth/access_token"),
            data={
                "grant_type": "authorization_code",
                "client_id": h.APP_ID,
                "client_secret": "nope",
                "redirect_uri": h.REDIRECT_URI,
                "code": third,
            },
        )
        h.assert_graph_error(bad_secret, 1, message="Error validating client secret.")
        unknown = http.post(
            h.graph("oauth/access_token"),
            data={
                "grant_type": "password",
                "client_id": h.APP_ID,
                "client_secret": h.APP_SECRET,
            },
        )
        h.assert_graph_error(unknown, 100)
