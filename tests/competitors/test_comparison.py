"""The side-by-side comparison, its numbers recomputed here from what the reads stored: the
business's own X account (synced by the analytics sync) and a competitor read on two days."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from growth_manager.analytics.sync import Syncer
from growth_manager.competitors.sync import CompetitorSyncer
from growth_manager.config import Settings
from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.analytics import MetricSnapshot, MetricSubject, RemotePost, SyncRun
from growth_manager.models.competitors import CompetitorSnapshot
from tests.competitors.conftest import Rivals, add
from tests.support.owners import Owner
from tests.support.tokenhealth import connect_x

X_PUBLIC = ("like_count", "reply_count", "retweet_count", "quote_count", "bookmark_count")
OURS = ("likes", "comments", "reposts", "quotes", "bookmarks")
WEEK = timedelta(days=7)


def _import_own(database: Database, settings: Settings, account_id: int) -> None:
    with database.read_session() as session:
        run_id = session.scalars(
            select(SyncRun.id).where(SyncRun.social_account_id == account_id)
        ).first()
    assert run_id is not None
    Syncer(database, settings).sync_account(account_id, run_id)


def _row(rows: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    return next(r for r in rows if r["kind"] == kind)


def test_comparison_numbers(
    gm: TestClient,
    owner: Owner,
    database: Database,
    rivals: Rivals,
    sandbox_settings: Settings,
) -> None:
    account_id = connect_x(gm, owner, database)
    _import_own(database, sandbox_settings, account_id)
    rivals.make("x", "rivalroasters", posts=45, days=90)
    competitor_id = add(gm, owner, "x", "rivalroasters").json()["id"]
    rivals.advance(86_400)
    assert CompetitorSyncer(database, sandbox_settings).sync_due(
        utcnow() + timedelta(days=1, minutes=1)
    ) == {"ok": 1}

    since = utcnow() - timedelta(days=20)
    until = utcnow() + timedelta(days=2)
    answer = gm.get(
        f"/api/v1/businesses/{owner.business_id}/insights/competitors",
        params={"since": since.isoformat(), "until": until.isoformat(), "platforms": "x"},
        headers=owner.headers,
    )
    assert answer.status_code == 200, answer.text
    rows = answer.json()["rows"]
    assert [r["kind"] for r in rows] == ["own", "competitor"]

    with database.read_session() as session:
        snapshots = list(
            session.scalars(
                select(CompetitorSnapshot)
                .where(CompetitorSnapshot.competitor_id == competitor_id)
                .order_by(CompetitorSnapshot.captured_at)
            )
        )
        own_followers = [
            (s.captured_at, s.value)
            for s in session.scalars(
                select(MetricSnapshot)
                .where(
                    MetricSnapshot.social_account_id == account_id,
                    MetricSnapshot.subject == MetricSubject.account,
                    MetricSnapshot.metric == "followers",
                )
                .order_by(MetricSnapshot.captured_at)
            )
        ]
        own_posts = [
            r.latest
            for r in session.scalars(
                select(RemotePost).where(
                    RemotePost.social_account_id == account_id,
                    RemotePost.published_at >= since,
                    RemotePost.published_at < until,
                )
            )
        ]

    # The competitor: growth between its two reads, posts known from any read.
    theirs = _row(rows, "competitor")
    first, last = snapshots[0], snapshots[-1]
    assert theirs["followers"] == last.followers
    assert theirs["followers_at_start"] == first.followers
    assert theirs["growth_percent"] == pytest.approx(
        (last.followers - first.followers) / first.followers * 100
    )
    posts: dict[str, dict[str, Any]] = {}
    for snapshot in snapshots:
        for post in snapshot.posts:
            posts[post["id"]] = post
    inside = [
        p for p in posts.values() if since <= datetime.fromisoformat(p["published_at"]) < until
    ]
    covered = max(since, first.captured_at - timedelta(days=30))
    assert theirs["posts"] == len(inside)
    assert theirs["posts_per_week"] == pytest.approx(len(inside) / ((until - covered) / WEEK))
    sums = [sum(p["raw"]["public_metrics"][n] for n in X_PUBLIC) for p in inside]
    assert theirs["engagement_per_post"] == pytest.approx(statistics.mean(sums))

    # The business's own account: the same measures from its synced posts and followers.
    ours = _row(rows, "own")
    assert ours["followers"] == own_followers[-1][1]
    assert ours["posts"] == len(own_posts) > 0
    assert ours["posts_per_week"] == pytest.approx(len(own_posts) / ((until - since) / WEEK))
    own_sums = [sum(p.get(k, 0) for k in OURS) for p in own_posts]
    assert ours["engagement_per_post"] == pytest.approx(statistics.mean(own_sums))


def test_bad_filters_are_422(gm: TestClient, owner: Owner) -> None:
    url = f"/api/v1/businesses/{owner.business_id}/insights/competitors"
    bad_date = gm.get(url, params={"since": "yesterday"}, headers=owner.headers)
    assert bad_date.status_code == 422
    assert "since" in bad_date.json()["detail"]
    bad_platform = gm.get(url, params={"platforms": "myspace"}, headers=owner.headers)
    assert bad_platform.status_code == 422
    assert "myspace" in bad_platform.json()["detail"]
