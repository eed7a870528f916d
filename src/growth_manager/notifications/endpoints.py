"""REST endpoints for notifications (thin: the service does the work)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from growth_manager.auth.dependencies import CurrentUser, DbSession
from growth_manager.business.access import BusinessViewer
from growth_manager.errors import NotFound
from growth_manager.notifications.schemas import (
    MarkAllRead,
    MarkedRead,
    NotificationList,
    NotificationOut,
)
from growth_manager.notifications.service import MAX_LISTED, notifications

router = APIRouter(prefix="/api/v1", tags=["notifications"])


@router.get("/notifications", response_model=NotificationList)
def list_notifications(
    user: CurrentUser,
    session: DbSession,
    business_id: Annotated[int | None, Query(description="Only this business.")] = None,
    unread: Annotated[bool, Query(description="Only the ones you have not read.")] = False,
    limit: Annotated[int, Query(ge=1, le=MAX_LISTED)] = 50,
) -> NotificationList:
    """Your notifications from every business you belong to, newest first."""
    return notifications.list(
        session, user, business_id=business_id, unread_only=unread, limit=limit
    )


@router.post("/notifications/read-all", response_model=MarkedRead)
def mark_all_read(
    user: CurrentUser, session: DbSession, body: MarkAllRead | None = None
) -> MarkedRead:
    """Mark all your unread notifications read (or those of one business)."""
    marked = notifications.mark_all_read(session, user, body.business_id if body else None)
    return MarkedRead(marked=marked, unread_count=notifications.unread_count(session, user))


@router.post("/notifications/{notification_id}/read", response_model=NotificationOut)
def mark_read(notification_id: int, user: CurrentUser, session: DbSession) -> NotificationOut:
    """Mark one notification read, for you only; the other members keep their own state."""
    return notifications.mark_read(session, user, notification_id)


@router.get(
    "/businesses/{business_id}/notifications",
    response_model=list[NotificationOut],
    summary="A business's open notifications",
)
def business_notifications(
    access: BusinessViewer, user: CurrentUser, session: DbSession
) -> list[NotificationOut]:
    """The business's notices that are still open (token trouble, failures…), newest first, with
    whether you have read each."""
    return notifications.list(
        session, user, business_id=access.business.id, open_only=True, limit=MAX_LISTED
    ).items


@router.post(
    "/businesses/{business_id}/notifications/{notification_id}/read",
    response_model=NotificationOut,
    summary="Mark one of a business's notifications read",
)
def mark_business_notification_read(
    notification_id: int, access: BusinessViewer, user: CurrentUser, session: DbSession
) -> NotificationOut:
    """For you only; the other members keep their own state."""
    read = notifications.mark_read(session, user, notification_id)
    if read.business_id != access.business.id:
        raise NotFound(f"Notification {notification_id} was not found in this business.")
    return read
