"""LinkedIn's sandbox tables (prefix ``li_``).

Metrics are never stored: they are recomputed from the audience model at the sandbox clock's
``now`` so that fast-forwarding the clock makes posts age naturally.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from platform_sandbox.store import Base


class LiMember(Base):
    __tablename__ = "li_member"
    # The OIDC ``sub``; the member's URN is ``urn:li:person:{id}``.
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(200))
    locale_language: Mapped[str] = mapped_column(String(8), default="en")
    locale_country: Mapped[str] = mapped_column(String(8), default="US")
    vanity_name: Mapped[str] = mapped_column(String(100))
    headline: Mapped[str] = mapped_column(String(300), default="")

    @property
    def urn(self) -> str:
        return f"urn:li:person:{self.id}"

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class LiOrganization(Base):
    __tablename__ = "li_organization"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    vanity_name: Mapped[str] = mapped_column(String(100))
    website: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")

    @property
    def urn(self) -> str:
        return f"urn:li:organization:{self.id}"


class LiOrgRole(Base):
    """One row of ``organizationAcls``: a member's role on an organization page."""

    __tablename__ = "li_org_role"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("li_member.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("li_organization.id", ondelete="CASCADE")
    )
    role: Mapped[str] = mapped_column(String(60))  # ADMINISTRATOR, CONTENT_ADMIN, ...
    state: Mapped[str] = mapped_column(String(30), default="APPROVED")


class LiAuthCode(Base):
    __tablename__ = "li_auth_code"
    code: Mapped[str] = mapped_column(String(400), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(200))
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    member_id: Mapped[str] = mapped_column(ForeignKey("li_member.id", ondelete="CASCADE"))
    scopes: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class LiRefreshToken(Base):
    """A refresh token keeps the expiry of the original grant: refreshing never extends it."""

    __tablename__ = "li_refresh_token"
    token: Mapped[str] = mapped_column(String(400), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(200))
    member_id: Mapped[str] = mapped_column(ForeignKey("li_member.id", ondelete="CASCADE"))
    scopes: Mapped[list[Any]] = mapped_column(JSON)
    authorized_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class LiAccessToken(Base):
    __tablename__ = "li_access_token"
    token: Mapped[str] = mapped_column(String(400), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(200))
    member_id: Mapped[str] = mapped_column(ForeignKey("li_member.id", ondelete="CASCADE"))
    scopes: Mapped[list[Any]] = mapped_column(JSON)
    refresh_token: Mapped[str | None] = mapped_column(String(400), nullable=True)
    authorized_at: Mapped[datetime]
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class LiPost(Base):
    __tablename__ = "li_post"
    urn: Mapped[str] = mapped_column(String(100), primary_key=True)
    author: Mapped[str] = mapped_column(String(100), index=True)
    commentary: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(30), default="PUBLIC")
    lifecycle_state: Mapped[str] = mapped_column(String(30), default="PUBLISHED")
    distribution: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    reshare_parent: Mapped[str | None] = mapped_column(String(100), nullable=True)
    is_reshare_disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    published_at: Mapped[datetime]
    last_modified_at: Mapped[datetime]
    # Key of the post in the audience model (history key for seeded posts).
    audience_key: Mapped[str] = mapped_column(String(200))
    media_count: Mapped[int] = mapped_column(Integer, default=0)
    has_video: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


class LiImage(Base):
    __tablename__ = "li_image"
    urn: Mapped[str] = mapped_column(String(100), primary_key=True)
    owner: Mapped[str] = mapped_column(String(100))
    upload_token: Mapped[str] = mapped_column(String(100), unique=True)
    status: Mapped[str] = mapped_column(String(30), default="WAITING_UPLOAD")
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    media_type: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime]
    upload_expires_at: Mapped[datetime]


class LiComment(Base):
    """Comments written through the API; the simulated audience's comments are derived."""

    __tablename__ = "li_comment"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    post_urn: Mapped[str] = mapped_column(String(100), index=True)
    actor: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    parent_comment: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime]


class LiUsage(Base):
    """Calls per UTC day, per member or application and resource, for the daily throttles."""

    __tablename__ = "li_usage"
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)  # MEMBER | APPLICATION
    subject: Mapped[str] = mapped_column(String(200), primary_key=True)
    resource: Mapped[str] = mapped_column(String(100), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class LiSequence(Base):
    """Monotonic id counters so new URNs never collide with seeded ones after an import."""

    __tablename__ = "li_sequence"
    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)
