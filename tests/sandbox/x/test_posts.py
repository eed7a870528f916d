"""X users and posts: fields, creation rules, threads, partial errors, private metrics,
pagination, search, scopes. Every v2 response is checked against the OpenAPI spec by the
client's hook (see openapi.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from platform_sandbox import audience
from platform_sandbox.x.models import XTweet
from tests.sandbox.x.conftest import BAKERY_ID, CYCLES_ID, XClient

FORBIDDEN_DUPLICATE = {
    "detail": "You are not allowed to create a Tweet with duplicate content.",
    "type": "about:blank",
    "title": "Forbidden",
    "status": 403,
}


def _post(x: XClient, body: dict[str, Any], account: str = BAKERY_ID) -> Any:
    return x.http.post("/api.x.com/2/tweets", json=body, headers=x.auth(account))


def _timeline(x: XClient, user_id: str = BAKERY_ID, **params: Any) -> Any:
    return x.http.get(f"/api.x.com/2/users/{user_id}/tweets", params=params, headers=x.auth())


def test_users_me_default_and_public_metrics(x: XClient) -> None:
    plain = x.http.get("/api.x.com/2/users/me", headers=x.auth())
    assert plain.json() == {
        "data": {"id": BAKERY_ID, "name": "Corner Bakery", "username": "cornerbakery"}
    }
    rich = x.http.get(
        "/api.x.com/2/users/me",
        params={"user.fields": "public_metrics,created_at,description"},
        headers=x.auth(),
    ).json()["data"]
    metrics = rich["public_metrics"]
    account = next(
        a for a in x.http.get("/_sandbox/accounts").json()["accounts"] if a["id"] == BAKERY_ID
    )
    assert metrics["followers_count"] == account["followers_count"]
    assert metrics["tweet_count"] >= 20
    # The audience grows: a month later there are more followers (with a new token: the old
    # one expired on the way).
    x.clock(advance_seconds=30 * 86400)
    x.tokens.clear()
    later = x.http.get(
        "/api.x.com/2/users/me", params={"user.fields": "public_metrics"}, headers=x.auth()
    ).json()["data"]["public_metrics"]
    assert later["followers_count"] > metrics["followers_count"]
    assert x.hook.validated


def test_unknown_field_is_an_invalid_request(x: XClient) -> None:
    response = x.http.get(
        "/api.x.com/2/users/me", params={"user.fields": "shoe_size"}, headers=x.auth()
    )
    assert response.status_code == 400
    body = response.json()
    assert body["title"] == "Invalid Request"
    assert body["detail"] == "One or more parameters to your request was invalid."
    assert body["type"] == "https://api.twitter.com/2/problems/invalid-request"
    assert body["errors"][0]["parameters"] == {"user.fields": ["shoe_size"]}


def test_create_returns_201_location_and_duplicate_is_403(x: XClient) -> None:
    created = _post(x, {"text": "Fresh croissants at 7!"})
    assert created.status_code == 201
    tweet_id = created.json()["data"]["id"]
    assert created.json() == {"data": {"id": tweet_id, "text": "Fresh croissants at 7!"}}
    assert created.headers["location"] == f"{x.sandbox.url}/api.x.com/2/tweets/{tweet_id}"
    duplicate = _post(x, {"text": "Fresh croissants at 7!"})
    assert (duplicate.status_code, duplicate.json()) == (403, FORBIDDEN_DUPLICATE)
    # Another account may say the same thing.
    assert _post(x, {"text": "Fresh croissants at 7!"}, CYCLES_ID).status_code == 201


def test_weighted_length_rules(x: XClient) -> None:
    url_heavy = "Read this " + "https://example.com/" + "a" * 300  # a URL counts as 23
    assert _post(x, {"text": url_heavy}).status_code == 201
    assert _post(x, {"text": "b" * 280}).status_code == 201
    too_long = _post(x, {"text": "c" * 281})
    assert too_long.status_code == 400
    assert too_long.json()["errors"][0]["message"] == "Your Tweet text is too long."
    cjk = "日" * 141  # CJK characters weigh 2: 282 > 280
    assert _post(x, {"text": cjk}).status_code == 400
    assert _post(x, {"text": ""}).status_code == 400


def test_thread_and_quote(x: XClient) -> None:
    first = _post(x, {"text": "A thread about sourdough 1/3"}).json()["data"]["id"]
    second = _post(x, {"text": "2/3 starter", "reply": {"in_reply_to_tweet_id": first}}).json()[
        "data"
    ]["id"]
    third = _post(x, {"text": "3/3 bake", "reply": {"in_reply_to_tweet_id": second}}).json()[
        "data"
    ]["id"]
    quote = _post(x, {"text": "Worth a read", "quote_tweet_id": first}, CYCLES_ID).json()["data"][
        "id"
    ]
    got = x.http.get(
        "/api.x.com/2/tweets",
        params={
            "ids": f"{third},{quote}",
            "tweet.fields": "conversation_id,in_reply_to_user_id,referenced_tweets,author_id",
        },
        headers=x.auth(),
    ).json()["data"]
    assert got[0]["conversation_id"] == first
    assert got[0]["in_reply_to_user_id"] == BAKERY_ID
    assert got[0]["referenced_tweets"] == [{"type": "replied_to", "id": second}]
    assert got[1]["referenced_tweets"] == [{"type": "quoted", "id": first}]
    missing_parent = _post(x, {"text": "orphan", "reply": {"in_reply_to_tweet_id": "1"}})
    assert missing_parent.status_code == 403
    both = _post(x, {"text": "both", "quote_tweet_id": first, "media": {"media_ids": ["1"]}})
    assert both.status_code == 400


def test_delete_own_post_only(x: XClient) -> None:
    tweet_id = _post(x, {"text": "Oops, wrong price"}).json()["data"]["id"]
    other = x.http.delete(f"/api.x.com/2/tweets/{tweet_id}", headers=x.auth(CYCLES_ID))
    assert other.status_code == 403
    deleted = x.http.delete(f"/api.x.com/2/tweets/{tweet_id}", headers=x.auth())
    assert (deleted.status_code, deleted.json()) == (200, {"data": {"deleted": True}})
    gone = x.http.get(f"/api.x.com/2/tweets/{tweet_id}", headers=x.auth())
    assert gone.status_code == 200
    assert list(gone.json()) == ["errors"]
    assert gone.json()["errors"][0]["title"] == "Not Found Error"


def test_get_tweets_partial_and_total_errors(x: XClient) -> None:
    ids = [t["id"] for t in _timeline(x, max_results=5).json()["data"]]
    partial = x.http.get(
        "/api.x.com/2/tweets",
        params={"ids": ",".join([*ids[:2], "1276230436478386177"])},
        headers=x.auth(),
    ).json()
    assert [t["id"] for t in partial["data"]] == ids[:2]
    assert partial["errors"] == [
        {
            "value": "1276230436478386177",
            "detail": "Could not find tweet with ids: [1276230436478386177].",
            "title": "Not Found Error",
            "resource_type": "tweet",
            "parameter": "ids",
            "resource_id": "1276230436478386177",
            "type": "https://api.twitter.com/2/problems/resource-not-found",
        }
    ]
    none = x.http.get("/api.x.com/2/tweets", params={"ids": "20,21"}, headers=x.auth()).json()
    assert "data" not in none
    assert len(none["errors"]) == 2
    too_many = x.http.get(
        "/api.x.com/2/tweets", params={"ids": ",".join(["20"] * 101)}, headers=x.auth()
    )
    assert too_many.status_code == 400
    missing = x.http.get("/api.x.com/2/tweets", headers=x.auth())
    assert missing.status_code == 400


def test_private_metrics_only_for_owner_and_under_30_days(x: XClient) -> None:
    timeline = _timeline(x, max_results=100, **{"tweet.fields": "created_at"}).json()["data"]
    now = datetime.now(UTC)
    recent = next(
        t["id"]
        for t in timeline
        if (now - datetime.fromisoformat(t["created_at"].replace("Z", "+00:00"))).days < 25
    )
    old = next(
        t["id"]
        for t in timeline
        if (now - datetime.fromisoformat(t["created_at"].replace("Z", "+00:00"))).days > 35
    )
    fields = {"tweet.fields": "public_metrics,non_public_metrics,organic_metrics"}
    own = x.http.get(
        "/api.x.com/2/tweets", params={"ids": f"{recent},{old}", **fields}, headers=x.auth()
    ).json()
    assert [t["id"] for t in own["data"]] == [recent]
    post = own["data"][0]
    assert set(post["public_metrics"]) == {
        "retweet_count",
        "reply_count",
        "like_count",
        "quote_count",
        "bookmark_count",
        "impression_count",
    }
    assert set(post["non_public_metrics"]) >= {
        "impression_count",
        "user_profile_clicks",
        "engagements",
    }
    assert set(post["organic_metrics"]) >= {
        "impression_count",
        "like_count",
        "reply_count",
        "retweet_count",
    }
    assert (
        post["public_metrics"]["impression_count"] == post["non_public_metrics"]["impression_count"]
    )
    assert {e["resource_id"] for e in own["errors"]} == {old}
    assert {e["field"] for e in own["errors"]} == {"non_public_metrics", "organic_metrics"}
    assert own["errors"][0]["type"] == "https://api.twitter.com/2/problems/not-authorized-for-field"
    # Someone else asking for the bakery's private metrics gets only errors.
    other = x.http.get(
        "/api.x.com/2/tweets", params={"ids": recent, **fields}, headers=x.auth(CYCLES_ID)
    ).json()
    assert "data" not in other
    public_only = x.http.get(
        "/api.x.com/2/tweets/" + recent,
        params={"tweet.fields": "public_metrics"},
        headers=x.auth(CYCLES_ID),
    ).json()
    assert public_only["data"]["public_metrics"] == post["public_metrics"]


def test_metrics_follow_the_audience_model_and_the_clock(x: XClient) -> None:
    tweet_id = _post(x, {"text": "New seasonal loaf: pumpkin & rye #local"}).json()["data"]["id"]
    fields = {"tweet.fields": "public_metrics,created_at"}
    fresh = x.http.get(f"/api.x.com/2/tweets/{tweet_id}", params=fields, headers=x.auth()).json()[
        "data"
    ]
    assert fresh["public_metrics"]["impression_count"] == 0
    x.clock(advance_seconds=3600)
    token = x.token()  # still valid: 1 h < 2 h
    hour = x.http.get(
        f"/api.x.com/2/tweets/{tweet_id}",
        params=fields,
        headers={"Authorization": f"Bearer {token['access_token']}"},
    ).json()["data"]
    x.clock(advance_seconds=3600 * 1.9)
    x.tokens.clear()
    day = x.http.get(f"/api.x.com/2/tweets/{tweet_id}", params=fields, headers=x.auth()).json()[
        "data"
    ]
    assert (
        0 < hour["public_metrics"]["impression_count"] < day["public_metrics"]["impression_count"]
    )
    # Same numbers as the audience model computes for this post at the sandbox clock.
    ctx = x.sandbox.ctx
    profile = audience.profile_for(ctx.seed, "x:cornerbakery")
    posted = datetime.fromisoformat(day["created_at"].replace("Z", "+00:00"))
    expected = audience.post_metrics(
        ctx.seed,
        profile,
        f"x:post:{tweet_id}",
        audience.PostFeatures(text_length=len(day["text"]), posted_at=posted, hashtag_count=1),
        ctx.clock.now(),
    )
    assert (
        abs(day["public_metrics"]["impression_count"] - expected.impressions)
        <= expected.impressions * 0.01 + 2
    )


def test_timeline_pagination_walks_all_history(x: XClient) -> None:
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        params: dict[str, Any] = {"max_results": 25}
        if token:
            params["pagination_token"] = token
        body = _timeline(x, **params).json()
        seen += [t["id"] for t in body["data"]]
        assert body["meta"]["result_count"] == len(body["data"])
        assert body["meta"]["newest_id"] == body["data"][0]["id"]
        pages += 1
        token = body["meta"].get("next_token")
        if not token:
            break
    assert pages >= 2
    assert len(seen) == len(set(seen))
    assert seen == sorted(seen, key=int, reverse=True)
    me = x.http.get(
        "/api.x.com/2/users/me", params={"user.fields": "public_metrics"}, headers=x.auth()
    ).json()
    assert len(seen) == me["data"]["public_metrics"]["tweet_count"]
    oldest_post = x.http.get(
        f"/api.x.com/2/tweets/{seen[-1]}", params={"tweet.fields": "created_at"}, headers=x.auth()
    ).json()["data"]
    oldest = datetime.fromisoformat(oldest_post["created_at"].replace("Z", "+00:00"))
    assert (datetime.now(UTC) - oldest).days >= 85  # about 90 days of history
    bad = _timeline(x, max_results=2)
    assert bad.status_code == 400
    assert (
        bad.json()["errors"][0]["message"]
        == "The `max_results` query parameter value [2] is not between 5 and 100"
    )


def test_search_recent_and_simulated_replies(x: XClient) -> None:
    _post(x, {"text": "Tasting night this Friday"})
    found = x.http.get(
        "/api.x.com/2/tweets/search/recent", params={"query": "tasting night"}, headers=x.auth()
    ).json()
    assert found["meta"]["result_count"] == 1
    empty = x.http.get(
        "/api.x.com/2/tweets/search/recent", params={"query": "zzzz-nothing"}, headers=x.auth()
    ).json()
    assert empty == {"meta": {"result_count": 0}}
    timeline = _timeline(
        x, max_results=100, **{"tweet.fields": "public_metrics,created_at"}
    ).json()["data"]
    now = datetime.fromisoformat(x.http.get("/_sandbox/health").json()["clock"]["now"])
    week_ago = now - timedelta(days=7)

    def written(tweet: dict[str, Any]) -> datetime:
        return datetime.fromisoformat(tweet["created_at"].replace("Z", "+00:00"))

    recent = [t for t in timeline if written(t) >= week_ago]
    busy = max(recent, key=lambda t: t["public_metrics"]["reply_count"])

    def conversation(tweet_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = x.http.get(
            "/api.x.com/2/tweets/search/recent",
            params={
                "query": f"conversation_id:{tweet_id}",
                "max_results": 100,
                "expansions": "author_id",
                "tweet.fields": "in_reply_to_user_id,conversation_id,created_at",
            },
            headers=x.auth(),
        ).json()
        return answer

    replies = conversation(busy["id"])
    assert replies["meta"]["result_count"] == min(busy["public_metrics"]["reply_count"], 100) > 0
    assert all(r["in_reply_to_user_id"] == BAKERY_ID for r in replies["data"])
    assert all(r["text"].startswith("@cornerbakery ") for r in replies["data"])
    assert len(replies["includes"]["users"]) >= 1
    # Recent search covers seven days: an older post's replies are not found by it.
    old = next(
        t for t in timeline if written(t) < week_ago and t["public_metrics"]["reply_count"] > 0
    )
    assert conversation(old["id"])["meta"]["result_count"] == 0
    # Repliers are not sign-in accounts.
    assert len(x.http.get("/_sandbox/accounts", params={"platform": "x"}).json()["accounts"]) == 2


def test_scopes_are_enforced(x: XClient) -> None:
    read_only = x.auth(scope="tweet.read users.read")
    assert x.http.get("/api.x.com/2/users/me", headers=read_only).status_code == 200
    denied = x.http.post("/api.x.com/2/tweets", json={"text": "nope"}, headers=read_only)
    assert denied.status_code == 403
    assert denied.json() == {
        "title": "Forbidden",
        "detail": "Forbidden",
        "type": "about:blank",
        "status": 403,
    }
    no_users = x.auth(scope="tweet.read")
    assert x.http.get("/api.x.com/2/users/me", headers=no_users).status_code == 403
    assert x.http.get("/api.x.com/2/users/me").status_code == 401
    assert (
        x.http.get("/api.x.com/2/users/me", headers={"Authorization": "Bearer nope"}).status_code
        == 401
    )


def test_media_public_metrics_give_video_view_counts(x: XClient) -> None:
    """``media.fields=public_metrics`` with ``expansions=attachments.media_keys``: videos carry
    ``view_count`` (reference A.4; spec schema ``Video``), photos carry none."""
    with x.sandbox.ctx.store.session() as session:
        posts = list(session.query(XTweet).filter(XTweet.author_id == BAKERY_ID))
        video = next(p for p in posts if p.has_video)
        photo = next(p for p in posts if p.media_keys and not p.has_video)
        video_id, video_key, video_key_post = video.id, video.media_keys[0], video.post_key
        photo_id, photo_key = photo.id, photo.media_keys[0]
        video_features = audience.PostFeatures(
            text_length=len(video.text),
            posted_at=video.created_at,
            media_count=1,
            has_video=True,
            hashtag_count=video.hashtag_count,
        )
    body = x.http.get(
        "/api.x.com/2/tweets",
        params={
            "ids": f"{video_id},{photo_id}",
            "tweet.fields": "attachments",
            "expansions": "attachments.media_keys",
            "media.fields": "public_metrics,type",
        },
        headers=x.auth(),
    ).json()
    media = {m["media_key"]: m for m in body["includes"]["media"]}
    assert video_key.startswith("7_")
    assert media[video_key]["type"] == "video"
    assert media[photo_key] == {"media_key": photo_key, "type": "photo"}
    ctx = x.sandbox.ctx
    expected = audience.post_metrics(
        ctx.seed,
        audience.profile_for(ctx.seed, "x:cornerbakery"),
        video_key_post,
        video_features,
        ctx.clock.now(),
    )
    assert media[video_key]["public_metrics"] == {"view_count": expected.video_views}
    assert expected.video_views > 0
    # Unknown media fields are refused like every other field list.
    refused = x.http.get(
        "/api.x.com/2/tweets",
        params={"ids": video_id, "media.fields": "plays"},
        headers=x.auth(),
    )
    assert refused.status_code == 400
