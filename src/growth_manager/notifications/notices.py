"""Raising and resolving notices: the one way any part of the product tells a business's people
something (a connection to renew, a post that failed, a sync that stopped, an alert, a report).

A notice has a category, a severity and a subject (the business, one of its accounts or one of its
posts); at most one notice per subject and kind is open, so a problem that recurs refreshes its
notice instead of adding copies. Raising one flushes it and, once the transaction commits, hands
its id to every registered :class:`Channel`. The dashboard reads the rows themselves; email,
Slack, Discord and webhooks will be channels (deliveries with their own retries), added without
touching the code that raises notices.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import structlog
from sqlalchemy.orm import Session

from growth_manager.db import after_commit
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import SocialAccount
from growth_manager.models.notifications import NoticeCategory, Notification
from growth_manager.notifications import repository

log = structlog.get_logger(__name__)


class Channel(Protocol):
    """Where a committed notice goes besides the dashboard. ``notice_raised`` runs after the
    commit, with the notice's id only: a channel re-reads what it needs (and should enqueue a
    job rather than call out from the committing request)."""

    name: str

    def notice_raised(self, notification_id: int) -> None: ...


channels: list[Channel] = []


def raise_notice(
    session: Session,
    business_id: int,
    category: NoticeCategory,
    kind: str,
    title: str,
    body: str = "",
    *,
    severity: str = "warning",
    account_id: int | None = None,
    post_id: int | None = None,
    action_url: str | None = None,
    due_at: datetime | None = None,
) -> Notification:
    """Open the notice ``kind`` about this subject, or refresh the open one's words."""
    existing = repository.open_notice(
        session, business_id, kind, account_id=account_id, post_id=post_id
    )
    if existing is not None:
        existing.title, existing.body, existing.severity = title, body, severity
        existing.action_url, existing.due_at = action_url, due_at
        return existing
    notification = Notification(
        business_id=business_id,
        category=category,
        social_account_id=account_id,
        post_id=post_id,
        kind=kind,
        severity=severity,
        title=title,
        body=body,
        action_url=action_url,
        due_at=due_at,
    )
    session.add(notification)
    session.flush()
    log.info(
        "notifications.notice.raised",
        notification_id=notification.id,
        business_id=business_id,
        category=category.value,
        kind=kind,
    )
    if channels:
        notification_id = notification.id
        after_commit(session, lambda: _hand_to_channels(notification_id))
    return notification


def resolve_notices(
    session: Session,
    *,
    account_id: int | None = None,
    post_id: int | None = None,
    kind: str | None = None,
) -> None:
    """Close the open notices about this subject (of ``kind``, or all of them)."""
    now = utcnow()
    for notification in repository.open_notices_about(
        session, account_id=account_id, post_id=post_id
    ):
        if kind is None or notification.kind == kind:
            notification.resolved_at = now


def raise_for_account(
    session: Session,
    account: SocialAccount,
    kind: str,
    title: str,
    body: str,
    *,
    severity: str = "warning",
    due_at: datetime | None = None,
) -> Notification:
    """A notice about a connection; it links to the business's Connections page."""
    return raise_notice(
        session,
        account.business_id,
        NoticeCategory.account,
        kind,
        title,
        body,
        severity=severity,
        account_id=account.id,
        action_url=f"/businesses/{account.business_id}/connections",
        due_at=due_at,
    )


def resolve_for_account(session: Session, account: SocialAccount, kind: str | None = None) -> None:
    resolve_notices(session, account_id=account.id, kind=kind)


def _hand_to_channels(notification_id: int) -> None:
    for channel in channels:
        try:
            channel.notice_raised(notification_id)
        except Exception:  # one channel's trouble must not stop the others
            log.exception(
                "notifications.channel.failed",
                channel=channel.name,
                notification_id=notification_id,
            )
