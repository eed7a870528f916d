"""Analytics: the posts we track on each platform, their numbers as snapshots over time, each
account's sync state, sync runs and per-business sync schedules.

Snapshots are never overwritten: every read of a number adds a row saying what it was, when,
and which platform field and API version it came from. The latest values of each post are
also kept on its ``remote_post`` row (``latest``), written in the same transaction as its
snapshots, so tables and sorting need no "latest snapshot per metric" query over the history.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from growth_manager.models.base import Base, TimestampMixin


class RemotePost(TimestampMixin, Base):
    """A post on a platform whose numbers we follow: one the product published (linked to its
    ``post_target``) or one found on the account at import (``imported``)."""

    __tablename__ = "remote_post"
    __table_args__ = (
        UniqueConstraint("social_account_id", "remote_id"),
        Index("ix_remote_post_due", "social_account_id", "next_sync_at"),
        Index("ix_remote_post_business_published", "business_id", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id", ondelete="CASCADE"))
    social_account_id: Mapped[int] = mapped_column(
        ForeignKey("social_account.id", ondelete="CASCADE")
    )
    platform: Mapped[str] = mapped_column(String(20))
    remote_id: Mapped[str] = mapped_column(String(200))
    remote_url: Mapped[str | None] = mapped_column(Text, default=None)
    post_target_id: Mapped[int | None] = mapped_column(
        ForeignKey("post_target.id", ondelete="SET NULL"), default=None, index=True
    )
    text: Mapped[str] = mapped_column(Text, default="")
    media_kind: Mapped[str | None] = mapped_column(String(20), default=None)
    published_at: Mapped[datetime]
    imported: Mapped[bool] = mapped_column(default=False)
    # The latest value of each metric ({"likes": 12, …}) and when it was read.
    latest: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    last_synced_at: Mapped[datetime | None] = mapped_column(default=None)
    # When the cadence ladder wants it read again; None once it is older than 90 days.
    next_sync_at: Mapped[datetime | None] = mapped_column(default=None)
    # The platform no longer answers for it (deleted there): the reason, and no more reads.
    gone_reason: Mapped[str | None] = mapped_column(Text, default=None)
    # The platform's comment count when this post's comments were last read: read again only
    # when it moves (the account's own replies, never stored, do not keep it due forever).
    comments_seen: Mapped[int | None] = mapped_column(Integer, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)


class MetricSubject(enum.StrEnum):
    post = "post"
    account = "account"


class MetricSnapshot(Base):
    """One number at one moment, with its provenance."""

    __tablename__ = "metric_snapshot"
    __table_args__ = (
        Index("ix_metric_snapshot_post", "remote_post_id", "metric", "captured_at"),
        Index(
            "ix_metric_snapshot_account", "social_account_id", "subject", "metric", "captured_at"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(
        ForeignKey("business.id", ondelete="CASCADE"), index=True
    )
    social_account_id: Mapped[int] = mapped_column(
        ForeignKey("social_account.id", ondelete="CASCADE")
    )
    subject: Mapped[MetricSubject] = mapped_column(
        Enum(MetricSubject, native_enum=False, length=10)
    )
    remote_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("remote_post.id", ondelete="CASCADE"), default=None
    )
    metric: Mapped[str] = mapped_column(String(40))
    value: Mapped[float] = mapped_column(Float)
    # The moment the value describes (for history read later, e.g. a day's followers) …
    captured_at: Mapped[datetime]
    # … and where it came from.
    source_field: Mapped[str] = mapped_column(String(200))
    api_version: Mapped[str] = mapped_column(String(20))
    sync_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("sync_run.id", ondelete="SET NULL"), default=None
    )


class AccountSync(Base):
    """One account's sync state: a lease so two syncs of it never overlap, when it may call the
    platform again after a rate limit, and when its account metrics and import are due."""

    __tablename__ = "account_sync"

    social_account_id: Mapped[int] = mapped_column(
        ForeignKey("social_account.id", ondelete="CASCADE"), primary_key=True
    )
    business_id: Mapped[int] = mapped_column(
        ForeignKey("business.id", ondelete="CASCADE"), index=True
    )
    lease_owner: Mapped[str | None] = mapped_column(String(100), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    # The sync run that holds the lease (the one a coalesced trigger joins).
    sync_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("sync_run.id", ondelete="SET NULL"), default=None
    )
    imported_at: Mapped[datetime | None] = mapped_column(default=None)
    account_synced_at: Mapped[datetime | None] = mapped_column(default=None)
    last_sync_at: Mapped[datetime | None] = mapped_column(default=None)
    last_status: Mapped[str | None] = mapped_column(String(20), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    deferred_until: Mapped[datetime | None] = mapped_column(default=None)


class SyncTrigger(enum.StrEnum):
    schedule = "schedule"
    manual = "manual"
    connect = "connect"


class SyncStatus(enum.StrEnum):
    running = "running"
    completed = "completed"
    partial = "partial"
    failed = "failed"


class SyncRun(Base):
    """One sync of a business (or one account of it): who asked, when it ran, what it did."""

    __tablename__ = "sync_run"
    __table_args__ = (Index("ix_sync_run_business_started", "business_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id", ondelete="CASCADE"))
    # "business" (every connected account), or "account" (one: social_account_id).
    scope: Mapped[str] = mapped_column(String(20), default="business")
    social_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("social_account.id", ondelete="SET NULL"), default=None
    )
    trigger: Mapped[SyncTrigger] = mapped_column(Enum(SyncTrigger, native_enum=False, length=20))
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    platforms: Mapped[list[str]] = mapped_column(JSON, default=list)
    post_limit: Mapped[int | None] = mapped_column(Integer, default=None)
    status: Mapped[SyncStatus] = mapped_column(
        Enum(SyncStatus, native_enum=False, length=20), default=SyncStatus.running
    )
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    # Accounts whose part has not finished yet; the last one to finish ends the run.
    pending_accounts: Mapped[int] = mapped_column(Integer, default=0)
    total_posts: Mapped[int] = mapped_column(Integer, default=0)
    synced: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    rate_limited: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    api_calls: Mapped[int] = mapped_column(Integer, default=0)
    # {platform: {total_posts, synced, failed, rate_limited, imported, api_calls, accounts,
    #  status, message}}
    by_platform: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # [{platform, account_id, account, message, code, status}]
    errors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    message: Mapped[str | None] = mapped_column(Text, default=None)


class SyncSchedule(TimestampMixin, Base):
    """A business's own recurring sync (the scheduler API), on top of the hourly one."""

    __tablename__ = "sync_schedule"

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(
        ForeignKey("business.id", ondelete="CASCADE"), unique=True
    )
    interval_hours: Mapped[int] = mapped_column(Integer)
    next_run_at: Mapped[datetime]
    last_run_at: Mapped[datetime | None] = mapped_column(default=None)
    last_sync_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("sync_run.id", ondelete="SET NULL"), default=None
    )
