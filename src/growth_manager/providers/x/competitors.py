"""Reading a competitor on X: ``GET /2/users/by/username/{username}`` with ``public_metrics``
(followers, following, post count, whether it is protected), then its timeline
``GET /2/users/{id}/tweets`` with ``tweet.fields=public_metrics,created_at`` since a date
(replies and reposts left out, as for our own accounts).

X answers a missing or suspended user with a 200 holding only ``errors`` (a
``resource-not-found`` problem: "Could not find user with username: [x]." or "User has been
suspended: [x]."), and a protected account's timeline with an ``Authorization Error``
(``not-authorized-for-resource``): its numbers are public, its posts are not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from growth_manager.providers.base import CompetitorPost, CompetitorProfile, TokenSet
from growth_manager.providers.client import PlatformHttp
from growth_manager.providers.http import json_body
from growth_manager.providers.x.analytics import API_VERSION, PAGE, POST_FIELDS

NOT_AUTHORIZED = "https://api.twitter.com/2/problems/not-authorized-for-resource"
# A competitor posting more than 300 times in the window is read up to here.
MAX_PAGES = 3


@dataclass(frozen=True)
class XCompetitors:
    http: PlatformHttp
    api_base: str

    def read(self, token: TokenSet, handle: str, since: datetime) -> CompetitorProfile:
        headers = {"Authorization": f"Bearer {token.access_token}"}
        response = self.http.request(
            "GET",
            f"{self.api_base}/2/users/by/username/{handle}",
            params={"user.fields": "public_metrics,protected,name,username"},
            headers=headers,
        )
        body = json_body(response)
        body = body if isinstance(body, dict) else {}
        user = body.get("data")
        if not isinstance(user, dict) or not user.get("id"):
            return CompetitorProfile(
                status="not_found",
                handle=handle,
                message=_detail(body) or f"X found no user @{handle}.",
                api_version=API_VERSION,
            )
        metrics = _dict(user.get("public_metrics"))
        found = CompetitorProfile(
            status="ok",
            handle=str(user.get("username") or handle),
            remote_id=str(user["id"]),
            display_name=str(user.get("name") or user.get("username") or handle),
            followers=_int(metrics.get("followers_count")),
            following=_int(metrics.get("following_count")),
            posts_count=_int(metrics.get("tweet_count")),
            api_version=API_VERSION,
        )
        if user.get("protected") is True:
            return _protected(
                found,
                "This account's posts are protected: only its approved followers see them.",
                calls=1,
            )
        posts: list[CompetitorPost] = []
        pagination: str | None = None
        calls = 1
        for _ in range(MAX_PAGES):
            params = {
                "max_results": str(PAGE),
                "start_time": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "exclude": "replies,retweets",
                "tweet.fields": "public_metrics,created_at",
            }
            if pagination:
                params["pagination_token"] = pagination
            page = json_body(
                self.http.request(
                    "GET",
                    f"{self.api_base}/2/users/{user['id']}/tweets",
                    params=params,
                    headers=headers,
                )
            )
            calls += 1
            page = page if isinstance(page, dict) else {}
            if not page.get("data") and _is_unauthorized(page):
                return _protected(found, _detail(page), calls=calls)
            posts.extend(_post(t) for t in page.get("data") or [] if isinstance(t, dict))
            meta = _dict(page.get("meta"))
            pagination = meta.get("next_token")
            if not pagination:
                break
        return CompetitorProfile(
            status="ok",
            handle=found.handle,
            remote_id=found.remote_id,
            display_name=found.display_name,
            followers=found.followers,
            following=found.following,
            posts_count=found.posts_count,
            posts=tuple(p for p in posts if p is not None),
            calls=calls,
            api_version=API_VERSION,
        )


def _protected(found: CompetitorProfile, message: str, *, calls: int) -> CompetitorProfile:
    return CompetitorProfile(
        status="protected",
        handle=found.handle,
        remote_id=found.remote_id,
        display_name=found.display_name,
        followers=found.followers,
        following=found.following,
        posts_count=found.posts_count,
        message=message,
        calls=calls,
        api_version=API_VERSION,
    )


def _post(tweet: dict[str, Any]) -> CompetitorPost:
    public = _dict(tweet.get("public_metrics"))
    metrics: dict[str, float] = {}
    for holder, name, metric in POST_FIELDS:
        value = public.get(name) if holder == "public_metrics" else None
        if isinstance(value, int) and not isinstance(value, bool) and metric not in metrics:
            metrics[metric] = float(value)
    raw_time = str(tweet.get("created_at") or "")
    try:
        published = datetime.fromisoformat(raw_time.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        published = datetime.fromtimestamp(0, UTC)
    return CompetitorPost(
        remote_id=str(tweet.get("id")),
        published_at=published,
        metrics=metrics,
        raw={"public_metrics": public},
    )


def _is_unauthorized(body: dict[str, Any]) -> bool:
    problems = body.get("errors")
    problems = problems if isinstance(problems, list) else []
    return any(isinstance(p, dict) and p.get("type") == NOT_AUTHORIZED for p in problems)


def _detail(body: dict[str, Any]) -> str:
    problems = body.get("errors")
    if isinstance(problems, list) and problems and isinstance(problems[0], dict):
        return str(problems[0].get("detail") or problems[0].get("title") or "")
    return ""


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
