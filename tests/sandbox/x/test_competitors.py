"""Someone else's X accounts made through ``POST /_sandbox/competitors``: looked up by
username with their public metrics, their timeline's public metrics, and X's answers for a
username that does not exist, a protected account and a suspended one (every response is
validated against X's OpenAPI spec by the client's hook)."""

from __future__ import annotations

from typing import Any

import httpx2

from tests.sandbox.x.conftest import XClient


def _competitor(x: XClient, **body: Any) -> dict[str, Any]:
    response = x.http.post("/_sandbox/competitors", json={"platform": "x", **body})
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def _by_username(x: XClient, username: str) -> httpx2.Response:
    return x.http.get(
        f"/api.x.com/2/users/by/username/{username}",
        params={"user.fields": "public_metrics,protected"},
        headers=x.auth(),
    )


def test_public_competitor_has_public_metrics_and_a_timeline(x: XClient) -> None:
    made = _competitor(x, username="rivalroasters", posts=24, days=60)
    assert made["posts"] == 24
    answer = _by_username(x, "RivalRoasters")  # usernames match case-insensitively
    assert answer.status_code == 200
    user = answer.json()["data"]
    assert user["id"] == made["id"]
    assert user["username"] == "rivalroasters"
    assert user["protected"] is False
    metrics = user["public_metrics"]
    assert metrics["followers_count"] > 0
    assert metrics["tweet_count"] == 24
    tweets = x.http.get(
        f"/api.x.com/2/users/{user['id']}/tweets",
        params={"tweet.fields": "public_metrics,created_at", "max_results": "100"},
        headers=x.auth(),
    ).json()
    assert tweets["meta"]["result_count"] == 24
    first = tweets["data"][0]
    assert set(first["public_metrics"]) >= {"like_count", "reply_count", "retweet_count"}
    assert first["created_at"].endswith("Z")


def test_the_same_name_gives_the_same_account_and_a_taken_name_is_refused(x: XClient) -> None:
    first = _competitor(x, username="samename", posts=5)
    again = x.http.post(
        "/_sandbox/competitors", json={"platform": "x", "username": "samename", "posts": 5}
    )
    assert again.status_code == 409
    x.http.post("/_sandbox/reset")
    assert _competitor(x, username="samename", posts=5)["id"] == first["id"]


def test_competitors_are_not_offered_at_sign_in(x: XClient) -> None:
    _competitor(x, username="hiddenrival", posts=1)
    params, _verifier = x.authorize_params()
    page = x.http.get("/x.com/i/oauth2/authorize", params=params).text
    assert "hiddenrival" not in page
    assert "cornerbakery" in page


def test_a_username_that_does_not_exist_is_a_not_found_problem_in_a_200(x: XClient) -> None:
    answer = _by_username(x, "nobody_here_123")
    assert answer.status_code == 200
    assert answer.json() == {
        "errors": [
            {
                "value": "nobody_here_123",
                "detail": "Could not find user with username: [nobody_here_123].",
                "title": "Not Found Error",
                "resource_type": "user",
                "parameter": "username",
                "resource_id": "nobody_here_123",
                "type": "https://api.twitter.com/2/problems/resource-not-found",
            }
        ]
    }


def test_a_protected_account_shows_its_numbers_but_not_its_posts(x: XClient) -> None:
    made = _competitor(x, username="quietcafe", kind="protected", posts=10)
    user = _by_username(x, "quietcafe").json()["data"]
    assert user["protected"] is True
    assert user["public_metrics"]["followers_count"] > 0
    answer = x.http.get(
        f"/api.x.com/2/users/{made['id']}/tweets",
        params={"tweet.fields": "public_metrics"},
        headers=x.auth(),
    )
    assert answer.status_code == 200
    body = answer.json()
    assert "data" not in body
    (problem,) = body["errors"]
    assert problem["title"] == "Authorization Error"
    assert problem["type"] == "https://api.twitter.com/2/problems/not-authorized-for-resource"
    assert (
        problem["detail"]
        == f"Sorry, you are not authorized to see the user with id: [{made['id']}]."
    )


def test_a_suspended_account_is_answered_as_suspended(x: XClient) -> None:
    made = _competitor(x, username="gonecafe", kind="suspended", posts=3)
    body = _by_username(x, "gonecafe").json()
    assert "data" not in body
    (problem,) = body["errors"]
    assert problem["detail"] == "User has been suspended: [gonecafe]."
    assert problem["title"] == "Forbidden"
    assert problem["type"] == "https://api.twitter.com/2/problems/resource-not-found"
    by_id = x.http.get(f"/api.x.com/2/users/{made['id']}", headers=x.auth()).json()
    assert by_id["errors"][0]["detail"] == f"User has been suspended: [{made['id']}]."


def test_unknown_kind_is_refused(x: XClient) -> None:
    answer = x.http.post(
        "/_sandbox/competitors", json={"platform": "x", "username": "a", "kind": "personal"}
    )
    assert answer.status_code == 400
    assert "public, protected, suspended" in answer.text
