"""Meta's sandbox tables (prefix ``meta_``).

Metrics are never stored: every count is recomputed from the audience model at the sandbox
clock's ``now`` from the features kept on each post (text length, media, video, hashtags), so
fast-forwarding the clock ages posts naturally. Simulated comments are derived the same way;
only comments written through the API are rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from platform_sandbox.store import Base


class MetaSequence(Base):
    __tablename__ = "meta_sequence"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class MetaUser(Base):
    __tablename__ = "meta_user"
    # App-scoped user id, as Graph returns it to an app.
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200))


class MetaPage(Base):
    __tablename__ = "meta_page"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    username: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(100))
    category_id: Mapped[str] = mapped_column(String(40))
    about: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    instagram_id: Mapped[str | None] = mapped_column(String(40), nullable=True)


class MetaPageRole(Base):
    """A user's tasks on a Page (``/me/accounts`` lists ``tasks``)."""

    __tablename__ = "meta_page_role"
    user_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    page_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tasks: Mapped[list[Any]] = mapped_column(JSON, default=list)


class MetaIgAccount(Base):
    __tablename__ = "meta_ig_account"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # The legacy Instagram id (``ig_id``), distinct from the Graph id.
    ig_id: Mapped[str] = mapped_column(String(40))
    username: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    biography: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    page_id: Mapped[str] = mapped_column(String(40))


class MetaIgPersonal(Base):
    """A personal (not business or creator) Instagram account: it exists, but no Graph call
    reaches it; Business Discovery answers for it as for a username that does not exist."""

    __tablename__ = "meta_ig_personal"
    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class MetaAuthCode(Base):
    __tablename__ = "meta_auth_code"
    code: Mapped[str] = mapped_column(String(400), primary_key=True)
    app_id: Mapped[str] = mapped_column(String(200))
    redirect_uri: Mapped[str] = mapped_column(String(1000))
    user_id: Mapped[str] = mapped_column(String(40))
    scopes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    page_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class MetaGrant(Base):
    """What a user granted an app in the login dialog: permissions and the chosen Pages."""

    __tablename__ = "meta_grant"
    user_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    app_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    scopes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    page_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    granted_at: Mapped[datetime]
    # Set by ``DELETE /me/permissions``: every token of this user for the app stops working.
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class MetaToken(Base):
    __tablename__ = "meta_token"
    token: Mapped[str] = mapped_column(String(400), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # "user" | "page"
    app_id: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[str] = mapped_column(String(40))
    page_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    long_lived: Mapped[bool] = mapped_column(Boolean, default=False)
    # The user token a page token was derived from: its lifetime bounds the page token's.
    parent: Mapped[str | None] = mapped_column(String(400), nullable=True)
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime | None] = mapped_column(nullable=True)


class MetaPost(Base):
    """A Page post: status, link, single photo or multi-photo (``attached_media``)."""

    __tablename__ = "meta_post"
    id: Mapped[str] = mapped_column(String(80), primary_key=True)  # "{page-id}_{post-id}"
    page_id: Mapped[str] = mapped_column(String(40), index=True)
    message: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    status_type: Mapped[str] = mapped_column(String(40), default="mobile_status_update")
    photo_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    # When it goes (or went) public: ``scheduled_publish_time`` or ``created_at``.
    publish_at: Mapped[datetime]
    # False for ``published=false`` without a schedule (an unpublished/dark post).
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    audience_key: Mapped[str] = mapped_column(String(200))
    text_length: Mapped[int] = mapped_column(Integer, default=0)
    media_count: Mapped[int] = mapped_column(Integer, default=0)
    has_video: Mapped[bool] = mapped_column(Boolean, default=False)
    hashtag_count: Mapped[int] = mapped_column(Integer, default=0)


class MetaPhoto(Base):
    __tablename__ = "meta_photo"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    page_id: Mapped[str] = mapped_column(String(40), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    caption: Mapped[str] = mapped_column(Text, default="")
    width: Mapped[int] = mapped_column(Integer, default=1080)
    height: Mapped[int] = mapped_column(Integer, default=1080)
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    post_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[datetime]


class MetaComment(Base):
    """A comment written through the API (simulated audience comments are derived)."""

    __tablename__ = "meta_comment"
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    object_id: Mapped[str] = mapped_column(String(80), index=True)
    from_id: Mapped[str] = mapped_column(String(40))
    from_name: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class MetaIgContainer(Base):
    __tablename__ = "meta_ig_container"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    ig_user_id: Mapped[str] = mapped_column(String(40), index=True)
    media_type: Mapped[str] = mapped_column(String(20))  # IMAGE, VIDEO, REELS, STORIES, CAROUSEL
    image_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    video_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    caption: Mapped[str] = mapped_column(Text, default="")
    is_carousel_item: Mapped[bool] = mapped_column(Boolean, default=False)
    children: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    ready_at: Mapped[datetime]
    # Decided at creation from the media URL, reported once processing "finishes".
    error_subcode: Mapped[int | None] = mapped_column(Integer, nullable=True)
    published_media_id: Mapped[str | None] = mapped_column(String(40), nullable=True)


class MetaIgMedia(Base):
    __tablename__ = "meta_ig_media"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    ig_user_id: Mapped[str] = mapped_column(String(40), index=True)
    media_type: Mapped[str] = mapped_column(String(20))  # IMAGE, VIDEO, CAROUSEL_ALBUM
    media_product_type: Mapped[str] = mapped_column(String(20))  # FEED, REELS, STORY
    caption: Mapped[str] = mapped_column(Text, default="")
    media_url: Mapped[str] = mapped_column(String(2000))
    shortcode: Mapped[str] = mapped_column(String(40))
    timestamp: Mapped[datetime]
    children: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Carousel items are media of their own but never listed on the account.
    parent_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # Counted against the 24-hour publishing limit only when published through the API.
    via_api: Mapped[bool] = mapped_column(Boolean, default=False)
    audience_key: Mapped[str] = mapped_column(String(200))
    text_length: Mapped[int] = mapped_column(Integer, default=0)
    media_count: Mapped[int] = mapped_column(Integer, default=1)
    has_video: Mapped[bool] = mapped_column(Boolean, default=False)
    hashtag_count: Mapped[int] = mapped_column(Integer, default=0)
