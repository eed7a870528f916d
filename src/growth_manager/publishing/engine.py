"""The unit of work of one publish: claim → call the platform → record.

1. **Claim** (one short write transaction): due targets get ``status=publishing`` and a lease
   (:func:`repository.claim_due`). Nothing else can change them while the lease holds: edits
   and cancels are conditional on the status and answer 409.
2. **Prepare** (another short one): an attempt row is written (``running``), the request is
   built from the target, its account and media.
3. **Call** with no transaction open, through the token keeper (one forced refresh and one
   retry on a 401). Each step the platform completes (an upload, a thread part, a container,
   the first comment) is stored at once with its platform id (and the lease extended), so the
   next attempt resumes after it. When the last attempt's outcome is unknown (a timeout after
   sending, a worker that died mid-call), the provider first looks on the platform for what did
   happen (``recover``) and the attempt adopts it instead of posting again.
4. **Record** (a last short one): the platform's id and URL in the same transaction that marks
   the target published, or the retry, pause or failure with the platform's own words.

A lease that runs out (the worker died) is reaped: the target is retried with ``needs_check``
set, so exactly-once holds across crashes too.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from growth_manager.config import Settings
from growth_manager.content.signed import signed_url
from growth_manager.db import Database, unit_of_work
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import AccountStatus, RateLimitBudget, SocialAccount
from growth_manager.models.content import MediaAsset
from growth_manager.models.notifications import NoticeCategory
from growth_manager.models.publishing import (
    AttemptOutcome,
    PostTarget,
    PublishAttempt,
    TargetStatus,
)
from growth_manager.notifications import notices
from growth_manager.providers.base import (
    MediaItem,
    PublishRequest,
    PublishResult,
    SocialProvider,
    TokenSet,
)
from growth_manager.providers.errors import (
    NotReady,
    OutcomeUnknown,
    ProviderError,
    RateLimited,
    ReauthRequired,
    Rejected,
)
from growth_manager.providers.registry import descriptor, is_platform
from growth_manager.publishing import repository
from growth_manager.publishing.service import account_label, refresh_post_status
from growth_manager.tokens.keeper import TokenKeeper

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Policy:
    """How long a claim holds and how failures are retried."""

    lease: timedelta = timedelta(minutes=2)
    # After the 1st, 2nd and 3rd failed attempt; after the last one the target fails.
    backoff: tuple[timedelta, ...] = (
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
    )
    # After an unknown outcome: long enough for the platform to show the post in listings.
    recheck_after: timedelta = timedelta(seconds=15)
    # A rate limit is waited out (it is not the post's fault) up to this long past its time.
    rate_limit_patience: timedelta = timedelta(hours=24)

    @property
    def max_attempts(self) -> int:
        return len(self.backoff) + 1

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            lease=timedelta(seconds=settings.publish_lease_seconds),
            backoff=tuple(timedelta(seconds=s) for s in settings.publish_backoff_seconds),
            recheck_after=timedelta(seconds=settings.publish_recheck_seconds),
        )


class LeaseLost(Exception):
    """Another worker reaped this target (our lease ran out): stop, record nothing."""


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


@dataclass(frozen=True)
class Prepared:
    target_id: int
    post_id: int
    account_id: int
    attempt_id: int
    request: PublishRequest
    progress: dict[str, str]
    needs_check: bool
    started: float


def media_items(session: Session, settings: Settings, target: PostTarget) -> tuple[MediaItem, ...]:
    ids = [int(i) for i in target.media_ids]
    if not ids:
        return ()
    rows = {
        row.id: row for row in session.scalars(select(MediaAsset).where(MediaAsset.id.in_(ids)))
    }
    items = []
    for media_id in ids:
        asset = rows.get(media_id)
        if asset is None:
            continue  # deleted since: validation already refused media in use
        items.append(
            MediaItem(
                key=str(asset.id),
                kind=asset.kind.value,
                mime=asset.mime,
                size_bytes=asset.size_bytes,
                path=str(settings.media_dir / asset.storage_path),
                url=signed_url(settings, asset),
                width=asset.width,
                height=asset.height,
                duration_ms=asset.duration_ms,
                filename=asset.original_filename,
            )
        )
    return tuple(items)


def request_for(
    session: Session, settings: Settings, target: PostTarget, account: SocialAccount
) -> PublishRequest:
    """What the provider is asked to publish (or delete) for this target."""
    return PublishRequest(
        account_external_id=account.external_id,
        account_kind=account.kind,
        parts=tuple(str(p) for p in target.parts),
        media=media_items(session, settings, target),
        first_comment=target.first_comment,
        link=target.link,
        reel=target.reel,
        parent_external_id=account.parent_external_id,
    )


class Publisher:
    def __init__(
        self,
        database: Database,
        settings: Settings,
        keeper: TokenKeeper | None = None,
        policy: Policy | None = None,
        owner: str | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.keeper = keeper or TokenKeeper(database, settings)
        self.policy = policy or Policy.from_settings(settings)
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"

    # --- claim ---------------------------------------------------------------------------------
    def claim_due(
        self, limit: int, lookahead: timedelta = timedelta(0)
    ) -> list[tuple[int, datetime]]:
        now = utcnow()
        with self.database.session() as session:
            return repository.claim_due(
                session, self.owner, now, now + self.policy.lease, limit, now + lookahead
            )

    def claim(self, target_ids: list[int]) -> list[int]:
        now = utcnow()
        with self.database.session() as session:
            return repository.claim_targets(
                session, self.owner, target_ids, now, now + self.policy.lease
            )

    def claim_post(self, post_id: int) -> list[int]:
        with self.database.session() as session:
            ids = [t.id for t in repository.targets_of_post(session, post_id)]
        return self.claim(ids)

    def reap(self) -> int:
        """Expired leases go back to be retried (checked first: the dead worker may have
        posted); paused targets of reconnected accounts resume."""
        now = utcnow()
        reaped = 0
        with self.database.session() as session:
            for target in repository.expired_leases(session, now):
                for attempt in repository.running_attempts(session, target.id):
                    attempt.outcome = AttemptOutcome.abandoned
                    attempt.finished_at = now
                    attempt.message = "the worker stopped answering before the attempt ended"
                target.status = TargetStatus.retrying
                target.needs_check = True
                target.lease_owner = None
                target.lease_until = None
                target.next_attempt_at = now
                target.status_reason = (
                    "the last attempt was interrupted; checking the platform before retrying"
                )
                reaped += 1
                log.warning("publishing.lease.reaped", target_id=target.id)
            resumed = repository.resume_paused(session, now)
            if resumed:
                log.info("publishing.targets.resumed", count=resumed)
        return reaped

    # --- one target ----------------------------------------------------------------------------
    def publish(self, target_id: int) -> TargetStatus | None:
        """Run one leased target to its next state (see the module docstring); None if the
        lease was lost."""
        structlog.contextvars.bind_contextvars(target_id=target_id)
        try:
            claimed = False

            def claim(session: Session) -> Prepared | None:
                nonlocal claimed
                prepared = self._prepare(session, target_id)
                claimed = prepared is not None
                return prepared

            status = unit_of_work(self.database, claim, self._attempt, self._record)
            return status if claimed else self._status_of(target_id)
        finally:
            structlog.contextvars.unbind_contextvars("target_id")

    def _attempt(self, prepared: Prepared) -> PublishResult | ProviderError | LeaseLost:
        """The call, with every way it can end as a value for ``_record``."""
        try:
            return self._call(prepared)
        except LeaseLost as lost:
            return lost
        except ProviderError as exc:
            return exc
        except Exception as exc:
            # A bug must not leave the target leased until reaped; and since it may have
            # struck after the platform took the post, the next try checks first.
            log.exception("publishing.attempt.crashed")
            return OutcomeUnknown("unknown", f"internal error: {type(exc).__name__}")

    def _record(
        self,
        session: Session,
        prepared: Prepared,
        answer: PublishResult | ProviderError | LeaseLost,
    ) -> TargetStatus | None:
        if isinstance(answer, LeaseLost):
            log.warning("publishing.lease.lost")
            return None
        if isinstance(answer, ProviderError):
            return self._failed(session, prepared, answer)
        return self._published(session, prepared, answer)

    def _status_of(self, target_id: int) -> TargetStatus | None:
        with self.database.session() as session:
            target = session.get(PostTarget, target_id)
            return target.status if target else None

    def _prepare(self, session: Session, target_id: int) -> Prepared | None:
        now = utcnow()
        target = repository.leased(session, target_id, self.owner)
        if target is None:
            return None
        account = (
            session.get(SocialAccount, target.social_account_id)
            if target.social_account_id
            else None
        )
        if account is None or not is_platform(account.platform):
            self._settle(
                session,
                target,
                None,
                TargetStatus.failed,
                "the account was removed from the business; choose another account",
            )
            return None
        if account.status in (AccountStatus.reauth_required, AccountStatus.disconnected):
            self._pause(session, target, account)
            return None
        deferred = self._budget_wait(session, account.id, now)
        if deferred is not None:
            target.status = TargetStatus.retrying
            target.next_attempt_at = deferred
            target.lease_owner = target.lease_until = None
            target.status_reason = (
                f"waiting for the {descriptor(account.platform).display_name} rate limit to "
                f"reset at {deferred:%H:%M:%S} UTC"
            )
            return None
        number = (
            len(
                session.scalars(
                    select(PublishAttempt.id).where(PublishAttempt.target_id == target.id)
                ).all()
            )
            + 1
        )
        attempt = PublishAttempt(
            target_id=target.id,
            number=number,
            worker=self.owner,
            started_at=now,
            outcome=AttemptOutcome.running,
            steps={},
        )
        session.add(attempt)
        target.lease_until = now + self.policy.lease
        request = request_for(session, self.settings, target, account)
        session.flush()
        return Prepared(
            target_id=target.id,
            post_id=target.post_id,
            account_id=account.id,
            attempt_id=attempt.id,
            request=request,
            progress={str(k): str(v) for k, v in (target.progress or {}).items()},
            needs_check=target.needs_check,
            started=time.perf_counter(),
        )

    def _budget_wait(self, session: Session, account_id: int, now: datetime) -> datetime | None:
        """When the account's recorded write budget is spent: its reset time."""
        spent = session.scalars(
            select(RateLimitBudget.reset_at).where(
                RateLimitBudget.social_account_id == account_id,
                RateLimitBudget.remaining == 0,
                RateLimitBudget.reset_at > now,
                RateLimitBudget.endpoint.like("POST %"),
            )
        ).all()
        times = [at for at in spent if at is not None]
        return max(times) if times else None

    def _record_step(self, prepared: Prepared, step: str, remote_id: str) -> None:
        now = utcnow()
        with self.database.session() as session:
            target = repository.leased(session, prepared.target_id, self.owner)
            if target is None:
                raise LeaseLost(prepared.target_id)
            target.progress = {**(target.progress or {}), step: remote_id}
            target.lease_until = now + self.policy.lease
            attempt = session.get(PublishAttempt, prepared.attempt_id)
            if attempt is not None:
                attempt.steps = {**(attempt.steps or {}), step: remote_id}
        prepared.progress[step] = remote_id
        log.info("publishing.step.recorded", step=step)

    def _call(self, prepared: Prepared) -> PublishResult:
        check = prepared.needs_check

        def work(provider: SocialProvider, token: TokenSet) -> PublishResult:
            nonlocal check
            if check:
                found = provider.recover(prepared.request, token, dict(prepared.progress))
                for step, remote_id in found.items():
                    if prepared.progress.get(step) != remote_id:
                        self._record_step(prepared, step, remote_id)
                check = False
            return provider.publish(
                prepared.request,
                token,
                dict(prepared.progress),
                lambda step, remote_id: self._record_step(prepared, step, remote_id),
            )

        return self.keeper.call(prepared.account_id, work)

    # --- record --------------------------------------------------------------------------------
    def _finish_attempt(
        self,
        session: Session,
        prepared: Prepared,
        outcome: AttemptOutcome,
        error: ProviderError | None = None,
    ) -> None:
        attempt = session.get(PublishAttempt, prepared.attempt_id)
        if attempt is None:
            return
        attempt.outcome = outcome
        attempt.finished_at = utcnow()
        attempt.duration_ms = int((time.perf_counter() - prepared.started) * 1000)
        if error is not None:
            attempt.http_status = error.status
            attempt.platform_code = error.code
            attempt.message = error.message[:4000]

    def _published(
        self, session: Session, prepared: Prepared, result: PublishResult
    ) -> TargetStatus | None:
        target = repository.leased(session, prepared.target_id, self.owner)
        if target is None:
            log.warning("publishing.lease.lost_at_record")
            return None
        self._finish_attempt(
            session,
            prepared,
            AttemptOutcome.recovered if prepared.needs_check else AttemptOutcome.published,
        )
        target.remote_id = result.remote_id
        target.remote_url = result.remote_url
        target.warnings = list(result.warnings)
        target.published_at = utcnow()
        target.needs_check = False
        target.last_error = None
        target.last_error_code = None
        self._settle(session, target, None, TargetStatus.published, None)
        notices.resolve_notices(session, post_id=target.post_id, kind="publish_failed")
        log.info("publishing.target.published", remote_id=result.remote_id)
        return TargetStatus.published

    def _failed(
        self, session: Session, prepared: Prepared, error: ProviderError
    ) -> TargetStatus | None:
        now = utcnow()
        target = repository.leased(session, prepared.target_id, self.owner)
        if target is None:
            return None
        account = session.get(SocialAccount, prepared.account_id)
        target.last_error = error.message
        target.last_error_code = error.code
        if isinstance(error, NotReady):
            self._finish_attempt(session, prepared, AttemptOutcome.not_ready, error)
            return self._retry_at(
                session,
                target,
                now + timedelta(seconds=max(1.0, error.retry_after)),
                error.message,
                count=False,
            )
        if isinstance(error, ReauthRequired):
            self._finish_attempt(session, prepared, AttemptOutcome.reauth_required, error)
            assert account is not None
            self._pause(session, target, account)
            return TargetStatus.paused
        if isinstance(error, Rejected):
            self._finish_attempt(session, prepared, AttemptOutcome.rejected, error)
            return self._settle(session, target, account, TargetStatus.failed, error.message)
        if isinstance(error, RateLimited):
            self._finish_attempt(session, prepared, AttemptOutcome.rate_limited, error)
            wait = max(timedelta(seconds=error.retry_after), self.policy.backoff[0])
            if now + wait > target.scheduled_at + self.policy.rate_limit_patience:
                return self._settle(
                    session,
                    target,
                    account,
                    TargetStatus.failed,
                    f"still rate limited a day after its time: {error.message}",
                )
            return self._retry_at(
                session, target, now + wait, f"rate limited: {error.message}", count=False
            )
        if isinstance(error, OutcomeUnknown):
            self._finish_attempt(session, prepared, AttemptOutcome.unknown, error)
            target.needs_check = True
            return self._retry_at(
                session,
                target,
                now + self.policy.recheck_after,
                f"no answer from the platform ({error.message}); checking whether the post "
                "went out before trying again",
            )
        self._finish_attempt(session, prepared, AttemptOutcome.retry, error)
        return self._retry_at(session, target, None, error.message)

    def _retry_at(
        self,
        session: Session,
        target: PostTarget,
        at: datetime | None,
        reason: str,
        *,
        count: bool = True,
    ) -> TargetStatus | None:
        if count:
            target.attempts += 1
            if target.attempts >= self.policy.max_attempts:
                account = (
                    session.get(SocialAccount, target.social_account_id)
                    if target.social_account_id
                    else None
                )
                return self._settle(
                    session,
                    target,
                    account,
                    TargetStatus.failed,
                    f"gave up after {target.attempts} attempts: {reason}",
                )
            if at is None:
                at = utcnow() + self.policy.backoff[target.attempts - 1]
        target.next_attempt_at = at or utcnow()
        return self._settle(
            session,
            target,
            None,
            TargetStatus.retrying,
            f"{reason} (next try at {target.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC)",
        )

    def _pause(self, session: Session, target: PostTarget, account: SocialAccount) -> None:
        reason = f"reconnect {account_label(account)} to resume"
        repository.pause_account(session, account.id, reason)
        self._settle(session, target, account, TargetStatus.paused, reason)

    def _settle(
        self,
        session: Session,
        target: PostTarget,
        account: SocialAccount | None,
        status: TargetStatus,
        reason: str | None,
    ) -> TargetStatus:
        target.status = status
        target.status_reason = reason
        target.lease_owner = None
        target.lease_until = None
        if status is not TargetStatus.retrying:
            target.next_attempt_at = (
                None if status is not TargetStatus.paused else (target.next_attempt_at)
            )
        session.flush()
        refresh_post_status(session, target.post_id)
        if status is TargetStatus.failed:
            where = account_label(account) if account is not None else target.platform
            notices.raise_notice(
                session,
                target.business_id,
                NoticeCategory.publishing,
                "publish_failed",
                f"A post to {where} failed",
                f"{reason}. Open the post to edit and retry it.",
                severity="danger",
                post_id=target.post_id,
                account_id=target.social_account_id,
                action_url=f"/businesses/{target.business_id}/posts/{target.post_id}",
            )
            log.warning("publishing.target.failed", reason=reason)
        return status
