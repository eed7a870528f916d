"""What the sync costs in platform requests, counted by the sandbox itself (counting rules on
its fault book, which tally every request whose path they match): an X import of N posts is
ceil(N/100) listing requests and no account read; a Facebook or Instagram import is its listing
pages plus the history requests; a re-sync within the hour reads no account numbers, and the
numbers the post reads carry are still recorded, with their provenance, once the account read
is due."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
from sqlalchemy import select

from growth_manager.analytics.sync import Syncer
from growth_manager.db import Database
from growth_manager.models.accounts import SocialAccount
from growth_manager.models.analytics import (
    AccountSync,
    MetricSnapshot,
    MetricSubject,
    RemotePost,
    SyncStatus,
    SyncTrigger,
)
from tests.analytics.sync.conftest import (
    Sandbox,
    access_token,
    connect_run,
    followed,
    new_run,
    run_of,
)
from tests.support.owners import Owner
from tests.support.sandbox_counters import Counters

GRAPH = r"^/graph\.facebook\.com/v[0-9.]+"


def x_counters(platform: Sandbox) -> Counters:
    return Counters(
        platform,
        timeline=r"^/api\.x\.com/2/users/[^/]+/tweets$",
        account=r"^/api\.x\.com/2/users/[^/]+$",
        lookup=r"^/api\.x\.com/2/tweets$",
    )


def account_snapshots(database: Database, account_id: int, run_id: int) -> list[MetricSnapshot]:
    with database.session() as session:
        rows = list(
            session.scalars(
                select(MetricSnapshot).where(
                    MetricSnapshot.social_account_id == account_id,
                    MetricSnapshot.subject == MetricSubject.account,
                    MetricSnapshot.sync_run_id == run_id,
                )
            )
        )
        for row in rows:
            session.expunge(row)
        return rows


def x_user(platform: Sandbox, database: Database, account_id: int) -> dict[str, Any]:
    """The account as the sandbox's control plane describes it (its followers now)."""
    with database.session() as session:
        account = session.get(SocialAccount, account_id)
        assert account is not None
        external = account.external_id
    accounts = httpx2.get(
        f"{platform.handle.url}/_sandbox/accounts", params={"platform": "x"}, timeout=10
    ).json()["accounts"]
    found: dict[str, Any] = next(a for a in accounts if a["id"] == external)
    return found


def own_posts_in_window(platform: Sandbox, token: str, user_id: str) -> int:
    """The account's own posts (no replies, no reposts) of the last 90 days, listed by hand
    ten at a time from X's own timeline."""
    now = platform.handle.ctx.clock.now().astimezone(UTC)
    start = (now - timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
    count, next_token = 0, None
    while True:
        params = {"max_results": "10", "start_time": start, "exclude": "replies,retweets"}
        if next_token:
            params["pagination_token"] = next_token
        body = httpx2.get(
            f"{platform.handle.url}/api.x.com/2/users/{user_id}/tweets",
            params=params,
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        ).json()
        count += len(body.get("data") or [])
        next_token = (body.get("meta") or {}).get("next_token")
        if not next_token:
            return count


def test_x_import_is_one_request_per_hundred_posts_with_the_followers_folded_in(
    database: Database, owner: Owner, x_account: int, syncer: Syncer, platform: Sandbox
) -> None:
    user = x_user(platform, database, x_account)
    expected_posts = own_posts_in_window(platform, access_token(database, x_account), user["id"])
    assert expected_posts > 0
    counters = x_counters(platform)
    run_id = connect_run(database, x_account)

    syncer.sync_account(x_account, run_id)

    hits = counters.hits()
    run = run_of(database, run_id)
    assert run.status == SyncStatus.completed, run.errors
    assert run.imported == len(followed(database, x_account)) == expected_posts
    assert hits == {"timeline": math.ceil(expected_posts / 100), "account": 0, "lookup": 0}
    assert run.api_calls == sum(hits.values())
    # The followers came with the listing, recorded as the account's snapshot with X's field.
    followers = [
        s for s in account_snapshots(database, x_account, run_id) if s.metric == "followers"
    ]
    assert [(s.value, s.source_field) for s in followers] == [
        (float(user["followers_count"]), "public_metrics.followers_count")
    ]
    with database.session() as session:
        account = session.get(SocialAccount, x_account)
        assert account is not None
        assert account.followers == user["followers_count"]


def test_x_private_metrics_of_young_posts_come_with_their_next_scheduled_read(
    database: Database, owner: Owner, x_account: int, syncer: Syncer, platform: Sandbox
) -> None:
    syncer.sync_account(x_account, connect_run(database, x_account))
    now = platform.handle.ctx.clock.now().astimezone(UTC).replace(tzinfo=None)
    young = {
        k
        for k, p in followed(database, x_account).items()
        if now - p.published_at.replace(tzinfo=None) < timedelta(days=6)
    }
    assert young, "the sandbox's account posted this week"
    assert not any("engagements" in followed(database, x_account)[k].latest for k in young)

    # By the ladder, posts under a week old are read again within six hours: as if seven
    # hours had passed.
    with database.session() as session:
        for row in session.scalars(
            select(RemotePost).where(RemotePost.social_account_id == x_account)
        ):
            if row.next_sync_at is not None:
                row.next_sync_at -= timedelta(hours=7)
    run_id = new_run(database, owner.business_id, x_account, SyncTrigger.schedule)
    syncer.sync_account(x_account, run_id)

    after = followed(database, x_account)
    assert run_of(database, run_id).status == SyncStatus.completed
    assert all("engagements" in after[k].latest for k in young)


def test_x_resync_within_the_hour_reads_no_account_numbers_and_later_records_the_folded_ones(
    database: Database, owner: Owner, x_account: int, syncer: Syncer, platform: Sandbox
) -> None:
    syncer.sync_account(x_account, connect_run(database, x_account))
    posts = len(followed(database, x_account))
    counters = x_counters(platform)

    soon = new_run(database, owner.business_id, x_account, SyncTrigger.manual)
    syncer.sync_account(x_account, soon)

    hits = counters.hits()
    run = run_of(database, soon)
    assert run.status == SyncStatus.completed, run.errors
    assert run.synced == posts
    assert hits["account"] == 0
    assert hits["timeline"] == 0
    assert run.api_calls == hits["lookup"] <= 2 * math.ceil(posts / 100)
    assert account_snapshots(database, x_account, soon) == []

    with database.session() as session:  # as if the account had been read two hours ago
        state = session.get(AccountSync, x_account)
        assert state is not None
        assert state.account_synced_at is not None
        state.account_synced_at -= timedelta(hours=2)
    later = new_run(database, owner.business_id, x_account, SyncTrigger.manual)
    syncer.sync_account(x_account, later)

    hits = counters.hits()
    assert hits["account"] == 0, "the post reads carried the account's numbers"
    counters.clear()
    user = x_user(platform, database, x_account)
    followers = [
        s for s in account_snapshots(database, x_account, later) if s.metric == "followers"
    ]
    assert [(s.value, s.source_field) for s in followers] == [
        (float(user["followers_count"]), "public_metrics.followers_count")
    ]


def _graph(platform: Sandbox, path: str, token: str, **params: Any) -> Any:
    response = httpx2.get(
        f"{platform.handle.url}/graph.facebook.com/v23.0/{path}",
        params={"access_token": token, **params},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


def _listed(platform: Sandbox, external: str, edge: str, stamp: str, token: str) -> list[datetime]:
    """The publication times of every item of the edge, newest first, paged by hand."""
    times: list[datetime] = []
    after = None
    while True:
        params: dict[str, Any] = {"fields": f"id,{stamp}", "limit": 25}
        if after:
            params["after"] = after
        body = _graph(platform, f"{external}/{edge}", token, **params)
        times += [
            datetime.strptime(i[stamp], "%Y-%m-%dT%H:%M:%S%z").astimezone(UTC) for i in body["data"]
        ]
        paging = body.get("paging") or {}
        after = (paging.get("cursors") or {}).get("after")
        if not paging.get("next"):
            return times


@pytest.mark.parametrize("platform_name", ["facebook", "instagram"])
def test_meta_import_is_its_listing_pages_and_the_history(
    database: Database,
    owner: Owner,
    meta_accounts: dict[str, int],
    syncer: Syncer,
    platform: Sandbox,
    platform_name: str,
) -> None:
    account_id = meta_accounts[platform_name]
    with database.session() as session:
        account = session.get(SocialAccount, account_id)
        assert account is not None
        external = account.external_id
    token = access_token(database, account_id)
    edge, stamp = {
        "facebook": ("published_posts", "created_time"),
        "instagram": ("media", "timestamp"),
    }[platform_name]
    since = platform.handle.ctx.clock.now().astimezone(UTC) - timedelta(days=90)
    times = _listed(platform, external, edge, stamp, token)
    inside = sum(1 for t in times if t >= since)
    # 100 a page, until a page reaches a post older than the window (or the listing ends).
    pages = min(inside // 100 + 1, math.ceil(len(times) / 100))
    counters = Counters(
        platform,
        node=GRAPH + r"/[0-9]+$",
        edge=GRAPH + r"/[0-9]+/(published_posts|media)$",
        insights=GRAPH + r"/[0-9]+/insights$",
        other=GRAPH + r"(/.*)?$",
    )
    run_id = connect_run(database, account_id)

    syncer.sync_account(account_id, run_id)

    hits = counters.hits()
    run = run_of(database, run_id)
    assert run.status == SyncStatus.completed, run.errors
    assert run.imported == inside
    if platform_name == "facebook":
        # The listing on the Page's node (followers beside it), then the 90 days of insights:
        # one window of at most 90 days; no separate read of the followers.
        assert hits == {"node": 1, "edge": pages - 1, "insights": 1, "other": 0}
    else:
        # The listing on the account's node, then one more node read with the insights
        # series expanded (the follower history is counted back from followers_count).
        assert hits == {"node": 2, "edge": pages - 1, "insights": 0, "other": 0}
    assert run.api_calls == sum(hits.values())
    counters.clear()

    fields = "followers_count"
    now = _graph(platform, external, token, fields=fields)
    snapshots = account_snapshots(database, account_id, run_id)
    current = [
        (s.value, s.source_field)
        for s in snapshots
        if s.metric == "followers" and s.source_field == "followers_count"
    ]
    assert current == [(float(now["followers_count"]), "followers_count")]
    days = {s.captured_at for s in snapshots if s.metric == "followers"}
    assert len(days) >= 25, "a month of follower history"

    counters = Counters(platform, any=GRAPH + r"(/.*)?$")
    resync = new_run(database, owner.business_id, account_id, SyncTrigger.manual)
    syncer.sync_account(account_id, resync)
    again = run_of(database, resync)
    assert again.status == SyncStatus.completed, again.errors
    # Fifty posts a multi-id read, and no account read within the hour.
    assert again.api_calls == counters.hits()["any"] == math.ceil(inside / 50)
    assert account_snapshots(database, account_id, resync) == []
