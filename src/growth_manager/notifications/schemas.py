"""API shapes for notifications."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from growth_manager.models.notifications import NoticeCategory, Notification


def _local_path(url: str | None) -> str | None:
    # Only links inside the dashboard: a notification never sends people elsewhere.
    return url if url and url.startswith("/") and not url.startswith("//") else None


class NotificationOut(BaseModel):
    id: int
    business_id: int
    business_name: str
    category: NoticeCategory = Field(
        description="account, publishing, sync, alert or report: what part of the product speaks."
    )
    kind: str = Field(description="What happened, e.g. `reauth_required`.")
    severity: str = Field(description="info, warning or danger")
    title: str
    body: str
    social_account_id: int | None = Field(description="The account it is about, if one.")
    post_id: int | None = Field(description="The post it is about, if one.")
    subject_url: str | None = Field(description="Dashboard page of what it is about.")
    created_at: datetime
    due_at: datetime | None = Field(description="When it must be dealt with, if it has a date.")
    resolved_at: datetime | None = Field(description="Set once the problem went away.")
    read_at: datetime | None = Field(description="When you read it; null while unread.")

    @classmethod
    def of(
        cls, notification: Notification, read_at: datetime | None, business_name: str
    ) -> NotificationOut:
        return cls(
            id=notification.id,
            business_id=notification.business_id,
            business_name=business_name,
            category=notification.category,
            kind=notification.kind,
            social_account_id=notification.social_account_id,
            post_id=notification.post_id,
            severity=notification.severity,
            title=notification.title,
            body=notification.body,
            subject_url=_local_path(notification.action_url),
            created_at=notification.created_at,
            due_at=notification.due_at,
            resolved_at=notification.resolved_at,
            read_at=read_at,
        )


class NotificationList(BaseModel):
    items: list[NotificationOut]
    unread_count: int = Field(description="Your unread notifications that are still open.")


class MarkAllRead(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Strict: JSON true/false must not pass as business 1/0 and quietly match nothing.
    business_id: int | None = Field(
        default=None,
        strict=True,
        description="Only this business's notifications; all of yours if left out.",
    )


class MarkedRead(BaseModel):
    marked: int
    unread_count: int
