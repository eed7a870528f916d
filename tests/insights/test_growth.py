"""Audience growth per week, recomputed here from the seeded followers snapshots (and, for
one account, follower gains as LinkedIn pages report them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from growth_manager.db import Database
from growth_manager.models.analytics import MetricSnapshot, MetricSubject
from tests.support.analytics_rows import Seeded
from tests.support.world import World

pytestmark = pytest.mark.usefixtures("app")  # its keys encrypt the seeded accounts' tokens

ZONE = ZoneInfo("Europe/Berlin")  # the world's business zone


def last_before(history: list[tuple[datetime, float]], moment: datetime) -> float | None:
    before = [value for at, value in history if at < moment]
    return before[-1] if before else None


def test_weekly_net_change_gains_losses_and_the_posts_around_the_biggest_jumps(
    database: Database, world: World, seeded: Seeded, now: datetime, signed_in: object
) -> None:
    linkedin = seeded.account("linkedin")
    gains: list[tuple[datetime, float]] = []
    with database.session() as session:
        for days in range(1, 40, 3):
            at = (now - timedelta(days=days)).replace(hour=7, minute=0, second=0, microsecond=0)
            gains.append((at, float(days % 7 + 2)))
            session.add(
                MetricSnapshot(
                    business_id=world.bid,
                    social_account_id=linkedin.id,
                    subject=MetricSubject.account,
                    metric="follower_gain",
                    value=float(days % 7 + 2),
                    captured_at=at,
                    source_field="followerGains.organicFollowerGain+followerGains.paidFollowerGain",
                    api_version="202601",
                )
            )
    since_day = (now.astimezone(ZONE) - timedelta(days=35)).date()
    client: TestClient = signed_in(world.viewer.user)  # type: ignore[operator]
    answer = client.get(
        f"/api/v1/businesses/{world.bid}/insights/growth", params={"since": since_day.isoformat()}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["zone"] == "Europe/Berlin"
    local_since = datetime(since_day.year, since_day.month, since_day.day, tzinfo=ZONE)
    monday = local_since - timedelta(days=local_since.weekday())
    starts = []
    while monday.astimezone(UTC) < now:
        starts.append(monday.astimezone(UTC))
        monday = (monday + timedelta(days=7)).replace(tzinfo=ZONE)
    by_id = {a["account_id"]: a for a in body["accounts"]}
    assert set(by_id) == {a.id for a in seeded.accounts}
    for account in seeded.accounts:
        got = by_id[account.id]
        assert [datetime.fromisoformat(w["week_start"]) for w in got["weeks"]] == starts
        for i, week in enumerate(got["weeks"]):
            start = starts[i]
            end = starts[i + 1] if i + 1 < len(starts) else now + timedelta(seconds=1)
            begin, finish = (
                last_before(account.followers, start),
                last_before(account.followers, end),
            )
            assert week["followers_start"] == begin
            assert week["followers_end"] == finish
            assert week["net"] == pytest.approx(finish - begin)  # type: ignore[operator]
            assert week["growth_rate"] == pytest.approx((finish - begin) / begin)  # type: ignore[operator]
            if account.id == linkedin.id:
                gained = sum(v for at, v in gains if start <= at < end)
                if gained:
                    assert week["gained"] == gained
                    assert week["lost"] == max(gained - week["net"], 0)
            else:
                assert week["gained"] is None
                assert week["lost"] is None
        nets = sorted((w["net"] for w in got["weeks"]), key=lambda n: -abs(n))[:3]
        assert sorted(abs(j["net"]) for j in got["jumps"]) == sorted(abs(n) for n in nets)
        for jump in got["jumps"]:
            start = datetime.fromisoformat(jump["week_start"])
            near = [
                p
                for p in seeded.posts
                if p.account_id == account.id
                and start - timedelta(days=2) <= p.published_at < start + timedelta(days=7)
            ]
            assert {p["remote_post_id"] for p in jump["posts"]} <= {p.id for p in near}
            assert len(jump["posts"]) == min(3, len(near))
        assert got["reports_gains"] is (account.id == linkedin.id)
