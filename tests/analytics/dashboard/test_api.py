"""The analytics read API against rows written through the models: every answer is checked
against values recomputed here from the inserted rows (the formulas restated, not imported),
plus filters, sorting, CSV, provenance, tenancy and the 422 messages."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from growth_manager.db import Database
from growth_manager.models.accounts import SocialAccount
from growth_manager.models.analytics import MetricSnapshot, MetricSubject
from growth_manager.models.content import Post
from growth_manager.models.publishing import PostTarget
from tests.support.analytics_rows import FIELDS, VERSIONS, Seeded, SeededPost, seed_analytics
from tests.support.world import World

API = "/api/v1/businesses/{}/analytics"


def interactions_of(latest: dict[str, float]) -> float | None:
    """The documented numerator: reactions (else likes) + comments + shares + reposts + quotes
    + saves + bookmarks; None when none of them was reported."""
    names = ("comments", "shares", "reposts", "quotes", "saves", "bookmarks")
    first = latest["reactions"] if "reactions" in latest else latest.get("likes")
    parts = [first] + [latest.get(n) for n in names]
    known = [p for p in parts if p is not None]
    return sum(known) if known else None


def audience_of(latest: dict[str, float]) -> float | None:
    if latest.get("impressions"):
        return latest["impressions"]
    if latest.get("reach"):
        return latest["reach"]
    return None


def er_of(latest: dict[str, float]) -> float | None:
    top, bottom = interactions_of(latest), audience_of(latest)
    return None if top is None or bottom is None else top / bottom


def in_period(posts: list[SeededPost], since: datetime, until: datetime) -> list[SeededPost]:
    return [p for p in posts if since <= p.published_at < until]


def followers_before(seeded: Seeded, platform: str, moment: datetime) -> float | None:
    values = [v for at, v in seeded.account(platform).followers if at < moment]
    return values[-1] if values else None


def get(client: TestClient, world: World, path: str, **params: Any) -> Any:
    response = client.get(API.format(world.bid) + path, params=params, headers=world.viewer.headers)
    assert response.status_code == 200, response.text
    return response.json()


# --- overview ------------------------------------------------------------------------------
def test_overview_totals_rates_and_followers_match_the_rows(
    client: TestClient, world: World, seeded: Seeded
) -> None:
    until = max(p.published_at for p in seeded.posts) + timedelta(seconds=1)
    since = until - timedelta(days=20)
    body = get(client, world, "/overview", since=since.isoformat(), until=until.isoformat())
    assert body["period"]["since"].startswith(since.strftime("%Y-%m-%dT%H:%M:%S"))
    by_platform = {p["platform"]: p for p in body["platforms"]}
    assert list(by_platform) == ["x", "linkedin", "facebook"]  # the registry's order
    previous_since = since - timedelta(days=20)
    for platform, item in by_platform.items():
        mine = [p for p in seeded.posts if p.platform == platform]
        now = in_period(mine, since, until)
        before = in_period(mine, previous_since, since)
        current = item["current"]
        assert current["posts"] == len(now)
        assert item["previous"]["posts"] == len(before)
        assert current["impressions"] == pytest.approx(sum(p.latest["impressions"] for p in now))
        reach = [p.latest["reach"] for p in now if "reach" in p.latest]
        assert current["reach"] == (pytest.approx(sum(reach)) if reach else None)
        assert current["interactions"] == pytest.approx(
            sum(interactions_of(p.latest) or 0 for p in now)
        )
        rated = [p for p in now if er_of(p.latest) is not None]
        expected_er = sum(interactions_of(p.latest) or 0 for p in rated) / sum(
            audience_of(p.latest) or 0 for p in rated
        )
        assert current["engagement_rate"] == pytest.approx(expected_er)
        clicked = [p for p in now if "clicks" in p.latest]
        if clicked:
            assert current["click_through_rate"] == pytest.approx(
                sum(p.latest["clicks"] for p in clicked)
                / sum(p.latest["impressions"] for p in clicked)
            )
        else:  # Facebook reports no clicks here: not available, not 0
            assert current["click_through_rate"] is None
        end = followers_before(seeded, platform, until)
        start = followers_before(seeded, platform, since)
        assert item["followers"] == end
        assert item["followers_before"] == start
        assert item["followers_change"] == pytest.approx(end - start)  # type: ignore[operator]
    totals = body["totals"]
    assert totals["platform"] == "all"
    assert totals["current"]["posts"] == len(in_period(seeded.posts, since, until))
    assert totals["followers"] == pytest.approx(
        sum(followers_before(seeded, a.platform, until) or 0 for a in seeded.accounts)
    )


def test_overview_filters_platforms(client: TestClient, world: World, seeded: Seeded) -> None:
    body = get(client, world, "/overview", platforms="linkedin,facebook", since="2020-01-01")
    assert [p["platform"] for p in body["platforms"]] == ["linkedin", "facebook"]
    expected = len([p for p in seeded.posts if p.platform != "x"])
    assert body["totals"]["current"]["posts"] == expected


def test_a_business_without_numbers_says_not_available(client: TestClient, world: World) -> None:
    body = get(client, world, "/overview")
    assert body["platforms"] == []
    assert body["totals"]["current"]["engagement_rate"] is None
    assert body["totals"]["followers"] is None


# --- posts ---------------------------------------------------------------------------------
def test_posts_sort_by_a_metric_and_by_engagement_rate(
    client: TestClient, world: World, seeded: Seeded
) -> None:
    body = get(client, world, "/posts", since="2020-01-01", sort="impressions", order="desc")
    assert body["total"] == len(seeded.posts)
    expected = sorted(seeded.posts, key=lambda p: -p.latest["impressions"])
    assert [i["id"] for i in body["items"]] == [p.id for p in expected]

    body = get(client, world, "/posts", since="2020-01-01", sort="engagement_rate", order="asc")
    expected = sorted(seeded.posts, key=lambda p: er_of(p.latest) or 0)
    assert [i["id"] for i in body["items"]] == [p.id for p in expected]
    first = body["items"][0]
    post = next(p for p in seeded.posts if p.id == first["id"])
    assert first["engagement_rate"] == pytest.approx(er_of(post.latest))
    assert first["metrics"] == post.latest


def test_posts_without_a_value_come_last_either_way(
    database: Database, client: TestClient, world: World, now: datetime
) -> None:
    seeded = seed_analytics(
        database,
        world.bid,
        now,
        posts_per_platform=3,
        platforms=("x",),
        extra_posts=[
            {"platform": "x", "published_at": now - timedelta(days=1), "latest": {}},
        ],
    )
    blank = seeded.posts[-1].id
    for order in ("asc", "desc"):
        body = get(client, world, "/posts", sort="engagement_rate", order=order, since="2020-01-01")
        assert body["items"][-1]["id"] == blank
        assert body["items"][-1]["engagement_rate"] is None
        assert body["items"][-1]["click_through_rate"] is None


def test_posts_filter_by_period_platform_and_paginate(
    client: TestClient, world: World, seeded: Seeded, now: datetime
) -> None:
    since = now - timedelta(days=25)
    body = get(
        client,
        world,
        "/posts",
        since=since.isoformat(),
        until=now.isoformat(),
        platforms="x",
        sort="published_at",
        order="asc",
        limit=3,
        offset=2,
    )
    expected = sorted(
        (p for p in seeded.posts if p.platform == "x" and since <= p.published_at < now),
        key=lambda p: p.published_at,
    )
    assert body["total"] == len(expected)
    assert [i["id"] for i in body["items"]] == [p.id for p in expected[2:5]]
    assert {i["platform"] for i in body["items"]} == {"x"}


def test_our_posts_link_to_their_page(
    database: Database, client: TestClient, world: World, now: datetime
) -> None:
    with database.session() as session:
        post = Post(business_id=world.bid, title="Launch", base_text="We open Saturday")
        session.add(post)
        session.flush()
        account = SocialAccount(
            business_id=world.bid,
            platform="linkedin",
            kind="member",
            external_id="li-ours",
            name="Ours",
            access_token="t",
        )
        session.add(account)
        session.flush()
        target = PostTarget(
            post_id=post.id,
            business_id=world.bid,
            social_account_id=account.id,
            platform="linkedin",
            scheduled_at=now - timedelta(hours=3),
        )
        session.add(target)
        session.flush()
        post_id, target_id = post.id, target.id
    seed_analytics(
        database,
        world.bid,
        now,
        posts_per_platform=1,
        platforms=("linkedin",),
        extra_posts=[
            {
                "platform": "linkedin",
                "published_at": now - timedelta(hours=3),
                "latest": {"likes": 3, "impressions": 90},
                "post_target_id": target_id,
            }
        ],
    )
    items = get(client, world, "/posts", sort="published_at")["items"]
    ours = [i for i in items if i["post_id"] is not None]
    assert len(ours) == 1
    assert ours[0]["post_url"] == f"/businesses/{world.bid}/posts/{post_id}"
    assert ours[0]["imported"] is False
    assert all(i["imported"] for i in items if i["post_id"] is None)


def test_posts_export_as_csv(client: TestClient, world: World, seeded: Seeded) -> None:
    response = client.get(
        API.format(world.bid) + "/posts",
        params={"since": "2020-01-01", "sort": "likes", "order": "desc"},
        headers={**world.viewer.headers, "Accept": "text/csv"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == len(seeded.posts)  # every post, not one page
    by_id = {p.id: p for p in seeded.posts}
    for row in rows:
        post = by_id[int(row["id"])]
        assert row["platform"] == post.platform
        assert row["text"] == post.text
        for metric in ("impressions", "likes", "reach", "clicks"):
            expected = post.latest.get(metric)
            assert row[metric] == ("" if expected is None else str(int(expected)))
        er = er_of(post.latest)
        assert float(row["engagement_rate"]) == pytest.approx(er)
    likes = [float(r["likes"]) for r in rows if r["likes"]]
    assert likes == sorted(likes, reverse=True)
    same = client.get(
        API.format(world.bid) + "/posts",
        params={"since": "2020-01-01", "format": "csv"},
        headers=world.viewer.headers,
    )
    assert same.headers["content-type"].startswith("text/csv")


def test_csv_cells_never_start_a_formula(
    database: Database, client: TestClient, world: World, now: datetime
) -> None:
    seed_analytics(
        database,
        world.bid,
        now,
        posts_per_platform=0,
        platforms=("x",),
        extra_posts=[
            {
                "platform": "x",
                "published_at": now - timedelta(hours=1),
                "latest": {"likes": 1},
                "text": '=HYPERLINK("http://evil")',
            }
        ],
    )
    response = client.get(
        API.format(world.bid) + "/posts", params={"format": "csv"}, headers=world.viewer.headers
    )
    row = next(csv.DictReader(io.StringIO(response.text)))
    assert row["text"] == '\'=HYPERLINK("http://evil")'


# --- one post ------------------------------------------------------------------------------
def test_a_post_has_provenance_and_history(
    database: Database, client: TestClient, world: World, seeded: Seeded
) -> None:
    post = next(p for p in seeded.posts if p.platform == "linkedin")
    body = get(client, world, f"/posts/{post.id}")
    with database.session() as session:
        snapshots = list(
            session.query(MetricSnapshot)
            .filter(MetricSnapshot.remote_post_id == post.id)
            .order_by(MetricSnapshot.captured_at)
        )
    latest_at = {s.metric: s.captured_at for s in snapshots}
    metrics = {m["metric"]: m for m in body["metrics"]}
    assert set(metrics) == set(post.latest)
    for name, item in metrics.items():
        assert item["value"] == post.latest[name]
        assert item["provenance"]["source_field"] == FIELDS["linkedin"][name]
        assert item["provenance"]["api_version"] == VERSIONS["linkedin"]
        at = datetime.fromisoformat(item["provenance"]["captured_at"].replace("Z", "+00:00"))
        assert at == latest_at[name]
    series = {s["metric"]: s["points"] for s in body["series"]}
    for name in post.latest:
        expected = [(s.captured_at, s.value) for s in snapshots if s.metric == name]
        got = [
            (datetime.fromisoformat(p["at"].replace("Z", "+00:00")), p["value"])
            for p in series[name]
        ]
        assert got == expected

    response = client.get(
        API.format(world.bid) + f"/posts/{post.id}",
        params={"format": "csv"},
        headers=world.viewer.headers,
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == len(snapshots)
    assert {r["source_field"] for r in rows} == {FIELDS["linkedin"][m] for m in post.latest}


# --- account series ------------------------------------------------------------------------
def test_account_series_has_the_snapshots_of_the_period(
    client: TestClient, world: World, seeded: Seeded, now: datetime
) -> None:
    account = seeded.account("x")
    since = now - timedelta(days=10)
    body = get(
        client,
        world,
        f"/accounts/{account.id}/series",
        metrics="followers",
        since=since.isoformat(),
        until=now.isoformat(),
    )
    assert body["platform"] == "x"
    [series] = body["series"]
    expected = [(at, v) for at, v in account.followers if since <= at < now]
    got = [
        (datetime.fromisoformat(p["at"].replace("Z", "+00:00")), p["value"])
        for p in series["points"]
    ]
    assert got == expected
    assert {p["source_field"] for p in series["points"]} == {FIELDS["x"]["followers"]}
    assert {p["api_version"] for p in series["points"]} == {"2"}

    response = client.get(
        API.format(world.bid) + f"/accounts/{account.id}/series",
        params={"since": since.isoformat(), "until": now.isoformat(), "format": "csv"},
        headers=world.viewer.headers,
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [float(r["value"]) for r in rows] == [v for _, v in expected]


def test_account_series_leaves_out_post_snapshots(
    database: Database, client: TestClient, world: World, seeded: Seeded, now: datetime
) -> None:
    account = seeded.account("linkedin")
    body = get(client, world, f"/accounts/{account.id}/series", since="2020-01-01")
    assert [s["metric"] for s in body["series"]] == ["followers"]
    with database.session() as session:
        session.add(
            MetricSnapshot(
                business_id=world.bid,
                social_account_id=account.id,
                subject=MetricSubject.account,
                metric="page_views",
                value=77,
                captured_at=now - timedelta(hours=2),
                source_field="views",
                api_version="202601",
            )
        )
    body = get(client, world, f"/accounts/{account.id}/series", metrics="page_views")
    assert [(s["metric"], [p["value"] for p in s["points"]]) for s in body["series"]] == [
        ("page_views", [77.0])
    ]


# --- tenancy and roles ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "path", ["/overview", "/posts", "/posts/{post}", "/accounts/{account}/series"]
)
def test_another_business_is_not_found(
    client: TestClient, world: World, seeded: Seeded, path: str
) -> None:
    filled = path.format(post=seeded.posts[0].id, account=seeded.accounts[0].id)
    response = client.get(API.format(world.bid) + filled, headers=world.outsider.headers)
    assert response.status_code == 404
    assert response.json()["type"] == "not_found"
    # The outsider's own business does not hold our post or account either.
    if "{" in path:
        response = client.get(
            API.format(world.other_business.id) + filled, headers=world.outsider.headers
        )
        assert response.status_code == 404


def test_without_credentials_is_401(client: TestClient, world: World) -> None:
    assert client.get(API.format(world.bid) + "/overview").status_code == 401


# --- 422 -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "params", "words"),
    [
        ("/overview", {"since": "yesterday"}, "since must be a date"),
        ("/overview", {"until": "2026-13-45"}, "until must be a date"),
        ("/overview", {"since": "2026-05-01", "until": "2026-04-01"}, "must be before until"),
        ("/overview", {"platforms": "x,myspace"}, "Unknown platform 'myspace'"),
        ("/posts", {"sort": "vibes"}, "Unknown sort 'vibes'"),
        ("/posts", {"order": "sideways"}, "order must be asc or desc"),
        ("/posts", {"format": "xml"}, "format must be csv or json"),
        ("/posts", {"limit": "0"}, "limit"),
        ("/accounts/{account}/series", {"metrics": "followers,mood"}, "Unknown metric 'mood'"),
    ],
)
def test_bad_inputs_are_422_with_a_clear_message(
    client: TestClient, world: World, seeded: Seeded, path: str, params: dict[str, str], words: str
) -> None:
    response = client.get(
        API.format(world.bid) + path.format(account=seeded.accounts[0].id),
        params=params,
        headers=world.viewer.headers,
    )
    assert response.status_code == 422, response.text
    assert words in response.json()["detail"]
