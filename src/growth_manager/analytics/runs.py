"""Sync runs: starting one, what it reports, a business's sync status and history, and the
per-business schedules of the scheduler API.

A run is created (with one part per account) in the caller's transaction; each account's part
is a job sent once that transaction commits (``analytics.sync_account``), and the last part to
finish ends the run (``sync.end_run``). A run whose worker died is ended by the sweep
(:func:`reap_stalled`), so "running" never lies for long.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from growth_manager.analytics import cadence
from growth_manager.analytics.sync import LEASE, end_run, followed_counts
from growth_manager.analytics.tasks import sync_account
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import AccountStatus, RateLimitBudget, SocialAccount
from growth_manager.models.analytics import (
    AccountSync,
    RemotePost,
    SyncRun,
    SyncSchedule,
    SyncStatus,
    SyncTrigger,
)
from growth_manager.providers.registry import descriptor, platforms
from growth_manager.worker.tasks import enqueue

# A run still "running" this long after its start, with no account of it leased, has lost its
# worker: the sweep ends it as failed, naming what was not synced.
STALLED_AFTER = LEASE * 3
HISTORY = 20
# A budget at or under this share of its limit is worth a warning before it runs out.
LOW_BUDGET = 0.2


def start_sync(
    session: Session,
    business_id: int,
    *,
    trigger: SyncTrigger,
    user_id: int | None = None,
    platforms: list[str] | None = None,
    limit: int | None = None,
    account_ids: list[int] | None = None,
) -> SyncRun:
    """Create a run over the business's connected accounts (those of ``platforms``, or the
    given ``account_ids``) and send one job per account once ``session`` commits."""
    query = select(SocialAccount).where(
        SocialAccount.business_id == business_id,
        SocialAccount.status != AccountStatus.disconnected,
    )
    if platforms:
        query = query.where(SocialAccount.platform.in_(platforms))
    if account_ids is not None:
        query = query.where(SocialAccount.id.in_(account_ids))
    accounts = list(session.scalars(query.order_by(SocialAccount.id)))
    now = utcnow()
    run = SyncRun(
        business_id=business_id,
        scope="account" if account_ids is not None and len(accounts) == 1 else "business",
        social_account_id=accounts[0].id if account_ids is not None and accounts else None,
        trigger=trigger,
        requested_by_id=user_id,
        platforms=platforms or sorted({a.platform for a in accounts}),
        post_limit=limit,
        status=SyncStatus.running,
        started_at=now,
        pending_accounts=len(accounts),
        by_platform={},
        errors=[],
    )
    session.add(run)
    session.flush()
    if not accounts:
        wanted = ", ".join(descriptor(p).display_name for p in platforms or []) or "any platform"
        end_run(run, f"No connected accounts on {wanted}: nothing to sync. Connect one first.")
        return run
    for account in accounts:
        enqueue(session, sync_account, account.id, run.id)
    return run


def run_summary(run: SyncRun) -> dict[str, Any]:
    """A run in the API's shape (the same while it runs and after)."""
    return {
        "sync_id": run.id,
        "business_id": run.business_id,
        "platforms": list(run.platforms or []),
        "trigger": run.trigger.value,
        "posts_updated": run.synced,
        "last_synced_at": run.finished_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "status": run.status.value,
        "message": run.message
        or f"Syncing: {run.synced} of {run.total_posts} posts read so far, "
        f"{run.pending_accounts} account(s) to go.",
        "sync_details": {
            "total_posts": run.total_posts,
            "synced": run.synced,
            "failed": run.failed,
            "rate_limited": run.rate_limited,
            "imported": run.imported,
            "api_calls": run.api_calls,
            "pending_accounts": run.pending_accounts,
            "by_platform": dict(run.by_platform or {}),
            "errors": list(run.errors or []),
        },
    }


def get_run(session: Session, business_ids: list[int], sync_id: int) -> SyncRun | None:
    run = session.get(SyncRun, sync_id)
    if run is None or run.business_id not in business_ids:
        return None
    return run


def sync_history(session: Session, business_id: int, limit: int = HISTORY) -> list[SyncRun]:
    return list(
        session.scalars(
            select(SyncRun)
            .where(SyncRun.business_id == business_id)
            .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
            .limit(limit)
        )
    )


def is_syncing(session: Session, business_id: int, now: datetime | None = None) -> bool:
    """True only while a sync of the business really runs: an account of it is leased by a
    sync, or a run of it started recently has parts still to do."""
    now = now or utcnow()
    leased = session.scalar(
        select(func.count())
        .select_from(AccountSync)
        .where(AccountSync.business_id == business_id, AccountSync.lease_until > now)
    )
    if leased:
        return True
    running = session.scalar(
        select(func.count())
        .select_from(SyncRun)
        .where(
            SyncRun.business_id == business_id,
            SyncRun.status == SyncStatus.running,
            SyncRun.started_at > now - STALLED_AFTER,
        )
    )
    return bool(running)


def budget_warnings(
    session: Session, account_ids: list[int], now: datetime
) -> dict[int, list[dict[str, Any]]]:
    """Per account: the budgets of its metrics reads that are low or spent (and not reset)."""
    out: dict[int, list[dict[str, Any]]] = {}
    if not account_ids:
        return out
    rows = session.scalars(
        select(RateLimitBudget).where(RateLimitBudget.social_account_id.in_(account_ids))
    )
    for row in rows:
        if row.reset_at is not None and row.reset_at <= now:
            continue
        low = False
        if row.remaining is not None and row.limit:
            low = row.remaining <= row.limit * LOW_BUDGET
        elif row.used_percent is not None:
            low = row.used_percent >= 100 * (1 - LOW_BUDGET)
        if low:
            out.setdefault(row.social_account_id, []).append(
                {
                    "endpoint": row.endpoint,
                    "limit": row.limit,
                    "remaining": row.remaining,
                    "used_percent": row.used_percent,
                    "resets_at": row.reset_at,
                }
            )
    return out


def next_tick(session: Session, business_id: int, now: datetime) -> datetime:
    """When the next scheduled sync of the business runs: its own schedule or the hourly one."""
    from growth_manager.models.jobs import PeriodicJobState

    hourly = session.scalar(
        select(PeriodicJobState.next_run_at).where(PeriodicJobState.name == HOURLY_JOB)
    )
    candidates = [hourly or _next_hour(now)]
    schedule = session.scalar(select(SyncSchedule).where(SyncSchedule.business_id == business_id))
    if schedule is not None:
        candidates.append(schedule.next_run_at)
    return max(now, min(candidates))


HOURLY_JOB = "analytics.sync_all_businesses"


def _next_hour(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def sync_status(session: Session, business_id: int) -> dict[str, Any]:
    """The business's sync status in the API's shape."""
    now = utcnow()
    total, synced = followed_counts(session, business_id)
    accounts = list(
        session.scalars(select(SocialAccount).where(SocialAccount.business_id == business_id))
    )
    states = {
        s.social_account_id: s
        for s in session.scalars(select(AccountSync).where(AccountSync.business_id == business_id))
    }
    due = dict(
        session.execute(
            select(RemotePost.social_account_id, func.min(RemotePost.next_sync_at))
            .where(RemotePost.business_id == business_id, RemotePost.gone_reason.is_(None))
            .group_by(RemotePost.social_account_id)
        ).all()
    )
    warnings = budget_warnings(session, [a.id for a in accounts], now)
    budgets = _metric_budgets(session, accounts, now)
    tick = next_tick(session, business_id, now)
    last_sync_at = max(
        (s.last_sync_at for s in states.values() if s.last_sync_at is not None), default=None
    )
    out: dict[str, Any] = {}
    for platform in platforms():
        mine = [a for a in accounts if a.platform == platform]
        connected = [a for a in mine if a.status != AccountStatus.disconnected]
        mine_states = [states[a.id] for a in mine if a.id in states]
        last = max((s.last_sync_at for s in mine_states if s.last_sync_at), default=None)
        errors = [
            (s.last_sync_at, s.last_error) for s in mine_states if s.last_error and s.last_sync_at
        ]
        reauth = [a for a in connected if a.status == AccountStatus.reauth_required]
        firsts: list[datetime] = [d for a in connected if (d := due.get(a.id)) is not None]
        deferred: list[datetime] = [
            d for s in mine_states if (d := s.deferred_until) is not None and d > now
        ]
        next_sync = None
        if connected and not (reauth and len(reauth) == len(connected)):
            earliest = min(firsts, default=tick)
            next_sync = max([tick, earliest, *deferred])
        remaining = [b["remaining"] for a in mine for b in budgets.get(a.id, [])]
        out[platform] = {
            "connected": bool(connected),
            "accounts": len(connected),
            "last_sync": last,
            "next_sync": next_sync,
            "last_error": (
                f"{reauth[0].name} needs reconnection"
                if reauth
                else (max(errors, key=lambda e: e[0])[1] if errors else None)
            ),
            "rate_limit_remaining": min(remaining) if remaining else None,
            "deferred_until": max(deferred) if deferred else None,
            "rate_limit_warnings": [w for a in mine for w in warnings.get(a.id, [])],
        }
    return {
        "business_id": business_id,
        "total_posts": total,
        "synced_posts": synced,
        "unsynced_posts": total - synced,
        "last_sync_at": last_sync_at,
        "sync_percentage": round(100.0 * synced / total, 1) if total else 0.0,
        "is_syncing": is_syncing(session, business_id, now),
        "next_sync_at": tick if accounts else None,
        "platforms": out,
    }


def _metric_budgets(
    session: Session, accounts: list[SocialAccount], now: datetime
) -> dict[int, list[dict[str, Any]]]:
    """Per account: the current budgets (with a count) of the reads a sync makes (its
    platform's metrics read, and every other read the platform reported a budget for)."""
    out: dict[int, list[dict[str, Any]]] = {}
    by_id = {a.id: a for a in accounts}
    if not by_id:
        return out
    rows = session.scalars(
        select(RateLimitBudget).where(RateLimitBudget.social_account_id.in_(list(by_id)))
    )
    for row in rows:
        account = by_id[row.social_account_id]
        if not row.endpoint.startswith("GET "):
            continue
        if row.remaining is None or (row.reset_at is not None and row.reset_at <= now):
            continue
        out.setdefault(account.id, []).append({"remaining": row.remaining, "limit": row.limit})
    return out


# --- the sweep's duties -----------------------------------------------------------------------
def reap_stalled(session: Session, now: datetime | None = None) -> int:
    """Ends runs whose workers stopped before finishing them (no lease left, started long ago)."""
    now = now or utcnow()
    stalled = list(
        session.scalars(
            select(SyncRun).where(
                SyncRun.status == SyncStatus.running, SyncRun.started_at <= now - STALLED_AFTER
            )
        )
    )
    ended = 0
    for run in stalled:
        leased = session.scalar(
            select(func.count())
            .select_from(AccountSync)
            .where(AccountSync.sync_run_id == run.id, AccountSync.lease_until > now)
        )
        if leased:
            continue
        run.errors = [
            *(run.errors or []),
            {
                "platform": None,
                "account_id": None,
                "account": None,
                "message": f"{run.pending_accounts} account(s) were never synced: the worker "
                "stopped or never picked the job up",
                "code": "worker_lost",
                "status": None,
            },
        ]
        run.pending_accounts = 0
        end_run(run)
        ended += 1
    return ended


def businesses_due(session: Session, now: datetime) -> list[int]:
    """Businesses with something to sync now: a post due, account metrics a day old, or an
    account never imported."""
    usable = (AccountStatus.active, AccountStatus.refresh_failing)
    posts_due = select(RemotePost.business_id).where(
        RemotePost.next_sync_at <= now, RemotePost.gone_reason.is_(None)
    )
    accounts = session.execute(
        select(SocialAccount.id, SocialAccount.business_id).where(SocialAccount.status.in_(usable))
    ).all()
    states = {
        s.social_account_id: s
        for s in session.scalars(
            select(AccountSync).where(AccountSync.social_account_id.in_([a[0] for a in accounts]))
        )
    }
    due = set(session.scalars(posts_due.distinct()))
    for account_id, business_id in accounts:
        state = states.get(account_id)
        if (
            state is None
            or state.imported_at is None
            or cadence.account_due(state.account_synced_at, now)
        ):
            due.add(business_id)
    return sorted(due & {business_id for _, business_id in accounts})


# --- per-business schedules (the scheduler API) -----------------------------------------------
def set_schedule(session: Session, business_id: int, interval_hours: int) -> SyncSchedule:
    now = utcnow()
    schedule = session.scalar(select(SyncSchedule).where(SyncSchedule.business_id == business_id))
    if schedule is None:
        schedule = SyncSchedule(business_id=business_id, interval_hours=interval_hours)
        session.add(schedule)
    schedule.interval_hours = interval_hours
    schedule.next_run_at = now + timedelta(hours=interval_hours)
    session.flush()
    return schedule


def remove_schedule(session: Session, business_id: int) -> bool:
    schedule = session.scalar(select(SyncSchedule).where(SyncSchedule.business_id == business_id))
    if schedule is None:
        return False
    session.delete(schedule)
    session.flush()
    return True


def schedules_of(session: Session, business_ids: list[int]) -> list[SyncSchedule]:
    if not business_ids:
        return []
    return list(
        session.scalars(
            select(SyncSchedule)
            .where(SyncSchedule.business_id.in_(business_ids))
            .order_by(SyncSchedule.business_id)
        )
    )


def run_due_schedules(session: Session, now: datetime | None = None) -> list[int]:
    """Starts the sync of every business whose own schedule is due; returns the run ids."""
    now = now or utcnow()
    started = []
    due = session.scalars(
        select(SyncSchedule)
        .where(SyncSchedule.next_run_at <= now)
        .with_for_update(skip_locked=True)
    )
    for schedule in list(due):
        run = start_sync(session, schedule.business_id, trigger=SyncTrigger.schedule)
        schedule.last_run_at = now
        schedule.last_sync_run_id = run.id
        schedule.next_run_at = now + timedelta(hours=schedule.interval_hours)
        started.append(run.id)
    return started
