"""Adding competitors reads them at once through the business's connected account, over real
HTTP against the sandbox: a public X account (followers and the recent posts' public numbers,
checked against the sandbox's ground truth and recomputed from the raw platform fields), a
username that does not exist, a protected and a suspended account; an Instagram business
account through Business Discovery, a personal account and a missing one."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from growth_manager.db import Database
from growth_manager.models.competitors import CompetitorSnapshot
from tests.competitors.conftest import Rivals, add
from tests.support.owners import Owner
from tests.support.tokenhealth import connect_meta, connect_x


def _snapshots(database: Database, competitor_id: int) -> list[CompetitorSnapshot]:
    with database.read_session() as session:
        return list(
            session.scalars(
                select(CompetitorSnapshot)
                .where(CompetitorSnapshot.competitor_id == competitor_id)
                .order_by(CompetitorSnapshot.id)
            )
        )


def test_a_public_x_account_is_read_on_add(
    gm: TestClient, owner: Owner, database: Database, rivals: Rivals
) -> None:
    connect_x(gm, owner, database)
    made = rivals.make("x", "rivalroasters", posts=40, days=60)
    answer = add(gm, owner, "x", "@RivalRoasters")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["status"] == "ok"
    assert body["remote_id"] == made["id"]
    assert body["handle"] == "RivalRoasters"
    truth = rivals.truth("x", made["id"])
    assert body["latest"]["followers"] == truth["followers_count"]
    assert body["latest"]["posts_count"] == 40
    (snapshot,) = _snapshots(database, body["id"])
    # Recomputed from the platform's own field names, not from what the product derived.
    captured = snapshot.captured_at
    recent = [
        p
        for p in snapshot.posts
        if captured - timedelta(days=30) <= datetime.fromisoformat(p["published_at"]) <= captured
    ]
    assert recent
    assert snapshot.posts_30d == len(recent)
    sums = [
        sum(
            p["raw"]["public_metrics"][name]
            for name in (
                "like_count",
                "reply_count",
                "retweet_count",
                "quote_count",
                "bookmark_count",
            )
        )
        for p in recent
    ]
    assert snapshot.mean_interactions == sum(sums) / len(sums)
    assert snapshot.median_interactions == statistics.median(sums)
    # 40 posts over 60 days: about 20 in the last 30.
    assert 15 <= len(recent) <= 25


def test_a_username_that_does_not_exist_is_not_found_with_xs_words(
    gm: TestClient, owner: Owner, database: Database, rivals: Rivals
) -> None:
    connect_x(gm, owner, database)
    body = add(gm, owner, "x", "nobody_here_42").json()
    assert body["status"] == "not_found"
    assert body["status_message"] == "Could not find user with username: [nobody_here_42]."
    assert body["latest"] is None
    assert _snapshots(database, body["id"]) == []


def test_a_protected_account_keeps_its_numbers_but_not_its_posts(
    gm: TestClient, owner: Owner, database: Database, rivals: Rivals
) -> None:
    connect_x(gm, owner, database)
    made = rivals.make("x", "quietcafe", kind="protected", posts=12)
    body = add(gm, owner, "x", "quietcafe").json()
    assert body["status"] == "protected"
    assert "protected" in body["status_message"]
    assert body["latest"]["followers"] == rivals.truth("x", made["id"])["followers_count"]
    assert body["latest"]["posts_30d"] == 0
    assert body["latest"]["mean_interactions"] is None


def test_a_suspended_account_is_not_found(
    gm: TestClient, owner: Owner, database: Database, rivals: Rivals
) -> None:
    connect_x(gm, owner, database)
    rivals.make("x", "gonecafe", kind="suspended", posts=3)
    body = add(gm, owner, "x", "gonecafe").json()
    assert body["status"] == "not_found"
    assert body["status_message"] == "User has been suspended: [gonecafe]."


def test_instagram_business_personal_and_missing_accounts(
    gm: TestClient, owner: Owner, database: Database, rivals: Rivals
) -> None:
    connect_meta(gm, owner, database)
    made = rivals.make("meta", "bloomandco", kind="business", posts=20, days=40)
    rivals.make("meta", "janespersonal", kind="personal")
    business = add(gm, owner, "instagram", "bloomandco").json()
    assert business["status"] == "ok", business
    assert business["remote_id"] == made["id"]
    truth = rivals.truth("meta", made["id"])
    assert business["latest"]["followers"] == truth["followers"]
    assert business["latest"]["posts_count"] == 20
    (snapshot,) = _snapshots(database, business["id"])
    sums = [p["raw"]["like_count"] + p["raw"]["comments_count"] for p in snapshot.posts]
    assert len(sums) == snapshot.posts_30d
    assert snapshot.mean_interactions == sum(sums) / len(sums)
    for handle in ("janespersonal", "no_such_account_42"):
        refused = add(gm, owner, "instagram", handle).json()
        assert refused["status"] == "not_business", refused
        assert f"The user with username: {handle} cannot be found." in refused["status_message"]
        assert refused["latest"] is None


def test_instagram_media_are_paged_back_to_thirty_days(
    gm: TestClient, owner: Owner, database: Database, rivals: Rivals
) -> None:
    connect_meta(gm, owner, database)
    # 150 media over 60 days: about 75 in the last 30, more than one page of 50.
    rivals.make("meta", "busyrival", posts=150, days=60)
    body = add(gm, owner, "instagram", "busyrival").json()
    (snapshot,) = _snapshots(database, body["id"])
    captured = snapshot.captured_at
    ages = [captured - datetime.fromisoformat(p["published_at"]) for p in snapshot.posts]
    assert max(ages) <= timedelta(days=30)
    assert 65 <= snapshot.posts_30d <= 85
    assert snapshot.posts_30d == len(snapshot.posts)
