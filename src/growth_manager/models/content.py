"""Drafts (``post``), their per-platform text variants, and uploaded media.

A ``post`` is the idea; publishing later fans it out into ``post_target`` rows per social
account. Until then a post is a draft: a base text, optional per-platform variants (an absent
variant means "use the base text") and an ordered list of media assets.
"""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from growth_manager.models.base import Base, TimestampMixin


class Platform(enum.StrEnum):
    linkedin = "linkedin"
    x = "x"
    facebook = "facebook"
    instagram = "instagram"


# The one order platforms are listed in wherever a draft or strategy shows them.
PLATFORM_ORDER: tuple[Platform, ...] = tuple(Platform)


class PostStatus(enum.StrEnum):
    draft = "draft"
    scheduled = "scheduled"
    publishing = "publishing"
    published = "published"
    partially_failed = "partially_failed"
    failed = "failed"
    cancelled = "cancelled"


class MediaKind(enum.StrEnum):
    image = "image"
    video = "video"


class Post(TimestampMixin, Base):
    __tablename__ = "post"
    __table_args__ = (Index("ix_post_business_id_updated_at", "business_id", "updated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(
        ForeignKey("business.id", ondelete="CASCADE"), index=True
    )
    # A strategy or author may be deleted later; the post stays, unattributed.
    strategy_id: Mapped[int | None] = mapped_column(
        ForeignKey("strategy.id", ondelete="SET NULL"), index=True, default=None
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    title: Mapped[str] = mapped_column(String(200), default="")
    base_text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[PostStatus] = mapped_column(
        Enum(PostStatus, native_enum=False, length=32), default=PostStatus.draft
    )
    # The platforms the post is meant for, in display order; texts are validated for these.
    platforms: Mapped[list[Any]] = mapped_column(JSON, default=list)

    variants: Mapped[list[PostVariant]] = relationship(
        back_populates="post",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="PostVariant.platform",
    )
    media_links: Mapped[list[PostMedia]] = relationship(
        back_populates="post",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="PostMedia.position",
    )


class PostVariant(TimestampMixin, Base):
    """The text a post uses on one platform instead of its base text."""

    __tablename__ = "post_variant"
    __table_args__ = (UniqueConstraint("post_id", "platform"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    platform: Mapped[Platform] = mapped_column(Enum(Platform, native_enum=False, length=16))
    text: Mapped[str] = mapped_column(Text)

    post: Mapped[Post] = relationship(back_populates="variants")


class MediaAsset(TimestampMixin, Base):
    """An uploaded image or video, stored once per business under its content hash."""

    __tablename__ = "media_asset"
    __table_args__ = (UniqueConstraint("business_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(
        ForeignKey("business.id", ondelete="CASCADE"), index=True
    )
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[MediaKind] = mapped_column(Enum(MediaKind, native_enum=False, length=16))
    mime: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int | None] = mapped_column(Integer, default=None)
    height: Mapped[int | None] = mapped_column(Integer, default=None)
    duration_ms: Mapped[int | None] = mapped_column(Integer, default=None)
    original_filename: Mapped[str] = mapped_column(String(255), default="")
    # Relative to the media directory, e.g. "12/<sha256>.png", so the data dir can move.
    storage_path: Mapped[str] = mapped_column(String(500))


class PostMedia(Base):
    """A media asset attached to a post, in display order."""

    __tablename__ = "post_media"
    __table_args__ = (UniqueConstraint("post_id", "media_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    media_id: Mapped[int] = mapped_column(
        ForeignKey("media_asset.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)

    post: Mapped[Post] = relationship(back_populates="media_links")
    media: Mapped[MediaAsset] = relationship(lazy="joined")
