"""Syncing one account's numbers: import, account metrics, then its due posts in batches.

Each account's sync is one job (``analytics.sync_account``), so a slow or rate-limited account
never delays the others, and follows the unit-of-work shape (``db.unit_of_work``): a short
transaction **claims** the account (a lease on its ``account_sync`` row, so two syncs of one
account never overlap: a second trigger joins nothing and says so), the platform is **called**
with no transaction open, and each answer is **recorded** in its own short transaction (its
snapshots, the posts' latest values and next read, and the run's counters, together), so a
sync that stops half-way keeps everything it read.

Rate limits: before each batch the sync looks at the budget the platform last reported for
the endpoint the read spends (recorded by the token keeper, and followed live during the
sync); a spent budget defers the rest of the account's sync until its reset instead of running
into a 429, and a 429 itself does the same. An account whose token only its owner can renew is
reported in the run and skipped until it is reconnected, never retried in a loop.

Account numbers cost no request of their own when a read that happens anyway carries them:
providers return the account's numbers now as ``account_values`` of the import listing
(``RecentPosts``) or of a post-metrics read (``PostMetricsBatch``) when the same request can
hold them (X's ``includes.users``, Graph's node answering beside its expanded edge), and the
sync records them as the account's snapshots (with their own ``source_field``). The separate
``account_metrics`` read is made only (1) for history: the first sync of an account whose
platform keeps a daily history (``Descriptor.keeps_account_history``; not X), asked with
``current=False`` when the listing already carried the numbers now, so a connect-time import
costs the listing and the history requests; or (2) when the account read is due and no read of
this sync carried the numbers (it then runs after the post reads, which may carry them). Due
means: daily on the schedule (``cadence.account_due``); for a sync a person asks for, or a
connect, unless they were read less than an hour ago (``cadence.account_fresh``: followers are
daily numbers, so a re-sync within the hour reads no account numbers at all). Folded values are
recorded only when the account read is due, so frequent post reads do not pile up snapshots.
"""

from __future__ import annotations

import fnmatch
import os
import socket
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

import structlog
from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import Session

from growth_manager.analytics import cadence, comments
from growth_manager.config import Settings
from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import AccountStatus, RateLimitBudget, SocialAccount
from growth_manager.models.analytics import (
    AccountSync,
    MetricSnapshot,
    MetricSubject,
    RemotePost,
    SyncRun,
    SyncStatus,
    SyncTrigger,
)
from growth_manager.models.publishing import PostTarget, TargetStatus
from growth_manager.providers.base import (
    AccountRef,
    MetricValue,
    PostMetricsBatch,
    SocialProvider,
    TokenSet,
)
from growth_manager.providers.base import RemotePost as FoundPost
from growth_manager.providers.errors import ProviderError, RateLimited, ReauthRequired
from growth_manager.providers.http import RateLimitState
from growth_manager.providers.registry import descriptor, is_platform
from growth_manager.tokens.keeper import TokenKeeper

log = structlog.get_logger(__name__)
T = TypeVar("T")

# Called with a session and the account's id once an account's import is stored (posts and
# follower history), e.g. to recompute what is derived from the history. A hook's failure is
# logged and never fails the sync.
ImportFinished = Callable[[Session, int], None]
_on_import_finished: list[ImportFinished] = []


def on_import_finished(hook: ImportFinished) -> ImportFinished:
    if hook not in _on_import_finished:
        _on_import_finished.append(hook)
    return hook


LEASE = timedelta(minutes=10)
# Percentage budgets (Meta's usage headers) are shared with publishing: the sync stops at this
# share and leaves the rest for posts going out.
PERCENT_RESERVE = 90.0


def lease_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


@dataclass
class Tally:
    """What one account's part of a run did, added to the run as it goes."""

    platform: str
    account: str
    total_posts: int = 0
    synced: int = 0
    failed: int = 0
    rate_limited: int = 0
    imported: int = 0
    api_calls: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    deferred_until: datetime | None = None
    reauth: bool = False
    note: str | None = None
    posts_started: bool = False
    # The account's numbers now were recorded in this sync (from a read that carried them).
    account_read: bool = False

    def error(
        self, error: ProviderError | str, *, account_id: int, code: str | None = None
    ) -> None:
        message = error if isinstance(error, str) else error.message
        self.errors.append(
            {
                "platform": self.platform,
                "account_id": account_id,
                "account": self.account,
                "message": message,
                "code": code or (None if isinstance(error, str) else error.code),
                "status": None if isinstance(error, str) else error.status,
            }
        )

    @property
    def status(self) -> str:
        # Deferred by a rate limit is not failed: the posts are read after the reset.
        broken = [e for e in self.errors if e.get("code") != "rate_limited"]
        if self.reauth or (broken and self.synced == 0 and self.imported == 0):
            return SyncStatus.failed.value
        if self.failed or self.rate_limited or self.errors:
            return SyncStatus.partial.value
        return SyncStatus.completed.value


@dataclass(frozen=True)
class Work:
    """A claimed account: what to do for it in this run."""

    account_id: int
    business_id: int
    platform: str
    ref: AccountRef
    run_id: int
    trigger: SyncTrigger
    limit: int | None
    started_at: datetime
    owner: str
    need_import: bool
    account_due: bool
    # The first sync of an account whose platform keeps history: read it back (once).
    history: bool
    budget_blocked_until: datetime | None


class _Stop(Exception):
    """Ends an account's sync early (deferred by a rate limit, or the token needs its owner)."""


class Syncer:
    def __init__(
        self,
        database: Database,
        settings: Settings,
        keeper: TokenKeeper | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.keeper = keeper or TokenKeeper(database, settings)
        self._live: dict[tuple[int, str], RateLimitState] = {}
        self._lock = threading.Lock()
        self.keeper.observers.append(self._observe)

    # --- budgets -----------------------------------------------------------------------------
    def _observe(self, account_id: int, states: list[RateLimitState]) -> None:
        with self._lock:
            for state in states:
                self._live[(account_id, state.endpoint)] = state

    def _blocked_until(
        self, work: Work, now: datetime, pattern: str | None = None
    ) -> datetime | None:
        """When the budget of the metrics read (or of ``pattern``'s endpoint) resets, if it is
        spent (or at the reserve)."""
        pattern = pattern if pattern is not None else descriptor(work.platform).metrics_endpoint
        if not pattern:
            return None
        with self._lock:
            live = [
                s
                for (account_id, endpoint), s in self._live.items()
                if account_id == work.account_id and fnmatch.fnmatchcase(endpoint, pattern)
            ]
        for state in live:
            if state.reset_at is not None and state.reset_at <= now:
                continue
            if _spent(state.remaining, state.used_percent):
                return state.reset_at or now + timedelta(minutes=15)
        return None

    # --- claim -------------------------------------------------------------------------------
    def claim(self, account_id: int, run_id: int) -> Work | Tally:
        """Lease the account for ``run_id``; a :class:`Tally` instead when there is nothing to
        do (already syncing, deferred, needs reconnection) — already added to the run."""
        now = utcnow()
        owner = lease_owner()
        with self.database.session() as session:
            run = session.get(SyncRun, run_id)
            account = session.get(SocialAccount, account_id)
            if run is None or account is None or not is_platform(account.platform):
                return Tally(platform="?", account="?", note="gone")
            tally = Tally(platform=account.platform, account=account.name)
            if account.status in (AccountStatus.reauth_required, AccountStatus.disconnected):
                tally.reauth = True
                tally.error(
                    "needs reconnection: "
                    + (account.status_reason or "the platform no longer accepts its token"),
                    account_id=account.id,
                    code="reauth_required",
                )
                _finish_part(session, run, tally, account_id)
                return tally
            state = session.get(AccountSync, account_id)
            if state is None:
                state = AccountSync(social_account_id=account_id, business_id=account.business_id)
                session.add(state)
                session.flush()
            if _is_duplicate(state, run, now):
                tally.note = DUPLICATE
                return tally
            result = session.execute(
                update(AccountSync)
                .where(
                    AccountSync.social_account_id == account_id,
                    or_(AccountSync.lease_until.is_(None), AccountSync.lease_until <= now),
                )
                .values(lease_owner=owner, lease_until=now + LEASE, sync_run_id=run_id)
            )
            if not getattr(result, "rowcount", 0):
                session.refresh(state)
                if state.sync_run_id == run_id:  # a copy of this job won the race just now
                    tally.note = DUPLICATE
                    return tally
                tally.note = f"already syncing in run {state.sync_run_id}; this trigger joined it"
                _finish_part(session, run, tally, account_id)
                return tally
            session.refresh(state)
            _adopt_published(session, account)
            blocked = None
            if state.deferred_until is not None and state.deferred_until > now:
                blocked = state.deferred_until
            blocked = blocked or _recorded_block(session, account, now)
            return Work(
                account_id=account_id,
                business_id=account.business_id,
                platform=account.platform,
                ref=AccountRef(account.external_id, account.kind, account.parent_external_id),
                run_id=run_id,
                trigger=run.trigger,
                limit=run.post_limit,
                started_at=run.started_at,
                owner=owner,
                need_import=state.imported_at is None,
                account_due=(
                    cadence.account_due(state.account_synced_at, now)
                    if run.trigger == SyncTrigger.schedule
                    else not cadence.account_fresh(state.account_synced_at, now)
                ),
                history=descriptor(account.platform).keeps_account_history
                and state.account_synced_at is None,
                budget_blocked_until=blocked,
            )

    # --- the whole account -------------------------------------------------------------------
    def sync_account(self, account_id: int, run_id: int) -> Tally:
        claimed = self.claim(account_id, run_id)
        if isinstance(claimed, Tally):
            return claimed
        work = claimed
        with self.database.session() as session:
            account = session.get(SocialAccount, account_id)
            assert account is not None
            tally = Tally(platform=work.platform, account=account.name)
        try:
            if work.budget_blocked_until is not None:
                tally.deferred_until = work.budget_blocked_until
                raise _Stop
            if work.need_import:
                self._import(work, tally)
            if work.history:
                self._account_metrics(work, tally, history=True)
            self._posts(work, tally)
            if work.account_due and not tally.account_read:
                self._account_metrics(work, tally, history=False)
            if work.need_import:
                self._after_import(work.account_id)
            comments.sync_comments(self, work, tally)
        except _Stop:
            if not tally.posts_started:
                self._count_unread(work, tally)
        except Exception as exc:  # a bug must not leave the run running forever
            log.exception("analytics.sync.crashed", account_id=account_id)
            tally.error(
                f"the sync stopped unexpectedly: {type(exc).__name__}", account_id=account_id
            )
        finally:
            self.release(work, tally)
        return tally

    def _call(
        self, work: Work, tally: Tally, fn: Callable[[SocialProvider, TokenSet], T]
    ) -> T | None:
        """One read through the token keeper; its failure is recorded on ``tally``. A rate
        limit or a dead token stops the account (``_Stop``); anything else skips this read."""
        try:
            return self.keeper.call(work.account_id, fn)
        except RateLimited as exc:
            tally.api_calls += 1
            tally.deferred_until = utcnow() + timedelta(seconds=max(exc.retry_after, 1.0))
            tally.error(exc, account_id=work.account_id, code="rate_limited")
            raise _Stop from exc
        except ReauthRequired as exc:
            tally.api_calls += 1
            tally.reauth = True
            tally.error(
                f"needs reconnection: {exc.message}",
                account_id=work.account_id,
                code="reauth_required",
            )
            raise _Stop from exc
        except ProviderError as exc:
            tally.api_calls += 1
            tally.error(exc, account_id=work.account_id)
            return None

    # --- import ------------------------------------------------------------------------------
    def _after_import(self, account_id: int) -> None:
        for hook in _on_import_finished:
            try:
                with self.database.session() as session:
                    hook(session, account_id)
            except Exception:
                log.exception("analytics.sync.import_hook_failed", account_id=account_id)

    def _import(self, work: Work, tally: Tally) -> None:
        since = utcnow() - cadence.IMPORT_WINDOW
        found = self._call(work, tally, lambda p, t: p.recent_posts(work.ref, t, since))
        if found is None:
            return
        tally.api_calls += found.calls
        now = utcnow()
        with self.database.session() as session:
            if found.account_values and (work.account_due or work.history):
                self._store_account(session, work, tally, found.account_values, now)
            created, with_values = _store_found(session, work, found.posts, now)
            tally.imported += created
            tally.synced += with_values
            tally.total_posts += with_values
            state = session.get(AccountSync, work.account_id)
            assert state is not None
            state.imported_at = now
            _bump_run(session, work.run_id, imported=created, api_calls=found.calls)
        tally.note = f"imported {created} posts"

    # --- account metrics ---------------------------------------------------------------------
    def _account_metrics(self, work: Work, tally: Tally, *, history: bool) -> None:
        """The account read: with its history (the first sync, ``work.history``), without the
        numbers now when a read of this sync already carried them."""
        since = utcnow() - cadence.IMPORT_WINDOW if history else None
        current = not tally.account_read
        answer = self._call(
            work, tally, lambda p, t: p.account_metrics(work.ref, t, since, current)
        )
        if answer is None:
            return
        tally.api_calls += answer.calls
        now = utcnow()
        with self.database.session() as session:
            self._store_account(session, work, tally, answer.values, now, account_read=True)
            _bump_run(session, work.run_id, api_calls=answer.calls)

    def _store_account(
        self,
        session: Session,
        work: Work,
        tally: Tally,
        values: Sequence[MetricValue],
        now: datetime,
        *,
        account_read: bool = False,
    ) -> None:
        """Records the account's numbers (``at`` None: now; else a past day's). The account
        read itself (``account_read``) counts as the account's sync; numbers another read
        carried count unless the history is still to be read (so a failed history read is
        tried again on the next sync)."""
        _insert_snapshots(session, [_snapshot(work, None, v, v.at or now) for v in values])
        followers = [v.value for v in values if v.metric == "followers" and v.at is None]
        account = session.get(SocialAccount, work.account_id)
        if account is not None and followers:
            account.followers = int(followers[-1])
        if any(v.at is None for v in values):
            tally.account_read = True
        if account_read or not work.history:
            state = session.get(AccountSync, work.account_id)
            assert state is not None
            state.account_synced_at = now

    # --- posts -------------------------------------------------------------------------------
    def due_posts(self, work: Work) -> list[tuple[int, str, datetime]]:
        """(row id, remote id, published at) of the posts this run reads, newest first: the
        cadence's due ones on a schedule; every post still followed when a person asks (or
        an account was just connected)."""
        now = utcnow()
        with self.database.read_session() as session:
            query = select(RemotePost.id, RemotePost.remote_id, RemotePost.published_at).where(
                RemotePost.social_account_id == work.account_id,
                RemotePost.gone_reason.is_(None),
                RemotePost.next_sync_at.is_not(None),
            )
            if work.trigger == SyncTrigger.schedule:
                query = query.where(RemotePost.next_sync_at <= now)
            else:  # not those this run has read already (at import)
                query = query.where(
                    or_(
                        RemotePost.last_synced_at.is_(None),
                        RemotePost.last_synced_at < work.started_at,
                    )
                )
            query = query.order_by(RemotePost.published_at.desc())
            if work.limit:
                query = query.limit(work.limit)
            return [(row[0], row[1], row[2]) for row in session.execute(query)]

    def _posts(self, work: Work, tally: Tally) -> None:
        tally.posts_started = True
        due = self.due_posts(work)
        tally.total_posts += len(due)
        with self.database.session() as session:
            _bump_run(session, work.run_id, total_posts=len(due))
        size = descriptor(work.platform).metrics_batch_for(work.ref.kind)
        for start in range(0, len(due), size):
            blocked = self._blocked_until(work, utcnow())
            if blocked is not None:
                tally.deferred_until = blocked
                tally.rate_limited += len(due) - start
                with self.database.session() as session:
                    _bump_run(session, work.run_id, rate_limited=len(due) - start)
                tally.error(
                    "the platform's rate limit for metrics is spent; the rest waits until "
                    f"{blocked.isoformat(timespec='seconds')}",
                    account_id=work.account_id,
                    code="rate_limited",
                )
                raise _Stop
            chunk = due[start : start + size]
            ids = [remote_id for _, remote_id, _ in chunk]
            try:
                batch = self._call(work, tally, _read_metrics(work.ref, ids))
            except _Stop:
                rest = len(due) - start
                if tally.reauth:
                    tally.failed += rest
                    with self.database.session() as session:
                        _bump_run(session, work.run_id, failed=rest)
                else:
                    tally.rate_limited += rest
                    with self.database.session() as session:
                        _bump_run(session, work.run_id, rate_limited=rest)
                raise
            if batch is None:
                tally.failed += len(chunk)
                with self.database.session() as session:
                    _bump_run(session, work.run_id, failed=len(chunk))
                continue
            tally.api_calls += batch.calls
            self._record_batch(
                work, tally, chunk, batch.values, batch.missing, batch.calls, batch.account_values
            )

    def _record_batch(
        self,
        work: Work,
        tally: Tally,
        chunk: Sequence[tuple[int, str, datetime]],
        values: Any,
        missing: Any,
        calls: int,
        account_values: Sequence[MetricValue] = (),
    ) -> None:
        now = utcnow()
        snapshots: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        synced = failed = 0
        for row_id, remote_id, published_at in chunk:
            read = values.get(remote_id)
            if read is None:
                failed += 1
                # Deleted there, or no longer visible to this login: followed no more (its
                # history stays), with the platform's words.
                reason = str(missing.get(remote_id) or "the platform did not answer for it")
                updates.append(
                    {
                        "id": row_id,
                        "last_error": reason,
                        "gone_reason": reason,
                        "next_sync_at": None,
                    }
                )
                continue
            synced += 1
            snapshots.extend(_snapshot(work, row_id, value, now) for value in read)
            updates.append(
                {
                    "id": row_id,
                    "latest": {value.metric: value.value for value in read},
                    "last_synced_at": now,
                    "next_sync_at": cadence.next_sync_at(published_at, now),
                    "last_error": None,
                }
            )
        tally.synced += synced
        tally.failed += failed
        with self.database.session() as session:
            if account_values and work.account_due and not tally.account_read:
                self._store_account(session, work, tally, account_values, now)
            _insert_snapshots(session, snapshots)
            _update_posts(session, updates)
            _bump_run(session, work.run_id, synced=synced, failed=failed, api_calls=calls)
            session.execute(
                update(AccountSync)
                .where(
                    AccountSync.social_account_id == work.account_id,
                    AccountSync.lease_owner == work.owner,
                )
                .values(lease_until=now + LEASE)
            )

    def _count_unread(self, work: Work, tally: Tally) -> None:
        """The sync stopped before reading posts (a rate limit, a dead token): the posts it
        would have read count as deferred or failed."""
        rest = len(self.due_posts(work))
        tally.total_posts += rest
        if tally.reauth:
            tally.failed += rest
        else:
            tally.rate_limited += rest
            if tally.deferred_until and not any(
                e.get("code") == "rate_limited" for e in tally.errors
            ):
                tally.error(
                    "deferred by the platform's rate limit until "
                    f"{tally.deferred_until.isoformat(timespec='seconds')}",
                    account_id=work.account_id,
                    code="rate_limited",
                )
        with self.database.session() as session:
            _bump_run(
                session,
                work.run_id,
                total_posts=rest,
                failed=rest if tally.reauth else 0,
                rate_limited=0 if tally.reauth else rest,
            )

    # --- release -----------------------------------------------------------------------------
    def release(self, work: Work, tally: Tally) -> None:
        now = utcnow()
        with self.database.session() as session:
            state = session.get(AccountSync, work.account_id)
            if state is not None and state.lease_owner == work.owner:
                state.lease_owner = None
                state.lease_until = None
                state.last_sync_at = now
                state.last_status = tally.status
                state.last_error = tally.errors[-1]["message"] if tally.errors else None
                state.deferred_until = tally.deferred_until
            account = session.get(SocialAccount, work.account_id)
            if account is not None and (tally.synced or tally.imported):
                account.last_synced_at = now
            run = _run_for_update(session, work.run_id)
            if run is not None:
                _finish_part(session, run, tally, work.account_id, counted=True)
        log.info(
            "analytics.sync.account_done",
            account_id=work.account_id,
            run_id=work.run_id,
            status=tally.status,
            synced=tally.synced,
            failed=tally.failed,
            rate_limited=tally.rate_limited,
            imported=tally.imported,
            api_calls=tally.api_calls,
        )


def _read_metrics(
    ref: AccountRef, ids: list[str]
) -> Callable[[SocialProvider, TokenSet], PostMetricsBatch]:
    return lambda provider, token: provider.post_metrics(ref, ids, token)


# --- recording helpers ------------------------------------------------------------------------
DUPLICATE = "a second delivery of this account's job; the first one does the work"


def _is_duplicate(state: AccountSync, run: SyncRun, now: datetime) -> bool:
    """This account's part of ``run`` is already being done (its lease is live) or done. A
    broker may deliver a job twice (acks come after the work); the copy must neither sync
    again nor end the run before the real part has finished. A part whose worker died (lease
    expired, not finished) is taken over instead."""
    if state.sync_run_id != run.id:
        return False
    leased = state.lease_until is not None and state.lease_until > now
    finished = state.last_sync_at is not None and state.last_sync_at >= run.started_at
    return leased or finished


def _spent(remaining: int | None, used_percent: float | None) -> bool:
    if remaining is not None:
        return remaining <= 0
    return used_percent is not None and used_percent >= PERCENT_RESERVE


def _recorded_block(session: Session, account: SocialAccount, now: datetime) -> datetime | None:
    pattern = descriptor(account.platform).metrics_endpoint
    if not pattern:
        return None
    rows = session.scalars(
        select(RateLimitBudget).where(
            RateLimitBudget.social_account_id == account.id,
            RateLimitBudget.reset_at > now,
        )
    )
    for row in rows:
        if fnmatch.fnmatchcase(row.endpoint, pattern) and _spent(row.remaining, row.used_percent):
            return row.reset_at
    return None


def _snapshot(work: Work, post_id: int | None, value: MetricValue, at: datetime) -> dict[str, Any]:
    return {
        "business_id": work.business_id,
        "social_account_id": work.account_id,
        "subject": MetricSubject.post if post_id is not None else MetricSubject.account,
        "remote_post_id": post_id,
        "metric": value.metric,
        "value": float(value.value),
        "captured_at": at,
        "source_field": value.source_field[:200],
        "api_version": value.api_version[:20],
        "sync_run_id": work.run_id,
    }


def _insert_snapshots(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(MetricSnapshot), rows)


def _update_posts(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(update(RemotePost), rows)


def _bump_run(session: Session, run_id: int, **counts: int) -> None:
    counts = {name: n for name, n in counts.items() if n}
    if not counts:
        return
    session.execute(
        update(SyncRun)
        .where(SyncRun.id == run_id)
        .values({getattr(SyncRun, name): getattr(SyncRun, name) + n for name, n in counts.items()})
    )


def _run_for_update(session: Session, run_id: int) -> SyncRun | None:
    return session.scalar(select(SyncRun).where(SyncRun.id == run_id).with_for_update())


def _finish_part(
    session: Session, run: SyncRun, tally: Tally, account_id: int, *, counted: bool = False
) -> None:
    """Adds an account's part to its run (per platform) and ends the run with its last part.
    ``counted``: the numbers were already added to the run's totals batch by batch."""
    if not counted:
        session.refresh(run, with_for_update=True)
        run.rate_limited += tally.rate_limited
        run.failed += tally.failed
    by_platform = dict(run.by_platform or {})
    part = dict(
        by_platform.get(tally.platform)
        or {
            "accounts": 0,
            "total_posts": 0,
            "synced": 0,
            "failed": 0,
            "rate_limited": 0,
            "imported": 0,
            "api_calls": 0,
            "status": SyncStatus.completed.value,
            "messages": [],
        }
    )
    part["accounts"] += 1
    for name in ("total_posts", "synced", "failed", "rate_limited", "imported", "api_calls"):
        part[name] += getattr(tally, name)
    part["status"] = _worst(part["status"], tally.status)
    if tally.note:
        part["messages"] = [*part["messages"], f"{tally.account}: {tally.note}"]
    if tally.deferred_until is not None:
        part["deferred_until"] = tally.deferred_until.isoformat()
    by_platform[tally.platform] = part
    run.by_platform = by_platform
    if tally.errors:
        run.errors = [*(run.errors or []), *tally.errors]
    run.pending_accounts = max(0, run.pending_accounts - 1)
    if run.pending_accounts == 0 and run.finished_at is None:
        end_run(run)
    session.flush()


_ORDER = [SyncStatus.completed.value, SyncStatus.partial.value, SyncStatus.failed.value]


def _worst(a: str, b: str) -> str:
    return a if _ORDER.index(a) >= _ORDER.index(b) else b


def end_run(run: SyncRun, message: str | None = None) -> None:
    """Ends ``run``: its status from its parts, and a sentence saying what happened."""
    run.finished_at = utcnow()
    parts = list((run.by_platform or {}).values())
    failing = [p for p in parts if p.get("status") == SyncStatus.failed.value]
    nothing_read = run.synced == 0 and run.imported == 0
    if (not parts and run.errors) or (parts and len(failing) == len(parts) and nothing_read):
        run.status = SyncStatus.failed
    elif run.failed or run.rate_limited or run.errors:
        run.status = SyncStatus.partial
    else:
        run.status = SyncStatus.completed
    if message is None:
        bits = [f"{run.synced} of {run.total_posts} posts updated"]
        if run.imported:
            bits.append(f"{run.imported} imported")
        if run.failed:
            bits.append(f"{run.failed} failed")
        if run.rate_limited:
            bits.append(f"{run.rate_limited} deferred by rate limits")
        if run.errors:
            bits.append(f"{len(run.errors)} problem{'s' if len(run.errors) != 1 else ''}")
        message = ", ".join(bits) + "."
    run.message = message


def _adopt_published(session: Session, account: SocialAccount) -> None:
    """Posts the product published to the account become followed posts (once each)."""
    targets = session.execute(
        select(
            PostTarget.id,
            PostTarget.remote_id,
            PostTarget.remote_url,
            PostTarget.parts,
            PostTarget.published_at,
            PostTarget.media_ids,
        )
        .outerjoin(
            RemotePost,
            and_(
                RemotePost.social_account_id == account.id,
                RemotePost.remote_id == PostTarget.remote_id,
            ),
        )
        .where(
            PostTarget.social_account_id == account.id,
            PostTarget.status == TargetStatus.published,
            PostTarget.remote_id.is_not(None),
            PostTarget.removed_at.is_(None),
            RemotePost.id.is_(None),
        )
    ).all()
    if not targets:
        return
    now = utcnow()
    session.execute(
        insert(RemotePost),
        [
            {
                "business_id": account.business_id,
                "social_account_id": account.id,
                "platform": account.platform,
                "remote_id": remote_id,
                "remote_url": remote_url,
                "post_target_id": target_id,
                "text": (parts[0] if parts else "") or "",
                "media_kind": "image" if media_ids else None,
                "published_at": published_at or now,
                "imported": False,
                "latest": {},
                "next_sync_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for target_id, remote_id, remote_url, parts, published_at, media_ids in targets
        ],
    )


def _store_found(
    session: Session, work: Work, posts: Iterable[FoundPost], now: datetime
) -> tuple[int, int]:
    """Adds the posts found on the account that are not followed yet (linking those the product
    published), with the numbers the listing carried. Returns how many were new, and how many
    of those came with their numbers."""
    posts = list(posts)
    if not posts:
        return 0, 0
    known = set(
        session.scalars(
            select(RemotePost.remote_id).where(RemotePost.social_account_id == work.account_id)
        )
    )
    targets = dict(
        session.execute(
            select(PostTarget.remote_id, PostTarget.id).where(
                PostTarget.social_account_id == work.account_id,
                PostTarget.remote_id.in_([p.remote_id for p in posts]),
            )
        ).all()
    )
    fresh = [p for p in posts if p.remote_id not in known]
    fresh = list({p.remote_id: p for p in fresh}.values())
    if not fresh:
        return 0, 0
    rows = session.execute(
        insert(RemotePost).returning(RemotePost.id, RemotePost.remote_id),
        [
            {
                "business_id": work.business_id,
                "social_account_id": work.account_id,
                "platform": work.platform,
                "remote_id": p.remote_id,
                "remote_url": p.remote_url,
                "post_target_id": targets.get(p.remote_id),
                "text": p.text or "",
                "media_kind": p.media_kind,
                "published_at": p.published_at,
                "imported": p.remote_id not in targets,
                "latest": {v.metric: v.value for v in p.values},
                "last_synced_at": now if p.values else None,
                # Posts whose numbers came with the listing wait for their next turn; the
                # others are read by this very run.
                "next_sync_at": cadence.next_sync_at(p.published_at, now) if p.values else now,
                "created_at": now,
                "updated_at": now,
            }
            for p in fresh
        ],
    ).all()
    ids = {remote_id: row_id for row_id, remote_id in rows}
    _insert_snapshots(
        session,
        [
            _snapshot(work, ids[p.remote_id], value, now)
            for p in fresh
            if p.remote_id in ids
            for value in p.values
        ],
    )
    with_values = sum(1 for p in fresh if p.values)
    _bump_run(session, work.run_id, synced=with_values, total_posts=with_values)
    return len(fresh), with_values


def followed_counts(session: Session, business_id: int) -> tuple[int, int]:
    """(posts followed, posts read at least once) of a business."""
    total, synced = session.execute(
        select(
            func.count(RemotePost.id),
            func.count(RemotePost.last_synced_at),
        ).where(RemotePost.business_id == business_id, RemotePost.gone_reason.is_(None))
    ).one()
    return int(total or 0), int(synced or 0)
