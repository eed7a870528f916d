"""Reading notifications: the list, the count, marking read. Read state is per person."""

from __future__ import annotations

from sqlalchemy.orm import Session

from growth_manager.errors import NotFound
from growth_manager.kit.clock import utcnow
from growth_manager.models.user import User
from growth_manager.notifications import repository
from growth_manager.notifications.schemas import NotificationList, NotificationOut
from growth_manager.web.templating import layout_part

MAX_LISTED = 200


class NotificationService:
    def list(
        self,
        session: Session,
        user: User,
        *,
        business_id: int | None = None,
        unread_only: bool = False,
        open_only: bool = False,
        limit: int = 50,
    ) -> NotificationList:
        rows = repository.list_for_user(
            session,
            user.id,
            business_id=business_id,
            unread_only=unread_only,
            open_only=open_only,
            limit=min(limit, MAX_LISTED),
        )
        return NotificationList(
            items=[NotificationOut.of(*row) for row in rows],
            unread_count=repository.unread_count(session, user.id),
        )

    def unread_count(self, session: Session, user: User) -> int:
        return repository.unread_count(session, user.id)

    def mark_read(self, session: Session, user: User, notification_id: int) -> NotificationOut:
        found = repository.get_for_user(session, user.id, notification_id)
        if found is None:
            # Another tenant's notification is as absent as one that never existed.
            raise NotFound(f"Notification {notification_id} was not found.")
        notification, read_at, business_name = found
        if read_at is None:
            read_at = utcnow()
            repository.add_reads(session, user.id, [notification.id], read_at)
        return NotificationOut.of(notification, read_at, business_name)

    def mark_all_read(self, session: Session, user: User, business_id: int | None = None) -> int:
        ids = repository.unread_ids(session, user.id, business_id)
        if ids:
            repository.add_reads(session, user.id, ids, utcnow())
        return len(ids)


notifications = NotificationService()


@layout_part
def _bell(session: Session, user: User) -> dict[str, int]:
    """The header bell's count, on every page that has the layout."""
    return {"unread_notifications": notifications.unread_count(session, user)}
