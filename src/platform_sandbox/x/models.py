"""X's sandbox tables (prefix ``x_``).

Metrics are never stored: they are recomputed from the audience model at the sandbox clock's
``now``, so fast-forwarding the clock makes posts age and accounts grow.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from platform_sandbox.store import Base


class XUser(Base):
    __tablename__ = "x_user"
    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(100), default="")
    url: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime]
    # Key of the account's profile in the audience model (its hidden best window lives there).
    audience_key: Mapped[str] = mapped_column(String(100))
    # A public account of someone else (made through ``/_sandbox/competitors``): never offered
    # on the sign-in page. ``protected`` hides its posts from everyone else; ``suspended``
    # makes X answer for it as for a suspended account.
    competitor: Mapped[bool] = mapped_column(Boolean, default=False)
    protected: Mapped[bool] = mapped_column(Boolean, default=False)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)


class XTweet(Base):
    __tablename__ = "x_tweet"
    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    author_id: Mapped[str] = mapped_column(ForeignKey("x_user.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)
    # Stable key of the post in the audience model: metrics and replies derive from it.
    post_key: Mapped[str] = mapped_column(String(100))
    conversation_id: Mapped[str] = mapped_column(String(20))
    in_reply_to_tweet_id: Mapped[str | None] = mapped_column(String(20), default=None)
    in_reply_to_user_id: Mapped[str | None] = mapped_column(String(20), default=None)
    quote_tweet_id: Mapped[str | None] = mapped_column(String(20), default=None)
    media_keys: Mapped[list[Any]] = mapped_column(JSON, default=list)
    has_video: Mapped[bool] = mapped_column(Boolean, default=False)
    hashtag_count: Mapped[int] = mapped_column(Integer, default=0)


class XMedia(Base):
    __tablename__ = "x_media"
    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    media_key: Mapped[str] = mapped_column(String(40))
    owner_id: Mapped[str] = mapped_column(String(20), index=True)
    media_type: Mapped[str] = mapped_column(String(60), default="")
    media_category: Mapped[str] = mapped_column(String(30))
    total_bytes: Mapped[int | None] = mapped_column(Integer, default=None)
    size: Mapped[int] = mapped_column(Integer, default=0)
    # Sizes of the appended segments by index, so a re-sent segment replaces, not adds.
    segments: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # uploading -> (finalize) -> succeeded, or pending/in_progress by clock for videos/GIFs
    state: Mapped[str] = mapped_column(String(20), default="uploading")
    valid: Mapped[bool] = mapped_column(Boolean, default=True)
    width: Mapped[int | None] = mapped_column(Integer, default=None)
    height: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime]
    finalized_at: Mapped[datetime | None] = mapped_column(default=None)


class XAuthCode(Base):
    __tablename__ = "x_auth_code"
    code: Mapped[str] = mapped_column(String(200), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[str] = mapped_column(String(20))
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text)
    code_challenge: Mapped[str] = mapped_column(String(200))
    code_challenge_method: Mapped[str] = mapped_column(String(10))
    expires_at: Mapped[datetime]
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class XAccessToken(Base):
    __tablename__ = "x_access_token"
    token: Mapped[str] = mapped_column(String(200), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[str] = mapped_column(String(20), index=True)
    scope: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class XRefreshToken(Base):
    __tablename__ = "x_refresh_token"
    token: Mapped[str] = mapped_column(String(200), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[str] = mapped_column(String(20), index=True)
    scope: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime]
    # Single use: set when exchanged; a second exchange fails like X's rotated tokens do.
    used: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
