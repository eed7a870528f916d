"""Request and response bodies of the auth API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from growth_manager.auth.service import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH


class SignupRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr = Field(description="The login; compared case-insensitively.")
    password: str = Field(
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        description=f"At least {MIN_PASSWORD_LENGTH} characters.",
    )
    name: str = Field(default="", max_length=200, description="Display name.")


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Plain strings, not EmailStr: a malformed email must get the same generic answer as a
    # wrong one, so the response never tells which part was wrong.
    email: str = Field(max_length=320)
    password: str = Field(max_length=MAX_PASSWORD_LENGTH)
    name: str = Field(
        default="api",
        min_length=1,
        max_length=100,
        description="A label to recognise the token by in the token list.",
    )


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str
    created_at: datetime


class TokenIssued(BaseModel):
    access_token: str = Field(description="Send as `Authorization: Bearer <access_token>`.")
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme name
    expires_at: datetime


class TokenOut(BaseModel):
    """A token's metadata; the token itself is shown only once, when it is issued."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    current: bool = Field(
        default=False, description="True for the token that authenticated this request."
    )


class RevokedCount(BaseModel):
    revoked: int


class SessionOut(BaseModel):
    """A signed-in dashboard browser."""

    id: str = Field(description="Use it to end this session: `DELETE /api/v1/auth/sessions/{id}`.")
    created_at: datetime = Field(description="When this browser logged in.")
    last_seen_at: datetime = Field(
        description="Its latest request, to within a few minutes (recorded at most every 5)."
    )
    expires_at: datetime = Field(description="When it will have to log in again.")
    user_agent: str = Field(description="The browser's User-Agent header at login.")
    ip_address: str = Field(description="The client address it logged in from.")
    current: bool = Field(
        default=False, description="True for the session this request was sent with."
    )


class EndedCount(BaseModel):
    ended: int = Field(description="How many sessions were ended.")


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(
        max_length=MAX_PASSWORD_LENGTH, description="Your password now, to prove it is you."
    )
    new_password: str = Field(
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        description=f"At least {MIN_PASSWORD_LENGTH} characters, different from the current one.",
    )


class PasswordChanged(BaseModel):
    sessions_ended: int = Field(
        description="How many of your other dashboard sessions were ended by the change."
    )
