"""Competitors: other businesses' public accounts a business follows, and what each daily read
of them found.

``competitor`` is one handle on one platform with the outcome of its last read (``status``
and the platform's words). ``competitor_snapshot`` is one read: followers, following, posts,
and the recent posts' public numbers with a summary; snapshots are never overwritten, so
growth is measured from them like the business's own follower history.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from growth_manager.models.base import Base, TimestampMixin, utcnow


class CompetitorStatus(enum.StrEnum):
    pending = "pending"  # added, not read yet (or its last read was deferred)
    ok = "ok"
    not_found = "not_found"  # no such account, or suspended
    not_business = "not_business"  # Instagram: no business or creator account by that name
    protected = "protected"  # numbers public, posts hidden
    unsupported = "unsupported"  # the platform offers no read of other accounts


class Competitor(TimestampMixin, Base):
    __tablename__ = "competitor"
    __table_args__ = (UniqueConstraint("business_id", "platform", "handle_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(
        ForeignKey("business.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str] = mapped_column(String(20))
    handle: Mapped[str] = mapped_column(String(100))  # as typed, without "@"
    handle_key: Mapped[str] = mapped_column(String(100))  # lower-cased: handles ignore case
    remote_id: Mapped[str | None] = mapped_column(String(100), default=None)
    display_name: Mapped[str | None] = mapped_column(String(200), default=None)
    status: Mapped[str] = mapped_column(String(20), default=CompetitorStatus.pending.value)
    status_message: Mapped[str | None] = mapped_column(Text, default=None)
    added_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    last_synced_at: Mapped[datetime | None] = mapped_column(default=None)
    # A read deferred by a spent rate-limit budget waits until then (it is not a failure).
    deferred_until: Mapped[datetime | None] = mapped_column(default=None)


class CompetitorSnapshot(Base):
    """One read of a competitor. ``posts`` holds the recent posts' public numbers as read:
    ``[{"id", "published_at", "metrics": {METRICS key: value}, "raw": {platform fields}}]``."""

    __tablename__ = "competitor_snapshot"
    __table_args__ = (
        Index("ix_competitor_snapshot_competitor_at", "competitor_id", "captured_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    competitor_id: Mapped[int] = mapped_column(ForeignKey("competitor.id", ondelete="CASCADE"))
    business_id: Mapped[int] = mapped_column(
        ForeignKey("business.id", ondelete="CASCADE"), index=True
    )
    captured_at: Mapped[datetime] = mapped_column(default=utcnow)
    followers: Mapped[int | None] = mapped_column(Integer, default=None)
    following: Mapped[int | None] = mapped_column(Integer, default=None)
    posts_count: Mapped[int | None] = mapped_column(Integer, default=None)
    # The posts published in the 30 days before the read, and their interactions per post.
    posts_30d: Mapped[int] = mapped_column(Integer, default=0)
    mean_interactions: Mapped[float | None] = mapped_column(Float, default=None)
    median_interactions: Mapped[float | None] = mapped_column(Float, default=None)
    posts: Mapped[list[Any]] = mapped_column(JSON, default=list)
    api_version: Mapped[str] = mapped_column(String(20), default="")
