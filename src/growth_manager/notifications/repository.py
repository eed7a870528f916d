"""All SQL for reading notifications. Scoping lives here, once: a person sees the notifications
of the businesses they are a member of, and nothing else."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from growth_manager.models.business import Business, BusinessMember
from growth_manager.models.notifications import Notification, NotificationRead


def _visible(user_id: int) -> Select[Notification, datetime, str]:
    return (
        select(Notification, NotificationRead.read_at, Business.name)
        .join(
            BusinessMember,
            and_(
                BusinessMember.business_id == Notification.business_id,
                BusinessMember.user_id == user_id,
            ),
        )
        .join(Business, Business.id == Notification.business_id)
        .outerjoin(
            NotificationRead,
            and_(
                NotificationRead.notification_id == Notification.id,
                NotificationRead.user_id == user_id,
            ),
        )
    )


def list_for_user(
    session: Session,
    user_id: int,
    *,
    business_id: int | None = None,
    unread_only: bool = False,
    open_only: bool = False,
    limit: int = 50,
) -> list[tuple[Notification, datetime | None, str]]:
    """Newest first, each with when this user read it (None: unread) and its business's name."""
    query = _visible(user_id)
    if business_id is not None:
        query = query.where(Notification.business_id == business_id)
    if open_only:
        query = query.where(Notification.resolved_at.is_(None))
    if unread_only:
        query = query.where(NotificationRead.read_at.is_(None))
    query = query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    return [(row[0], row[1], row[2]) for row in session.execute(query)]


def get_for_user(
    session: Session, user_id: int, notification_id: int
) -> tuple[Notification, datetime | None, str] | None:
    row = session.execute(_visible(user_id).where(Notification.id == notification_id)).first()
    return None if row is None else (row[0], row[1], row[2])


def unread_count(session: Session, user_id: int) -> int:
    """Unread and still open: a problem that resolved itself does not ring the bell."""
    sub = (
        _visible(user_id)
        .where(NotificationRead.read_at.is_(None), Notification.resolved_at.is_(None))
        .subquery()
    )
    query = select(func.count()).select_from(sub)
    return int(session.scalar(query) or 0)


def unread_ids(session: Session, user_id: int, business_id: int | None = None) -> list[int]:
    query = _visible(user_id).where(NotificationRead.read_at.is_(None))
    if business_id is not None:
        query = query.where(Notification.business_id == business_id)
    return [row[0].id for row in session.execute(query)]


def add_reads(session: Session, user_id: int, notification_ids: list[int], now: datetime) -> None:
    session.add_all(
        NotificationRead(notification_id=nid, user_id=user_id, read_at=now)
        for nid in notification_ids
    )
    session.flush()


def open_notice(
    session: Session,
    business_id: int,
    kind: str,
    *,
    account_id: int | None = None,
    post_id: int | None = None,
) -> Notification | None:
    """The open notice of ``kind`` about this subject, if there is one."""
    return session.scalar(
        select(Notification).where(
            Notification.business_id == business_id,
            Notification.kind == kind,
            Notification.social_account_id.is_(None)
            if account_id is None
            else Notification.social_account_id == account_id,
            Notification.post_id.is_(None) if post_id is None else Notification.post_id == post_id,
            Notification.resolved_at.is_(None),
        )
    )


def open_notices_about(
    session: Session, *, account_id: int | None = None, post_id: int | None = None
) -> list[Notification]:
    query = select(Notification).where(Notification.resolved_at.is_(None))
    if account_id is not None:
        query = query.where(Notification.social_account_id == account_id)
    if post_id is not None:
        query = query.where(Notification.post_id == post_id)
    return list(session.scalars(query))


def for_business(
    session: Session, business_id: int, include_resolved: bool = False
) -> list[Notification]:
    query = select(Notification).where(Notification.business_id == business_id)
    if not include_resolved:
        query = query.where(Notification.resolved_at.is_(None))
    return list(session.scalars(query.order_by(Notification.created_at.desc(), Notification.id)))
