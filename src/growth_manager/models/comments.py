"""Comments and replies on the business's posts, read from the platforms, with their sentiment.

One row per comment the platform shows under a synced post (``remote_post``); a reply to a
comment names its parent's remote id. Rows are upserted by ``(social_account_id, remote_id)``,
so a re-sync updates a comment (its text may have been edited, its like count grows) instead
of adding it again. The sentiment is VADER's compound score of the text, computed offline when
the comment is stored, with the analyser's name and version (``scored_with``) so scores from
another lexicon version can be told apart.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from growth_manager.models.base import Base, TimestampMixin


class RemoteComment(TimestampMixin, Base):
    __tablename__ = "remote_comment"
    __table_args__ = (
        UniqueConstraint("social_account_id", "remote_id"),
        Index("ix_remote_comment_post", "remote_post_id", "commented_at"),
        Index("ix_remote_comment_business_created", "business_id", "commented_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id", ondelete="CASCADE"))
    social_account_id: Mapped[int] = mapped_column(
        ForeignKey("social_account.id", ondelete="CASCADE")
    )
    remote_post_id: Mapped[int] = mapped_column(ForeignKey("remote_post.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))
    remote_id: Mapped[str] = mapped_column(String(200))
    # The comment it answers, when it is a reply to a comment (not to the post itself).
    parent_remote_id: Mapped[str | None] = mapped_column(String(200), default=None)
    author_name: Mapped[str | None] = mapped_column(String(200), default=None)
    author_handle: Mapped[str | None] = mapped_column(String(200), default=None)
    text: Mapped[str] = mapped_column(Text, default="")
    commented_at: Mapped[datetime]
    like_count: Mapped[int | None] = mapped_column(Integer, default=None)
    # Where to answer it: the comment's own page when the platform has one, else the post's.
    permalink: Mapped[str | None] = mapped_column(Text, default=None)
    sentiment: Mapped[float] = mapped_column(Float, default=0.0)  # VADER compound, -1..1
    label: Mapped[str] = mapped_column(String(10), default="neutral")
    scored_with: Mapped[str] = mapped_column(String(40), default="")
