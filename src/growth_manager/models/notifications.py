"""Notices for a business's people: one model for every kind (account trouble, publishing, sync,
alerts, reports), with its severity, its subject and who has read it."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from growth_manager.models.base import Base, TimestampMixin


class NoticeCategory(enum.StrEnum):
    account = "account"  # a connection needs its owner (reconnect, expiry, permissions)
    publishing = "publishing"  # a post published, failed or paused
    sync = "sync"  # an analytics sync failed or hit a limit
    alert = "alert"  # a performance alert
    report = "report"  # a periodic report is ready


class Notification(TimestampMixin, Base):
    """Something a business's people should see. Its subject is the business alone, or one of
    its social accounts or posts; one notice per (subject, kind) is open at a time, so a
    recurring problem updates its notice instead of piling up copies. Who has read it is per
    person (:class:`NotificationRead`)."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_business_open", "business_id", "resolved_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id", ondelete="CASCADE"))
    category: Mapped[NoticeCategory] = mapped_column(
        Enum(NoticeCategory, native_enum=False, length=20),
        default=NoticeCategory.account,
        server_default=NoticeCategory.account.value,
    )
    social_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("social_account.id", ondelete="CASCADE"), default=None
    )
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("post.id", ondelete="CASCADE"), default=None, index=True
    )
    kind: Mapped[str] = mapped_column(String(50))
    severity: Mapped[str] = mapped_column(String(20), default="warning")  # info|warning|danger
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    action_url: Mapped[str | None] = mapped_column(Text, default=None)
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)


class NotificationRead(Base):
    """That one user has read one notification: a business's notifications are shared by its
    members, but each of them reads them on their own."""

    __tablename__ = "notification_read"

    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notification.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    read_at: Mapped[datetime]
