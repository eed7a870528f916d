"""The best-time report on histories made for the test: a clear window is found and explained
with the posts behind it, thin histories fall back to the platform's typical windows, and
stored reports are read while fresh."""

from __future__ import annotations

import math
import random
import statistics
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from growth_manager.db import Database
from growth_manager.insights import besttime
from growth_manager.insights.posts import PostFacts
from growth_manager.models.accounts import SocialAccount
from growth_manager.models.besttime import BestTimeReport
from tests.support.analytics_rows import Seeded
from tests.support.world import World

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")


def history(count: int, best: tuple[int, int], seed: int = 1) -> list[PostFacts]:
    """``count`` posts at random hours of the last 80 days; those within an hour of ``best``
    (weekday, hour) engage three times as much."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        at = NOW - timedelta(days=rng.uniform(0.5, 80), minutes=rng.randint(0, 59))
        near = at.weekday() == best[0] and abs(at.hour - best[1]) <= 1
        audience = 1000.0
        interactions = audience * 0.03 * (3 if near else 1) * rng.uniform(0.8, 1.2)
        out.append(
            PostFacts(
                remote_post_id=i,
                account_id=1,
                platform="x",
                published_at=at,
                text="",
                media_kind=None,
                remote_url=None,
                post_id=None,
                strategy_id=None,
                imported=True,
                interactions=interactions,
                audience=audience,
                engagement_rate=interactions / audience,
                followers=2000.0,
            )
        )
    return out


def test_a_clear_window_is_the_first_recommendation_with_the_posts_behind_it() -> None:
    posts = history(400, (1, 9))
    report = besttime.report(posts, "x", UTC_ZONE, NOW)
    assert report["enough_data"] is True
    assert report["sample_size"] == 400
    first = report["recommendations"][0]
    assert (first["weekday"], first["hour"]) == (1, 9)
    median = statistics.median(p.engagement_rate for p in posts)  # type: ignore[type-var]
    nearby = sum(
        1
        for p in posts
        if min(abs(p.published_at.weekday() - 1), 7 - abs(p.published_at.weekday() - 1)) <= 1
        and min(abs(p.published_at.hour - 9), 24 - abs(p.published_at.hour - 9)) <= 2
    )
    assert first["nearby_posts"] == nearby
    around = [
        p.engagement_rate / median  # type: ignore[operator]
        for p in posts
        if p.published_at.weekday() == 1 and abs(p.published_at.hour - 9) <= 1
    ]
    observed = math.exp(statistics.fmean(math.log(a) for a in around))
    assert first["multiple"] == pytest.approx(observed, rel=0.05)  # +0.5 interaction smoothing
    assert first["posts_around"] == len(around)
    assert first["explanation"] == (
        f"Tuesdays 9–10: {first['multiple']:.1f}× your median engagement, "
        f"from {len(around)} posts at 8–11 on Tuesdays ({nearby} within 2 hours and a day)"
    )
    assert first["multiple"] > 2.5
    cells = {(c["weekday"], c["hour"]): c for c in report["cells"]}
    assert len(cells) == 168
    assert sum(c["posts"] for c in cells.values()) == 400
    assert cells[(1, 9)]["multiple"] > cells[(5, 21)]["multiple"]


def test_the_business_zone_moves_the_window() -> None:
    posts = history(400, (1, 9))
    tokyo = besttime.report(posts, "x", ZoneInfo("Asia/Tokyo"), NOW)  # UTC+9
    first = tokyo["recommendations"][0]
    assert (first["weekday"], first["hour"]) == (1, 18)


@pytest.mark.parametrize("count", [0, 10, besttime.MIN_POSTS - 1])
def test_under_the_threshold_the_typical_windows_labelled_as_such(count: int) -> None:
    report = besttime.report(history(count, (2, 14)), "linkedin", UTC_ZONE, NOW)
    assert report["enough_data"] is False
    assert report["note"] == (
        f"not enough data: {count} posts with numbers in the last 16 weeks, "
        f"{besttime.MIN_POSTS} needed"
    )
    assert [(r["weekday"], r["hour"]) for r in report["recommendations"]] == list(
        besttime.TYPICAL_WINDOWS["linkedin"]
    )
    assert all(
        r["source"] == "typical" and r["multiple"] is None for r in report["recommendations"]
    )
    assert all("not your data" in r["explanation"] for r in report["recommendations"])


def test_posts_older_than_sixteen_weeks_do_not_count() -> None:
    old = [
        PostFacts(**{**p.__dict__, "published_at": p.published_at - timedelta(weeks=20)})
        for p in history(80, (1, 9))
    ]
    report = besttime.report(old, "x", UTC_ZONE, NOW)
    assert report["sample_size"] == 0
    assert report["enough_data"] is False
    assert report["cells"] == []


@pytest.mark.usefixtures("app")
def test_a_stored_report_is_read_while_fresh_and_recomputed_after_a_week(
    database: Database, world: World, seeded: Seeded
) -> None:
    x = seeded.account("x")
    now = datetime.now(UTC)
    with database.session() as session:
        account = session.get(SocialAccount, x.id)
        assert account is not None
        stored = besttime.refresh(session, account, UTC_ZONE, now - timedelta(days=2))
        row = session.get(BestTimeReport, x.id)
        assert row is not None
        assert row.sample_size == stored["sample_size"]
        row.report = {**row.report, "note": "the stored one"}
    with database.session() as session:
        account = session.get(SocialAccount, x.id)
        assert account is not None
        assert besttime.current(session, account, UTC_ZONE, now)["note"] == "the stored one"
        later = besttime.current(session, account, UTC_ZONE, now + timedelta(days=6))
        assert later["note"] != "the stored one"
        other_zone = besttime.current(session, account, ZoneInfo("Asia/Tokyo"), now)
        assert other_zone["zone"] == "Asia/Tokyo"


@pytest.mark.usefixtures("app")
def test_the_weekly_job_stores_every_accounts_report_and_is_scheduled(
    database: Database, world: World, seeded: Seeded, signed_in: object
) -> None:
    from growth_manager.insights import tasks

    with database.session() as session:
        assert tasks.refresh_all(session) == len(seeded.accounts)
    with database.session() as session:
        rows = {r.social_account_id: r for r in session.query(BestTimeReport)}
        assert set(rows) == {a.id for a in seeded.accounts}
        for account in seeded.accounts:
            row = rows[account.id]
            assert row.zone == "Europe/Berlin"
            assert row.sample_size == sum(1 for p in seeded.posts if p.account_id == account.id)
            assert row.enough_data is False
    with database.session() as session:
        assert tasks.refresh_all(session) == 0  # all fresh: nothing recomputed
        first = session.get(BestTimeReport, seeded.accounts[0].id)
        assert first is not None
        first.computed_at = first.computed_at - timedelta(days=8)
    with database.session() as session:
        assert tasks.refresh_all(session) == 1  # only the week-old one
    client = signed_in(world.owner.user)  # type: ignore[operator]
    jobs = client.get("/api/v1/scheduler/jobs").json()["jobs"]
    assert "periodic:insights.best_times" in {j["id"] for j in jobs}
