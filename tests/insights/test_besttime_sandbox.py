"""The issue's check: on sandbox accounts with enough history, connected and imported through
the real sync, each account's hidden best window (from ``/_sandbox/accounts``, in UTC,
converted into the business's zone) is among the top three recommendations for at least 9 in
10 accounts; accounts below the threshold say "not enough data"."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx2
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from growth_manager.analytics.sync import Syncer
from growth_manager.config import Settings
from growth_manager.db import Database
from growth_manager.insights import besttime
from growth_manager.models.accounts import SocialAccount
from growth_manager.models.analytics import RemotePost, SyncRun, SyncTrigger
from growth_manager.models.besttime import BestTimeReport
from growth_manager.models.business import Business
from tests.support.connecting import finish, start
from tests.support.consent import consent
from tests.support.owners import Owner
from tests.support.sandbox import SandboxHandle

ZONE = "Asia/Tokyo"  # UTC+9 all year: whole hours, no DST, and late UTC hours change the day
RICH, THIN = 20, 2
# "Enough history": 200 posts in the 90 days (about two a day). With 120 the method finds the
# window for about 91 % of accounts (simulated over 400), too close to 90 % for a check on 20
# accounts not to fail now and then; with 200, for about 98 %.
POSTS = 200


def _create(sandbox: SandboxHandle, count: int, posts: int) -> list[dict[str, Any]]:
    response = httpx2.post(
        f"{sandbox.url}/_sandbox/accounts",
        json={"platform": "x", "count": count, "posts": posts, "name": "Corner Shop"},
        timeout=60,
    )
    assert response.status_code == 201, response.text
    made: list[dict[str, Any]] = response.json()["accounts"]
    return made


def _connect_and_import(
    gm: TestClient, owner: Owner, database: Database, syncer: Syncer, user_id: str
) -> int:
    response = finish(gm, owner, consent(start(gm, owner), choose={"account": user_id}))
    assert response.status_code == 303, response.text
    with database.session() as session:
        account_id = session.scalars(
            select(SocialAccount.id).where(SocialAccount.external_id == user_id)
        ).one()
        run_id = session.scalar(
            select(SyncRun.id)
            .where(SyncRun.social_account_id == account_id, SyncRun.trigger == SyncTrigger.connect)
            .order_by(SyncRun.id.desc())
        )
    assert run_id is not None, "connecting the account started no sync"
    syncer.sync_account(account_id, run_id)
    return account_id


def _local_window(profile: dict[str, Any], zone: ZoneInfo) -> tuple[int, int]:
    """The hidden window (UTC weekday and hour) as a weekday and hour in ``zone``."""
    monday = datetime(2026, 11, 30, tzinfo=UTC)  # a Monday
    at = monday + timedelta(days=profile["best_weekday"], hours=profile["best_hour"])
    local = at.astimezone(zone)
    return local.weekday(), local.hour


def test_the_hidden_best_window_is_in_the_top_three_for_nine_in_ten_accounts(
    gm: TestClient,
    owner: Owner,
    database: Database,
    sandbox_settings: Settings,
    fresh_sandbox: SandboxHandle,
) -> None:
    started = time.monotonic()
    with database.session() as session:
        session.execute(
            update(Business).where(Business.id == owner.business_id).values(timezone=ZONE)
        )
    syncer = Syncer(database, sandbox_settings)
    rich = _create(fresh_sandbox, RICH, POSTS)
    thin = _create(fresh_sandbox, THIN, 40)
    ids = {
        user["id"]: _connect_and_import(gm, owner, database, syncer, user["id"])
        for user in rich + thin
    }
    imported = time.monotonic() - started
    listed = httpx2.get(f"{fresh_sandbox.url}/_sandbox/accounts", params={"platform": "x"})
    truth = {a["id"]: a for a in listed.json()["accounts"]}  # the hidden windows
    with database.session() as session:
        # The import stored each account's report (the hook where the sync ends an import).
        stored = {r.social_account_id for r in session.scalars(select(BestTimeReport))}
        assert stored == set(ids.values())
        counts = {
            a: len(
                session.scalars(
                    select(RemotePost.id).where(RemotePost.social_account_id == a)
                ).all()
            )
            for a in ids.values()
        }
    assert all(counts[ids[u["id"]]] == POSTS for u in rich), counts

    answer = gm.get(
        f"/api/v1/businesses/{owner.business_id}/insights/best-times", headers=owner.headers
    )
    assert answer.status_code == 200, answer.text
    reports = {a["account_id"]: a for a in answer.json()["accounts"]}
    zone = ZoneInfo(ZONE)
    hits, misses = 0, []
    for user in rich:
        report = reports[ids[user["id"]]]
        assert report["enough_data"], report["note"]
        assert report["zone"] == ZONE
        assert report["sample_size"] == POSTS
        window = _local_window(truth[user["id"]], zone)
        top = [(r["weekday"], r["hour"]) for r in report["recommendations"]]
        assert len(top) == 3
        assert all(r["source"] == "history" for r in report["recommendations"])
        assert sum(c["posts"] for c in report["cells"]) == POSTS
        if window in top:
            hits += 1
        else:
            misses.append((user["id"], window, top))
    rate = hits / len(rich)
    print(  # noqa: T201  (the issue asks for the hit rate to be printed)
        f"\nbest-time hit rate: {hits}/{len(rich)} = {rate:.0%} "
        f"(import {imported:.1f} s, total {time.monotonic() - started:.1f} s); misses: {misses}"
    )
    assert rate >= 0.9, misses

    for user in thin:
        report = reports[ids[user["id"]]]
        assert not report["enough_data"]
        assert report["note"].startswith(besttime.NOT_ENOUGH_DATA)
        assert f"{besttime.MIN_POSTS} needed" in report["note"]
        assert report["sample_size"] == 40
        expected = [list(w) for w in besttime.TYPICAL_WINDOWS["x"]]
        assert [[r["weekday"], r["hour"]] for r in report["recommendations"]] == expected
        assert all(r["source"] == "typical" for r in report["recommendations"])
        assert all("not your data" in r["explanation"] for r in report["recommendations"])
