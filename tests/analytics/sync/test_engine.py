"""The sync of one account against the sandbox over real HTTP: import on connect with history,
numbers that change between syncs and accumulate, coalescing, rate limits and dead tokens."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from sqlalchemy import func, select

from growth_manager.analytics.sync import Syncer, Tally
from growth_manager.db import Database
from growth_manager.models.accounts import AccountStatus, SocialAccount
from growth_manager.models.analytics import (
    AccountSync,
    MetricSnapshot,
    MetricSubject,
    SyncStatus,
    SyncTrigger,
)
from platform_sandbox.linkedin.models import LiPost
from tests.analytics.sync.conftest import (
    Sandbox,
    access_token,
    connect_run,
    followed,
    new_run,
    run_of,
    snapshot_count,
)
from tests.support.owners import Owner
from tests.support.sandbox import SandboxHandle

STATISTICS = "/api.linkedin.com/rest/organizationalEntityShareStatistics"


def org_urn(database: Database, account_id: int) -> str:
    with database.session() as session:
        account = session.get(SocialAccount, account_id)
        assert account is not None
        ext = account.external_id
        return ext if ext.startswith("urn:") else f"urn:li:organization:{ext}"


def sandbox_posts(sandbox: SandboxHandle, author: str, days: int) -> set[str]:
    """The author's live posts of the last ``days`` days, as the sandbox stores them."""
    since = sandbox.ctx.clock.now() - timedelta(days=days)
    with sandbox.ctx.store.session() as session:
        return set(
            session.scalars(
                select(LiPost.urn).where(
                    LiPost.author == author,
                    LiPost.deleted.is_(False),
                    LiPost.published_at >= since,
                )
            )
        )


def statistics_of(platform: Sandbox, token: str, org: str, urn: str) -> dict[str, int]:
    kind = "ugcPosts" if ":ugcPost:" in urn else "shares"
    query = (
        f"q=organizationalEntity&organizationalEntity={quote(org, safe='')}"
        f"&{kind}=List({quote(urn, safe='')})"
    )
    body = platform.get(STATISTICS, token, query)
    (element,) = body["elements"]
    stats: dict[str, int] = element["totalShareStatistics"]
    return stats


def test_connecting_imports_ninety_days_of_posts_with_their_numbers_and_follower_history(
    database: Database,
    page_account: int,
    syncer: Syncer,
    fresh_sandbox: SandboxHandle,
    platform: Sandbox,
) -> None:
    org = org_urn(database, page_account)
    run_id = connect_run(database, page_account)

    tally = syncer.sync_account(page_account, run_id)

    posts = followed(database, page_account)
    inside = sandbox_posts(fresh_sandbox, org, 89)
    assert inside, "the sandbox's page has recent posts"
    assert inside <= set(posts) <= sandbox_posts(fresh_sandbox, org, 91)
    assert all(p.imported and p.latest and p.last_synced_at for p in posts.values())
    run = run_of(database, run_id)
    assert run.status == SyncStatus.completed, run.errors
    assert run.imported == len(posts) == tally.imported
    assert run.synced == len(posts) == run.total_posts
    assert run.pending_accounts == 0
    assert run.finished_at is not None
    # Batched: the listing's pages, three account reads, one statistics read per 100 posts.
    assert run.api_calls <= len(posts) // 100 + 1 + 3 + len(posts) // 10 + 1
    assert run.by_platform["linkedin"]["imported"] == len(posts)

    # The numbers are the platform's, as a direct read of the same post gives them.
    access = access_token(database, page_account)
    oldest = min(posts.values(), key=lambda p: p.published_at)
    stats = statistics_of(platform, access, org, oldest.remote_id)
    assert oldest.latest["impressions"] == stats["impressionCount"]
    assert oldest.latest["likes"] == stats["likeCount"]
    assert oldest.latest["comments"] == stats["commentCount"]

    # Each value says where it came from.
    with database.session() as session:
        provenance = session.execute(
            select(MetricSnapshot.source_field, MetricSnapshot.api_version).where(
                MetricSnapshot.remote_post_id == oldest.id,
                MetricSnapshot.metric == "impressions",
            )
        ).one()
        assert provenance[0] == "totalShareStatistics.impressionCount"
        assert provenance[1].isdigit()
        assert len(provenance[1]) == 6
        # Months of follower history at once, one value per day.
        days = session.scalar(
            select(func.count(func.distinct(MetricSnapshot.captured_at))).where(
                MetricSnapshot.social_account_id == page_account,
                MetricSnapshot.subject == MetricSubject.account,
                MetricSnapshot.metric == "followers",
            )
        )
        assert days is not None
        assert days >= 60
        account = session.get(SocialAccount, page_account)
        assert account is not None
        assert account.last_synced_at is not None


def test_numbers_change_between_syncs_and_every_read_stays_in_the_history(
    database: Database, owner: Owner, page_account: int, syncer: Syncer, platform: Sandbox
) -> None:
    syncer.sync_account(page_account, connect_run(database, page_account))
    before = {k: dict(p.latest) for k, p in followed(database, page_account).items()}
    first = snapshot_count(database, social_account_id=page_account, subject=MetricSubject.post)

    platform.advance(timedelta(days=2).total_seconds())
    run_id = new_run(database, owner.business_id, page_account, SyncTrigger.manual)
    tally = syncer.sync_account(page_account, run_id)

    after = followed(database, page_account)
    assert tally.synced == len(after)
    assert tally.imported == 0
    assert (
        snapshot_count(database, social_account_id=page_account, subject=MetricSubject.post)
        == 2 * first
    )
    grew = [k for k in before if after[k].latest["impressions"] > before[k]["impressions"]]
    shrank = [k for k in before if after[k].latest["impressions"] < before[k]["impressions"]]
    assert grew
    assert not shrank
    assert run_of(database, run_id).status == SyncStatus.completed


def test_a_second_trigger_while_an_account_syncs_joins_it_instead_of_syncing_twice(
    database: Database, owner: Owner, page_account: int, syncer: Syncer
) -> None:
    first = connect_run(database, page_account)
    work = syncer.claim(page_account, first)
    assert not hasattr(work, "note"), "the first trigger takes the account"

    second = new_run(database, owner.business_id, page_account, SyncTrigger.manual)
    joined = syncer.sync_account(page_account, second)

    assert joined.note is not None
    assert f"run {first}" in joined.note
    run = run_of(database, second)
    assert run.status == SyncStatus.completed
    assert run.api_calls == 0
    assert run.synced == 0
    assert followed(database, page_account) == {}, "the second trigger read nothing"


def test_a_429_defers_the_account_until_the_reset_and_the_next_sync_does_not_hammer(
    database: Database, owner: Owner, page_account: int, syncer: Syncer, platform: Sandbox
) -> None:
    platform.fault(kind="status", path=STATISTICS, status=429, times=1)

    run_id = connect_run(database, page_account)
    syncer.sync_account(page_account, run_id)

    run = run_of(database, run_id)
    posts = followed(database, page_account)
    assert run.status == SyncStatus.partial
    assert run.rate_limited == len(posts) > 0
    assert run.synced == 0
    assert any(e["code"] in ("rate_limited", "429") or "429" in str(e) for e in run.errors)
    with database.session() as session:
        state = session.get(AccountSync, page_account)
        assert state is not None
        assert state.deferred_until is not None
        assert state.lease_until is None

    # Until the reset, another sync defers at once without calling the platform.
    again = new_run(database, owner.business_id, page_account, SyncTrigger.manual)
    syncer.sync_account(page_account, again)
    deferred = run_of(database, again)
    assert deferred.api_calls == 0
    assert deferred.rate_limited == len(posts)
    assert deferred.status == SyncStatus.partial


def test_an_account_whose_token_is_refused_is_reported_and_not_retried(
    database: Database, owner: Owner, page_account: int, syncer: Syncer, platform: Sandbox
) -> None:
    platform.fault(
        kind="status", path="/api.linkedin.com/rest/.*", regex=True, status=401, times=None
    )
    run_id = connect_run(database, page_account)
    syncer.sync_account(page_account, run_id)

    run = run_of(database, run_id)
    assert run.status == SyncStatus.failed
    assert [e["code"] for e in run.errors] == ["reauth_required"]
    with database.session() as session:
        account = session.get(SocialAccount, page_account)
        assert account is not None
        assert account.status == AccountStatus.reauth_required

    # Reported again, without a call to the platform, until the owner reconnects.
    again = new_run(database, owner.business_id, page_account, SyncTrigger.schedule)
    syncer.sync_account(page_account, again)
    later = run_of(database, again)
    assert later.status == SyncStatus.failed
    assert later.api_calls == 0
    assert "reconnect" in later.errors[0]["message"]


def test_a_job_delivered_twice_neither_syncs_twice_nor_ends_the_run_early(
    database: Database, page_account: int, syncer: Syncer
) -> None:
    run_id = connect_run(database, page_account)
    work = syncer.claim(page_account, run_id)
    assert not isinstance(work, Tally)

    copy = syncer.sync_account(page_account, run_id)  # the broker's second delivery

    assert copy.note is not None
    assert "second delivery" in copy.note
    running = run_of(database, run_id)
    assert running.status == SyncStatus.running
    assert running.pending_accounts == 1
    assert running.by_platform == {}

    syncer.release(work, Tally(platform="linkedin", account="page"))
    done = run_of(database, run_id)
    assert done.finished_at is not None
    assert syncer.sync_account(page_account, run_id).note == copy.note, "and after it ended"
    assert run_of(database, run_id).by_platform == done.by_platform
