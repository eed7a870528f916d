"""Businesses, their members and roles, and their content strategies."""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from growth_manager.models.base import Base, TimestampMixin


class Role(enum.StrEnum):
    viewer = "viewer"
    editor = "editor"
    owner = "owner"

    @property
    def rank(self) -> int:
        return {"viewer": 0, "editor": 1, "owner": 2}[self.value]

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


class Business(TimestampMixin, Base):
    __tablename__ = "business"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    website: Mapped[str | None] = mapped_column(String(500), default=None)
    industry: Mapped[str | None] = mapped_column(String(200), default=None)
    description: Mapped[str] = mapped_column(Text, default="")


class BusinessMember(TimestampMixin, Base):
    __tablename__ = "business_member"
    __table_args__ = (UniqueConstraint("business_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(
        ForeignKey("business.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=16))


class Strategy(TimestampMixin, Base):
    """How a business wants to grow: audience, goals, tone, topics and posting cadence."""

    __tablename__ = "strategy"

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(
        ForeignKey("business.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    goals: Mapped[str] = mapped_column(Text, default="")
    target_audience: Mapped[str] = mapped_column(Text, default="")
    tone_of_voice: Mapped[str] = mapped_column(Text, default="")
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    platforms: Mapped[list[str]] = mapped_column(JSON, default=list)
    # platform -> {"posts_per_week": int, "preferred_days": [0-6], "preferred_hours": [0-23]}
    cadence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    start_date: Mapped[date | None] = mapped_column(default=None)
    end_date: Mapped[date | None] = mapped_column(default=None)
    is_active: Mapped[bool] = mapped_column(default=True)
