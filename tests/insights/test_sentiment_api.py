"""The sentiment API and the Insights page's section, on comments written for the test under
seeded posts: totals, weeks, posts and the most negative comments checked against figures
recomputed here from the texts (with VADER itself), filters, 422s and business scoping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from growth_manager.db import Database
from growth_manager.insights import sentiment
from growth_manager.models.analytics import RemotePost
from growth_manager.models.comments import RemoteComment
from growth_manager.models.user import User
from tests.support.analytics_rows import Seeded
from tests.support.world import World

API = "/api/v1/businesses/{}/insights"

# (text, days ago, post index) under the seeded posts.
WRITTEN = [
    ("Absolutely love this, thank you so much!", 2, 0),
    ("Great service and friendly staff.", 3, 0),
    ("What time do you open on Sunday?", 3, 0),
    ("Worst experience ever. Never again.", 4, 1),
    ("The bread was stale and the staff were rude.", 5, 1),
    ("Best bakery in town :)", 9, 2),
    ("Terrible service, I want a refund.", 10, 2),
    ("Posted on Tuesday.", 12, 3),
    ("I HATE THIS!!!", 50, 3),  # outside a 30-day period
]


@pytest.fixture
def comments(database: Database, seeded: Seeded, now: datetime) -> list[dict[str, Any]]:
    posts = sorted(seeded.posts, key=lambda p: p.id)
    made = []
    with database.session() as session:
        for n, (text, days, index) in enumerate(WRITTEN):
            post = posts[index]
            compound, label = sentiment.score(text)
            remote_post = session.get_one(RemotePost, post.id)
            row = RemoteComment(
                business_id=remote_post.business_id,
                social_account_id=post.account_id,
                remote_post_id=post.id,
                platform=post.platform,
                remote_id=f"c{n}",
                author_name=f"Person {n}",
                text=text,
                commented_at=now - timedelta(days=days),
                permalink=f"https://example.test/c{n}" if n % 2 else None,
                sentiment=compound,
                label=label,
                scored_with=sentiment.scored_with(),
            )
            session.add(row)
            made.append(
                {
                    "text": text,
                    "days": days,
                    "post": post,
                    "remote_id": f"c{n}",
                    "answer_url": row.permalink or remote_post.remote_url,
                }
            )
    return made


def vader(text: str) -> float:
    return float(SentimentIntensityAnalyzer().polarity_scores(text)["compound"])


def expected_label(compound: float) -> str:
    return "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"


def test_totals_weeks_posts_and_most_negative_match_the_comments(
    client: TestClient, world: World, comments: list[dict[str, Any]]
) -> None:
    response = client.get(API.format(world.bid) + "/sentiment", headers=world.viewer.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    inside = [c for c in comments if c["days"] < 30]
    labels = [expected_label(vader(c["text"])) for c in inside]
    totals = body["totals"]
    assert totals["count"] == len(inside)
    for label in ("positive", "neutral", "negative"):
        assert totals[label] == labels.count(label)
        assert totals[f"{label}_share"] == pytest.approx(labels.count(label) / len(inside))
    assert totals["average_compound"] == pytest.approx(
        sum(vader(c["text"]) for c in inside) / len(inside)
    )
    assert sum(w["count"] for w in body["by_week"]) == len(inside)
    assert all(datetime.fromisoformat(w["week_start"]).weekday() == 0 for w in body["by_week"])
    assert sum(p["count"] for p in body["by_post"]) == len(inside)
    averages = [p["average_compound"] for p in body["by_post"]]
    assert averages == sorted(averages), "most negative posts first"

    negative = sorted((vader(c["text"]), c) for c in inside if vader(c["text"]) <= -0.05)
    listed = body["most_negative"]
    assert [n["text"] for n in listed] == [c["text"] for _, c in negative]
    for item, (_, written) in zip(listed, negative, strict=True):
        assert item["answer_url"] == written["answer_url"]
        assert item["label"] == "negative"
        assert item["scored_with"].startswith("vader ")


def test_period_and_platform_filters(
    client: TestClient, world: World, comments: list[dict[str, Any]], now: datetime
) -> None:
    since = (now - timedelta(days=60)).date().isoformat()
    body = client.get(
        API.format(world.bid) + "/sentiment", params={"since": since}, headers=world.viewer.headers
    ).json()
    assert body["totals"]["count"] == len(comments)
    platform = comments[0]["post"].platform
    body = client.get(
        API.format(world.bid) + "/sentiment",
        params={"since": since, "platforms": platform},
        headers=world.viewer.headers,
    ).json()
    assert body["totals"]["count"] == sum(1 for c in comments if c["post"].platform == platform)


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"platforms": "myspace"}, "myspace"),
        ({"since": "yesterday-ish"}, "since"),
        ({"since": "2026-05-02", "until": "2026-05-01"}, "must be before"),
    ],
)
def test_bad_filters_are_422_naming_the_problem(
    client: TestClient, world: World, params: dict[str, str], words: str
) -> None:
    response = client.get(
        API.format(world.bid) + "/sentiment", params=params, headers=world.viewer.headers
    )
    assert response.status_code == 422
    assert words in response.text


def test_a_posts_comments_with_their_scores(
    client: TestClient, world: World, comments: list[dict[str, Any]]
) -> None:
    post = comments[0]["post"]
    response = client.get(
        API.format(world.bid) + f"/posts/{post.id}/comments", headers=world.viewer.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    mine = [c for c in comments if c["post"].id == post.id]
    assert [c["text"] for c in body["comments"]] == [
        c["text"] for c in sorted(mine, key=lambda c: -c["days"])
    ]
    for item in body["comments"]:
        assert item["compound"] == pytest.approx(vader(item["text"]))
        assert item["label"] == expected_label(vader(item["text"]))
    assert body["tone"]["count"] == len(mine)


def test_another_business_sees_nothing(
    client: TestClient, world: World, comments: list[dict[str, Any]]
) -> None:
    post = comments[0]["post"]
    for path in ("/sentiment", f"/posts/{post.id}/comments"):
        response = client.get(API.format(world.bid) + path, headers=world.outsider.headers)
        assert response.status_code == 404
    # The outsider's own business holds neither the post nor the comments.
    response = client.get(
        API.format(world.other_business.id) + f"/posts/{post.id}/comments",
        headers=world.outsider.headers,
    )
    assert response.status_code == 404
    body = client.get(
        API.format(world.other_business.id) + "/sentiment", headers=world.outsider.headers
    ).json()
    assert body["totals"]["count"] == 0
    assert client.get(API.format(world.bid) + "/sentiment").status_code == 401


def test_the_insights_page_shows_the_tone_and_the_comments_to_answer(
    signed_in: Callable[[User], TestClient], world: World, comments: list[dict[str, Any]]
) -> None:
    page = signed_in(world.viewer.user).get(f"/businesses/{world.bid}/insights")
    assert page.status_code == 200
    html = page.text
    assert 'data-testid="insight-sentiment"' in html
    inside = [c for c in comments if c["days"] < 30]
    assert f"<strong>{len(inside)}</strong> comments" in html
    negatives = [c for c in inside if vader(c["text"]) <= -0.05]
    assert html.count('data-testid="negative-comment"') == len(negatives)
    assert "https://example.test/c3" in html  # a permalink to answer on the platform
