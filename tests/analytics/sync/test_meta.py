"""Facebook Pages and Instagram through the whole sync: import with history, then a re-sync
that reads fifty posts per request with their insights."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import func, select

from growth_manager.analytics.sync import Syncer
from growth_manager.db import Database
from growth_manager.models.analytics import MetricSnapshot, MetricSubject, SyncStatus, SyncTrigger
from tests.analytics.sync.conftest import connect_run, followed, new_run, run_of
from tests.support.owners import Owner


@pytest.mark.parametrize("platform", ["facebook", "instagram"])
def test_import_then_resync_in_batches_of_fifty(
    database: Database,
    owner: Owner,
    meta_accounts: dict[str, int],
    syncer: Syncer,
    platform: str,
) -> None:
    account_id = meta_accounts[platform]
    run_id = connect_run(database, account_id)
    syncer.sync_account(account_id, run_id)

    imported = run_of(database, run_id)
    posts = followed(database, account_id)
    assert imported.status == SyncStatus.completed, imported.errors
    assert imported.imported == len(posts) > 0
    assert all(p.latest for p in posts.values()), "the listing carried every post's numbers"
    with database.session() as session:
        days = session.scalar(
            select(func.count(func.distinct(MetricSnapshot.captured_at))).where(
                MetricSnapshot.social_account_id == account_id,
                MetricSnapshot.subject == MetricSubject.account,
                MetricSnapshot.metric == "followers",
            )
        )
        sources = set(
            session.scalars(
                select(MetricSnapshot.source_field).where(
                    MetricSnapshot.social_account_id == account_id,
                    MetricSnapshot.subject == MetricSubject.post,
                )
            )
        )
    assert days is not None
    assert days >= 25, "a month of follower history"
    # The current names, never the deprecated impressions metrics.
    assert not any("impressions" in s for s in sources)
    assert {"facebook": "post_media_view", "instagram": "insights.views"}[platform] in sources

    resync = new_run(database, owner.business_id, account_id, SyncTrigger.manual)
    syncer.sync_account(account_id, resync)

    run = run_of(database, resync)
    assert run.status == SyncStatus.completed, run.errors
    assert run.synced == len(posts)
    assert run.by_platform[platform]["api_calls"] == run.api_calls
    # Fifty posts per read, plus the account's own numbers (a few requests).
    assert run.api_calls <= math.ceil(len(posts) / 50) + 4
