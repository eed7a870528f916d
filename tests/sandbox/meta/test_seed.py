"""The seeded Meta world on a fresh sandbox: people, Pages, the linked Instagram account,
90 days of history with metrics, and the ground truth in ``/_sandbox/accounts``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.sandbox.meta import helpers as h
from tests.support.sandbox import SandboxHandle


def _times(items: list[dict[str, Any]], key: str) -> list[datetime]:
    return [datetime.strptime(item[key], "%Y-%m-%dT%H:%M:%S%z") for item in items]


def test_ninety_days_of_history_on_a_fresh_sandbox(fresh_sandbox: SandboxHandle) -> None:
    now = fresh_sandbox.ctx.clock.now()
    with h.client(fresh_sandbox) as http:
        login = h.login(http)
        posts: list[dict[str, Any]] = []
        response = http.get(
            h.graph(f"{h.FLORIST}/posts"),
            params={
                "access_token": login.page_tokens[h.FLORIST],
                "limit": 100,
                "fields": "id,created_time,message,reactions.summary(true).limit(0)",
            },
        ).json()
        while True:
            posts.extend(response["data"])
            if "next" not in response.get("paging", {}):
                break
            response = http.get(response["paging"]["next"]).json()
        times = _times(posts, "created_time")
        assert times == sorted(times, reverse=True)
        assert min(times) <= now - timedelta(days=85)
        assert max(times) >= now - timedelta(days=4)
        assert len(posts) >= 40
        assert sum(p["reactions"]["summary"]["total_count"] for p in posts) > 0

        media = http.get(
            h.graph(f"{h.FLORIST_IG}/media"),
            params={
                "access_token": login.user_token,
                "limit": 100,
                "fields": "timestamp,like_count,media_type",
            },
        ).json()["data"]
        media_times = _times(media, "timestamp")
        assert min(media_times) <= now - timedelta(days=85)
        assert {m["media_type"] for m in media} <= {"IMAGE", "VIDEO"}
        assert sum(int(m["like_count"]) for m in media) > 0

        ninety = http.get(
            h.graph(f"{h.FLORIST}/insights"),
            params={
                "access_token": login.page_tokens[h.FLORIST],
                "metric": "page_media_view",
                "period": "day",
                "since": int((now - timedelta(days=89)).timestamp()),
                "until": int(now.timestamp()),
            },
        ).json()
        values = ninety["data"][0]["values"]
        assert len(values) >= 88
        assert sum(1 for v in values if v["value"] > 0) > 60


def test_ground_truth_accounts(fresh_sandbox: SandboxHandle) -> None:
    with h.client(fresh_sandbox) as http:
        accounts = http.get("/_sandbox/accounts", params={"platform": "meta"}).json()["accounts"]
        login = h.login(http)
        kinds = [a["kind"] for a in accounts]
        assert kinds.count("user") >= 2
        assert kinds.count("page") == 3
        assert kinds.count("instagram_business") == 1
        dana = next(a for a in accounts if a["id"] == h.DANA)
        assert dana["administers"] == [h.FLORIST, h.WORKSHOPS]
        florist = next(a for a in accounts if a["id"] == h.FLORIST)
        assert florist["instagram_business_account"] == h.FLORIST_IG
        for account in accounts:
            if account["kind"] != "user":
                assert 0 <= account["best_weekday"] <= 6
                assert 0 <= account["best_hour"] <= 23
                assert account["profile"]["best_hour"] == account["best_hour"]
        # The API's follower counts are the ground truth's.
        page = http.get(
            h.graph(h.FLORIST),
            params={"access_token": login.user_token, "fields": "followers_count"},
        ).json()
        # Followers grow continuously; two reads a moment apart agree to within one.
        assert abs(page["followers_count"] - florist["followers"]) <= 1
        ig_truth = next(a for a in accounts if a["kind"] == "instagram_business")
        ig = http.get(
            h.graph(h.FLORIST_IG),
            params={"access_token": login.user_token, "fields": "followers_count"},
        ).json()
        assert abs(ig["followers_count"] - ig_truth["followers"]) <= 1
