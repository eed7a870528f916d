"""All publishing SQL: claims and leases, the schedule, attempts.

Claims are conditional UPDATEs, so two workers (or a worker and a user cancelling) can never
both win: on PostgreSQL the candidate rows are picked ``FOR UPDATE SKIP LOCKED`` (workers
claiming at once take different rows instead of queueing on each other's locks); on SQLite the
UPDATE runs in one short write transaction, which is already exclusive.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from growth_manager.models.accounts import AccountStatus, SocialAccount
from growth_manager.models.content import Post
from growth_manager.models.publishing import (
    CHANGEABLE,
    CLAIMABLE,
    FINAL,
    AttemptOutcome,
    PostingSchedule,
    PostTarget,
    PublishAttempt,
    TargetStatus,
)


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def claim_due(
    session: Session, owner: str, now: datetime, until: datetime, limit: int, horizon: datetime
) -> list[tuple[int, datetime]]:
    """Lease up to ``limit`` targets due by ``horizon`` (a little ahead of now, so a worker can
    be ready on the second); returns (id, due time) pairs, earliest first."""
    candidates = (
        select(PostTarget.id)
        .where(PostTarget.status.in_(CLAIMABLE), PostTarget.next_attempt_at <= horizon)
        .order_by(PostTarget.next_attempt_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    rows = session.execute(
        update(PostTarget)
        .where(PostTarget.id.in_(candidates.scalar_subquery()), PostTarget.status.in_(CLAIMABLE))
        .values(status=TargetStatus.publishing, lease_owner=owner, lease_until=until)
        .returning(PostTarget.id, PostTarget.next_attempt_at)
        .execution_options(synchronize_session=False)
    ).all()
    return sorted(
        ((row.id, row.next_attempt_at or now) for row in rows), key=lambda r: (r[1], r[0])
    )


def claim_targets(
    session: Session, owner: str, ids: Sequence[int], now: datetime, until: datetime
) -> list[int]:
    """Lease these targets if they are due and free (publish now)."""
    if not ids:
        return []
    rows = session.execute(
        update(PostTarget)
        .where(
            PostTarget.id.in_(list(ids)),
            PostTarget.status.in_(CLAIMABLE),
            PostTarget.next_attempt_at <= now,
        )
        .values(status=TargetStatus.publishing, lease_owner=owner, lease_until=until)
        .returning(PostTarget.id)
        .execution_options(synchronize_session=False)
    ).all()
    return sorted(row.id for row in rows)


def extend_lease(session: Session, target_id: int, owner: str, until: datetime) -> bool:
    result = session.execute(
        update(PostTarget)
        .where(
            PostTarget.id == target_id,
            PostTarget.status == TargetStatus.publishing,
            PostTarget.lease_owner == owner,
        )
        .values(lease_until=until)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


def leased(session: Session, target_id: int, owner: str) -> PostTarget | None:
    """The target, if this worker still holds its lease."""
    return session.scalars(
        select(PostTarget).where(
            PostTarget.id == target_id,
            PostTarget.status == TargetStatus.publishing,
            PostTarget.lease_owner == owner,
        )
    ).first()


def expired_leases(session: Session, now: datetime, limit: int = 500) -> list[PostTarget]:
    return list(
        session.scalars(
            select(PostTarget)
            .where(PostTarget.status == TargetStatus.publishing, PostTarget.lease_until < now)
            .limit(limit)
        )
    )


def running_attempts(session: Session, target_id: int) -> list[PublishAttempt]:
    return list(
        session.scalars(
            select(PublishAttempt).where(
                PublishAttempt.target_id == target_id,
                PublishAttempt.outcome == AttemptOutcome.running,
            )
        )
    )


def resume_paused(session: Session, now: datetime) -> int:
    """Paused targets whose account is active again go back to the schedule: reconnecting an
    account resumes its posts without anyone having to find them."""
    active = select(SocialAccount.id).where(SocialAccount.status == AccountStatus.active)
    result = session.execute(
        update(PostTarget)
        .where(
            PostTarget.status == TargetStatus.paused,
            PostTarget.social_account_id.in_(active.scalar_subquery()),
        )
        .values(
            status=TargetStatus.scheduled,
            status_reason=None,
            next_attempt_at=func.coalesce(PostTarget.next_attempt_at, now),
        )
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result)


def pause_account(session: Session, account_id: int, reason: str) -> int:
    """Every unstarted target of the account waits for its owner."""
    result = session.execute(
        update(PostTarget)
        .where(
            PostTarget.social_account_id == account_id,
            PostTarget.status.in_(CLAIMABLE),
        )
        .values(status=TargetStatus.paused, status_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result)


def next_due(session: Session) -> datetime | None:
    value: datetime | None = session.scalar(
        select(func.min(PostTarget.next_attempt_at)).where(PostTarget.status.in_(CLAIMABLE))
    )
    return value


def target_statuses(session: Session, post_id: int) -> list[TargetStatus]:
    return list(session.scalars(select(PostTarget.status).where(PostTarget.post_id == post_id)))


def targets_of_post(session: Session, post_id: int) -> list[PostTarget]:
    return list(
        session.scalars(
            select(PostTarget).where(PostTarget.post_id == post_id).order_by(PostTarget.id)
        )
    )


def target(session: Session, business_id: int, target_id: int) -> PostTarget | None:
    return session.scalars(
        select(PostTarget).where(PostTarget.id == target_id, PostTarget.business_id == business_id)
    ).first()


def attempts_of(session: Session, target_ids: Sequence[int]) -> list[PublishAttempt]:
    if not target_ids:
        return []
    return list(
        session.scalars(
            select(PublishAttempt)
            .where(PublishAttempt.target_id.in_(list(target_ids)))
            .order_by(PublishAttempt.target_id, PublishAttempt.id)
        )
    )


def schedule(
    session: Session,
    business_id: int,
    start: datetime | None,
    end: datetime | None,
    statuses: Sequence[TargetStatus],
    account_ids: Sequence[int],
    limit: int,
    offset: int,
) -> tuple[list[PostTarget], int]:
    conditions = [PostTarget.business_id == business_id]
    if start is not None:
        conditions.append(PostTarget.scheduled_at >= start)
    if end is not None:
        conditions.append(PostTarget.scheduled_at < end)
    if statuses:
        conditions.append(PostTarget.status.in_(list(statuses)))
    if account_ids:
        conditions.append(PostTarget.social_account_id.in_(list(account_ids)))
    total = session.scalar(select(func.count()).select_from(PostTarget).where(*conditions)) or 0
    rows = session.scalars(
        select(PostTarget)
        .where(*conditions)
        .order_by(PostTarget.scheduled_at, PostTarget.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(total)


def taken_times(session: Session, account_id: int, after: datetime) -> list[datetime]:
    """When the account already publishes (or published) from ``after`` on."""
    return list(
        session.scalars(
            select(PostTarget.scheduled_at).where(
                PostTarget.social_account_id == account_id,
                PostTarget.scheduled_at >= after,
                PostTarget.status != TargetStatus.cancelled,
                PostTarget.status != TargetStatus.failed,
            )
        )
    )


def change_targets(session: Session, ids: Iterable[int], **values: object) -> int:
    """Update targets that nobody has started publishing; the count tells how many were."""
    result = session.execute(
        update(PostTarget)
        .where(PostTarget.id.in_(list(ids)), PostTarget.status.in_(CHANGEABLE))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result)


def schedule_of(session: Session, account_id: int) -> PostingSchedule | None:
    return session.scalars(
        select(PostingSchedule).where(PostingSchedule.social_account_id == account_id)
    ).first()


def accounts(session: Session, business_id: int, ids: Sequence[int] | None) -> list[SocialAccount]:
    query = select(SocialAccount).where(SocialAccount.business_id == business_id)
    if ids is not None:
        query = query.where(SocialAccount.id.in_(list(ids)))
    else:
        query = query.where(SocialAccount.status != AccountStatus.disconnected)
    return list(session.scalars(query.order_by(SocialAccount.id)))


def upcoming_and_failed(
    session: Session, business_id: int, now: datetime, limit: int = 5
) -> tuple[list[PostTarget], list[PostTarget]]:
    upcoming = session.scalars(
        select(PostTarget)
        .where(
            PostTarget.business_id == business_id,
            PostTarget.status.in_((*CLAIMABLE, TargetStatus.publishing, TargetStatus.paused)),
        )
        .order_by(PostTarget.scheduled_at)
        .limit(limit)
    ).all()
    failed = session.scalars(
        select(PostTarget)
        .where(PostTarget.business_id == business_id, PostTarget.status == TargetStatus.failed)
        .order_by(PostTarget.updated_at.desc())
        .limit(limit)
    ).all()
    return list(upcoming), list(failed)


def business_of_post(session: Session, post_id: int) -> int | None:
    value: int | None = session.scalar(select(Post.business_id).where(Post.id == post_id))
    return value


def post_of(session: Session, business_id: int, post_id: int) -> Post | None:
    return session.scalars(
        select(Post).where(Post.id == post_id, Post.business_id == business_id)
    ).first()


def is_final(status: TargetStatus) -> bool:
    return status in FINAL
