"""Stored best-time-to-post reports: one per account, recomputed weekly and after each import
(:mod:`growth_manager.insights.besttime`), so reads need not rescan the history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from growth_manager.models.base import Base


class BestTimeReport(Base):
    """An account's latest best-time report: the heatmap cells, the recommendations (from its
    history, or the platform's typical windows when the data is thin) and how many posts."""

    __tablename__ = "best_time_report"

    social_account_id: Mapped[int] = mapped_column(
        ForeignKey("social_account.id", ondelete="CASCADE"), primary_key=True
    )
    business_id: Mapped[int] = mapped_column(
        ForeignKey("business.id", ondelete="CASCADE"), index=True
    )
    computed_at: Mapped[datetime]
    zone: Mapped[str] = mapped_column(String(64))
    sample_size: Mapped[int]
    enough_data: Mapped[bool]
    # The report as the API returns it (cells, recommendations, note).
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
