"""Request and response bodies of the publishing API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from growth_manager.content.schemas import MAX_MEDIA_PER_DRAFT, MAX_TEXT_CHARS
from growth_manager.models.publishing import AttemptOutcome, TargetStatus

MAX_THREAD_PARTS = 25
MAX_ACCOUNTS = 50


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class PublishRequestBody(BaseModel):
    """What to publish, to which of the business's accounts."""

    model_config = ConfigDict(extra="forbid")

    business_id: int = Field(description="The business whose accounts publish.")
    text: str = Field(
        default="",
        max_length=MAX_TEXT_CHARS,
        description="The text every account uses unless its platform has a variant.",
    )
    title: str = Field(default="", max_length=200, description="A name for the post.")
    draft_id: int | None = Field(
        default=None,
        description="Publish this draft of the business: its text, variants and media are used "
        "where the body leaves them out, and the draft becomes the post.",
    )
    account_ids: list[int] | None = Field(
        default=None,
        max_length=MAX_ACCOUNTS,
        description="Connected accounts of the business to publish to. Default: every active "
        "account of the endpoint's platform (for `/publish/multi` and `/schedule`, of the "
        "business).",
    )
    variants: dict[str, str] = Field(
        default_factory=dict,
        description="Per-platform text (`x`, `linkedin`, `facebook`, `instagram`) replacing "
        "`text` on that platform.",
    )
    media_ids: list[int] = Field(
        default_factory=list,
        max_length=MAX_MEDIA_PER_DRAFT,
        description="Uploaded media of the business, in order (attached to a thread's first part).",
    )
    thread: list[str] | None = Field(
        default=None,
        max_length=MAX_THREAD_PARTS,
        description="A thread's parts, in order, for platforms with threads (X); others get "
        "`text` (or the parts joined by blank lines when `text` is empty).",
    )
    split_thread: bool = Field(
        default=False,
        description="On platforms with threads, split a text longer than the limit into parts "
        "at sentence boundaries.",
    )
    number_parts: bool = Field(
        default=False, description="With `split_thread`: end each part with `1/n`."
    )
    first_comment: str | None = Field(
        default=None,
        max_length=MAX_TEXT_CHARS,
        description="Posted as the first comment under the post on LinkedIn, Facebook and "
        "Instagram (a 422 names any chosen account whose platform has no comments).",
    )
    link: str | None = Field(
        default=None, max_length=2000, description="A link to share (Facebook shows a preview)."
    )
    reel: bool = Field(default=False, description="Instagram: publish the video as a reel.")

    @field_validator("text", "title", "first_comment", "link")
    @classmethod
    def _trim(cls, value: str | None) -> str | None:
        return _strip(value) or (None if value is None else "")

    @field_validator("thread")
    @classmethod
    def _parts(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        parts = [part.strip() for part in value]
        if any(not part for part in parts):
            raise ValueError("a thread part is empty; remove it or write it")
        return parts

    @field_validator("link")
    @classmethod
    def _link(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("a link must start with http:// or https://")
        return value or None


class ScheduleRequestBody(PublishRequestBody):
    scheduled_for: str | None = Field(
        default=None,
        description="When to publish: ISO 8601. With an offset or `Z` it is that instant; "
        "without one it is wall time in the business's time zone (a time skipped by a DST "
        "change moves forward, an ambiguous one takes the first occurrence; `notes` says so).",
        examples=["2026-12-24T09:30:00", "2026-12-24T08:30:00Z"],
    )
    queue: bool = Field(
        default=False,
        description="Instead of a time: each account's next free posting slot (from its "
        "queue settings, or the strategy's cadence).",
    )

    @model_validator(mode="after")
    def _when(self) -> ScheduleRequestBody:
        if bool(self.scheduled_for) == bool(self.queue):
            raise ValueError("give either scheduled_for (a date and time) or queue: true")
        return self


class ScheduleUpdateBody(BaseModel):
    """Changes to a scheduled post's targets that have not started publishing."""

    model_config = ConfigDict(extra="forbid")

    scheduled_for: str | None = Field(
        default=None, description="The new time (ISO 8601, as for `POST /schedule`)."
    )
    text: str | None = Field(default=None, max_length=MAX_TEXT_CHARS, description="New text.")
    thread: list[str] | None = Field(default=None, max_length=MAX_THREAD_PARTS)
    first_comment: str | None = Field(default=None, max_length=MAX_TEXT_CHARS)
    account_ids: list[int] | None = Field(
        default=None,
        max_length=MAX_ACCOUNTS,
        description="Change only these accounts' targets (default: all of the post's).",
    )

    @model_validator(mode="after")
    def _something(self) -> ScheduleUpdateBody:
        if (
            self.scheduled_for is None
            and self.text is None
            and self.thread is None
            and (self.first_comment is None)
        ):
            raise ValueError("nothing to change: give scheduled_for, text, thread or first_comment")
        return self


class AttemptOut(BaseModel):
    number: int
    started_at: datetime
    finished_at: datetime | None
    outcome: AttemptOutcome
    http_status: int | None
    platform_code: str | None
    message: str | None
    duration_ms: int | None
    steps: dict[str, Any]


class TargetOut(BaseModel):
    id: int
    post_id: int
    account_id: int | None
    account_name: str | None
    platform: str
    status: TargetStatus
    status_reason: str | None
    scheduled_for: datetime
    next_attempt_at: datetime | None
    parts: list[str]
    media_ids: list[int]
    first_comment: str | None
    remote_id: str | None
    remote_url: str | None
    last_error: str | None
    warnings: list[str]
    attempts: int
    published_at: datetime | None
    attempt_log: list[AttemptOut] | None = Field(
        default=None, description="Every attempt, oldest first (on `GET /posts/{id}`)."
    )


class PostOut(BaseModel):
    id: int
    business_id: int
    title: str
    text: str
    status: str
    created_at: datetime
    targets: list[TargetOut]
    notes: list[str] = Field(
        default_factory=list,
        description="What the server decided for you: DST moves, posts close together.",
    )


class ScheduleList(BaseModel):
    items: list[TargetOut]
    total: int


class QueueSlot(BaseModel):
    """One weekly posting slot, on the business's wall clock."""

    model_config = ConfigDict(extra="forbid", strict=True)

    weekday: int = Field(ge=0, le=6, description="0 = Monday … 6 = Sunday.")
    time: str = Field(
        pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM, 24 hours.", examples=["09:30"]
    )


class QueueUpdate(BaseModel):
    """An account's queue settings."""

    model_config = ConfigDict(extra="forbid", strict=True)

    weekly: list[QueueSlot] = Field(
        max_length=7 * 24,
        description="The weekly slots; an empty list goes back to the strategy's cadence.",
    )
    min_gap_minutes: int = Field(
        default=60, ge=0, le=7 * 24 * 60, description="Smallest gap between two posts."
    )


class QueueOut(BaseModel):
    account_id: int
    timezone: str = Field(description="The business's time zone, which the slots are in.")
    weekly: list[QueueSlot]
    min_gap_minutes: int
    customised: bool = Field(
        description="False while the slots come from the strategy's cadence (never edited)."
    )
    next_slots: list[datetime] = Field(description="The next free slots (UTC), soonest first.")
    notes: list[str] = Field(default_factory=list)


class ThreadSplitIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    text: str = Field(max_length=MAX_TEXT_CHARS)
    platform: str = Field(default="x", description="A platform with threads.")
    number_parts: bool = Field(default=False, description="End each part with `1/n`.")


class ThreadSplitOut(BaseModel):
    parts: list[str]
    limit: int
