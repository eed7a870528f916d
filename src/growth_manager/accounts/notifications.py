"""Dashboard notifications about connections: one open notification per account and kind."""

from __future__ import annotations

from datetime import datetime

import structlog
from sqlalchemy.orm import Session

from growth_manager.accounts import repository
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import Notification, SocialAccount

log = structlog.get_logger(__name__)


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
    """Open (or refresh the text of) the notification ``kind`` for ``account``."""
    existing = repository.open_notification(session, account.business_id, account.id, kind)
    action = f"/businesses/{account.business_id}/connections"
    if existing is not None:
        existing.title, existing.body, existing.severity = title, body, severity
        existing.due_at = due_at
        return existing
    notification = Notification(
        business_id=account.business_id,
        social_account_id=account.id,
        kind=kind,
        severity=severity,
        title=title,
        body=body,
        action_url=action,
        due_at=due_at,
    )
    session.add(notification)
    session.flush()
    log.info(
        "accounts.notification.created",
        account_id=account.id,
        business_id=account.business_id,
        kind=kind,
    )
    return notification


def resolve_for_account(session: Session, account: SocialAccount, kind: str | None = None) -> None:
    now = utcnow()
    for notification in repository.open_notifications_for_account(session, account.id):
        if kind is None or notification.kind == kind:
            notification.resolved_at = now
