"""Publishing: one ``post_target`` per (post, social account), one ``publish_attempt`` per try,
the replies remembered for ``Idempotency-Key`` retries, and each account's posting slots.

A scheduled post is a row, never a delayed message: the dispatcher claims targets whose
``next_attempt_at`` has come (``status`` scheduled or retrying) by setting a lease in one short
write transaction, calls the platform with no transaction open, and records the outcome (with
the platform's id) in another. ``progress`` holds every step already done on the platform
(uploads, thread parts, containers, the first comment), so a retry resumes, never restarts.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from growth_manager.models.base import Base, TimestampMixin


class TargetStatus(enum.StrEnum):
    scheduled = "scheduled"  # waiting for its time
    publishing = "publishing"  # claimed by a worker (leased)
    retrying = "retrying"  # failed transiently (or the platform is processing); next try set
    paused = "paused"  # the account needs its owner (reconnect); resumes by itself afterwards
    published = "published"
    failed = "failed"  # for good: the platform refused, or the attempts ran out
    cancelled = "cancelled"


# Targets a user may still change (edit, reschedule, cancel): nothing has reached a platform.
CHANGEABLE = (TargetStatus.scheduled, TargetStatus.retrying, TargetStatus.paused)
# Targets the dispatcher may claim once ``next_attempt_at`` has come.
CLAIMABLE = (TargetStatus.scheduled, TargetStatus.retrying)
FINAL = (TargetStatus.published, TargetStatus.failed, TargetStatus.cancelled)


class AttemptOutcome(enum.StrEnum):
    running = "running"  # started, not finished (a worker that died leaves this)
    published = "published"
    retry = "retry"  # transient: a 5xx, a refused connection
    rate_limited = "rate_limited"
    not_ready = "not_ready"  # the platform is still processing (containers, videos)
    rejected = "rejected"
    reauth_required = "reauth_required"
    unknown = "unknown"  # the request may have been applied; verified before any retry
    recovered = "recovered"  # a lost outcome found on the platform and adopted
    abandoned = "abandoned"  # the worker died or the lease ran out mid-attempt


class PostTarget(TimestampMixin, Base):
    __tablename__ = "post_target"
    __table_args__ = (
        UniqueConstraint("post_id", "social_account_id"),
        Index("ix_post_target_due", "status", "next_attempt_at"),
        Index("ix_post_target_business_scheduled", "business_id", "scheduled_at"),
        Index("ix_post_target_account_scheduled", "social_account_id", "scheduled_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id", ondelete="CASCADE"))
    # A removed account keeps its targets' history; an unstarted target for it then fails.
    social_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("social_account.id", ondelete="SET NULL")
    )
    platform: Mapped[str] = mapped_column(String(20))
    # What goes out: one text, or an X thread's parts in order; media ids go with part one.
    parts: Mapped[list[Any]] = mapped_column(JSON, default=list)
    media_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    first_comment: Mapped[str | None] = mapped_column(Text, default=None)
    link: Mapped[str | None] = mapped_column(Text, default=None)
    reel: Mapped[bool] = mapped_column(default=False)
    # When the user wants it out (UTC), and when the dispatcher should next try.
    scheduled_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    status: Mapped[TargetStatus] = mapped_column(
        Enum(TargetStatus, native_enum=False, length=20), default=TargetStatus.scheduled
    )
    status_reason: Mapped[str | None] = mapped_column(Text, default=None)
    lease_owner: Mapped[str | None] = mapped_column(String(100), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # failed tries so far
    # The last attempt's outcome is unknown (a timeout after sending, a worker that died): the
    # next one first looks on the platform for what did happen before doing anything again.
    needs_check: Mapped[bool] = mapped_column(default=False)
    progress: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    remote_id: Mapped[str | None] = mapped_column(String(200), default=None)
    remote_url: Mapped[str | None] = mapped_column(Text, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_error_code: Mapped[str | None] = mapped_column(String(100), default=None)
    warnings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    # Deleted from the platform afterwards, when its owner asked.
    removed_at: Mapped[datetime | None] = mapped_column(default=None)
    # How it was created: "now", "scheduled" or "queue".
    origin: Mapped[str] = mapped_column(String(20), default="scheduled")

    attempt_rows: Mapped[list[PublishAttempt]] = relationship(
        back_populates="target",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="PublishAttempt.id",
        lazy="raise",
    )


class PublishAttempt(Base):
    """One try at publishing a target: the audit trail."""

    __tablename__ = "publish_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(
        ForeignKey("post_target.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    worker: Mapped[str] = mapped_column(String(100), default="")
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    outcome: Mapped[AttemptOutcome] = mapped_column(
        Enum(AttemptOutcome, native_enum=False, length=20), default=AttemptOutcome.running
    )
    http_status: Mapped[int | None] = mapped_column(default=None)
    platform_code: Mapped[str | None] = mapped_column(String(100), default=None)
    message: Mapped[str | None] = mapped_column(Text, default=None)
    duration_ms: Mapped[int | None] = mapped_column(default=None)
    # The steps this attempt completed on the platform, by name.
    steps: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    target: Mapped[PostTarget] = relationship(back_populates="attempt_rows")


class IdempotentReply(Base):
    """The reply to a creating request sent with an ``Idempotency-Key``: a retry of the same
    request gets it again and creates nothing; the same key with a different request is a
    conflict. Kept for a day."""

    __tablename__ = "idempotent_reply"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))  # method, path and body, hashed
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(index=True)


class PostingSchedule(TimestampMixin, Base):
    """An account's queue: its weekly posting slots (in the business's time zone) and the
    smallest gap wanted between two of its posts. Without a row, the slots come from the
    active strategy's cadence for the account's platform."""

    __tablename__ = "posting_schedule"

    id: Mapped[int] = mapped_column(primary_key=True)
    social_account_id: Mapped[int] = mapped_column(
        ForeignKey("social_account.id", ondelete="CASCADE"), unique=True
    )
    # [[weekday 0=Monday, "HH:MM"], …]
    weekly: Mapped[list[Any]] = mapped_column(JSON, default=list)
    min_gap_minutes: Mapped[int] = mapped_column(Integer, default=60)
