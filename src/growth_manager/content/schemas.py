"""Request and response bodies for drafts, media and text measurement."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from growth_manager.content.records import Draft
from growth_manager.content.rules import Measurement, effective_texts, normalise_text, ordered
from growth_manager.models.content import MediaAsset, MediaKind, Platform, PostStatus

# Facebook's 63,206 is the longest limit; a little headroom lets a too-long text reach the
# platform rules (which name the platform) instead of a generic length error.
MAX_TEXT_CHARS = 70_000
MAX_MEDIA_PER_DRAFT = 20
# The live counter measures what a person is typing; X's weighted count costs CPU per character
# (0.6 s for 60,000), so measurement takes less than a draft may hold. Longer texts are still
# measured, and refused with the platform's words, when the draft is saved.
MAX_MEASURE_CHARS = 10_000


def _normalise(value: str | None) -> str | None:
    return normalise_text(value) if value is not None else None


def _unique_platforms(value: list[Platform] | None) -> list[Platform] | None:
    if value is None:
        return None
    seen: list[Platform] = []
    for platform in value:
        if platform not in seen:
            seen.append(platform)
    return seen


def _unique_ids(value: list[int] | None) -> list[int] | None:
    if value is None:
        return None
    if len(set(value)) != len(value):
        raise ValueError("lists the same media id twice")
    return value


def _check_variants(
    value: dict[Platform, str | None] | None,
) -> dict[Platform, str | None] | None:
    if value is None:
        return None
    for platform, text in value.items():
        if text is not None and len(text) > MAX_TEXT_CHARS:
            raise ValueError(f"{platform.value} is longer than {MAX_TEXT_CHARS} characters")
    return {platform: _normalise(text) for platform, text in value.items()}


class _TextFields(BaseModel):
    """Normalises texts and lists the same way for every request body."""

    @field_validator("base_text", "text", check_fields=False)
    @classmethod
    def _norm_text(cls, value: str | None) -> str | None:
        return _normalise(value)

    @field_validator("platforms", check_fields=False)
    @classmethod
    def _norm_platforms(cls, value: list[Platform] | None) -> list[Platform] | None:
        return _unique_platforms(value)

    @field_validator("media_ids", check_fields=False)
    @classmethod
    def _norm_ids(cls, value: list[int] | None) -> list[int] | None:
        return _unique_ids(value)

    @field_validator("variants", check_fields=False)
    @classmethod
    def _variants(
        cls, value: dict[Platform, str | None] | None
    ) -> dict[Platform, str | None] | None:
        return _check_variants(value)


class DraftCreate(_TextFields):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(default="", max_length=200, description="A name for the draft.")
    base_text: str = Field(
        default="",
        max_length=MAX_TEXT_CHARS,
        description="The text every platform uses unless it has its own variant.",
    )
    strategy_id: int | None = Field(default=None, description="A strategy of this business.")
    platforms: list[Platform] | None = Field(
        default=None,
        description="Platforms the draft is meant for; texts are validated for these. "
        "Default: all four.",
    )
    variants: dict[Platform, str | None] = Field(
        default_factory=dict,
        description="Per-platform text replacing the base text there (null: none).",
    )
    media_ids: list[int] = Field(
        default_factory=list,
        max_length=MAX_MEDIA_PER_DRAFT,
        description="Media of this business, in display order.",
    )


class DraftUpdate(_TextFields):
    """Only the fields sent change. ``variants`` upserts per platform; null deletes one."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, max_length=200)
    base_text: str | None = Field(default=None, max_length=MAX_TEXT_CHARS)
    strategy_id: int | None = Field(default=None, description="null detaches the strategy.")
    platforms: list[Platform] | None = None
    variants: dict[Platform, str | None] | None = None
    media_ids: list[int] | None = Field(
        default=None,
        max_length=MAX_MEDIA_PER_DRAFT,
        description="Replaces the attached media (in this order).",
    )


class MediaOut(BaseModel):
    id: int
    business_id: int
    kind: MediaKind
    mime: str
    bytes: int = Field(description="Size of the stored file.")
    sha256: str
    width: int | None
    height: int | None
    duration_ms: int | None
    original_filename: str
    url: str = Field(description="Where the bytes are served (same authentication).")
    created_at: datetime


class MediaList(BaseModel):
    items: list[MediaOut]
    total: int
    limit: int
    offset: int


class PlatformCheck(BaseModel):
    platform: Platform
    name: str
    count: int
    limit: int
    hashtags: int
    max_hashtags: int | None
    ok: bool
    problems: list[str]
    uses_base_text: bool = True


class DraftOut(BaseModel):
    id: int
    business_id: int
    strategy_id: int | None
    author_id: int | None
    title: str
    base_text: str
    status: PostStatus
    platforms: list[Platform]
    variants: dict[Platform, str]
    media: list[MediaOut]
    checks: list[PlatformCheck] = Field(
        description="The effective text of each targeted platform, measured."
    )
    created_at: datetime
    updated_at: datetime


class DraftList(BaseModel):
    items: list[DraftOut]
    total: int
    limit: int
    offset: int


class MeasureRequest(_TextFields):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        default="",
        max_length=MAX_MEASURE_CHARS,
        description=f"The base text, at most {MAX_MEASURE_CHARS:,} characters.",
    )
    variants: dict[Platform, Annotated[str, Field(max_length=MAX_MEASURE_CHARS)] | None] = Field(
        default_factory=dict,
        description=f"Per-platform text replacing the base text, at most {MAX_MEASURE_CHARS:,} "
        "characters each.",
    )
    platforms: list[Platform] | None = Field(
        default=None, description="Platforms to measure for. Default: all four."
    )


class MeasureResponse(BaseModel):
    results: list[PlatformCheck]


# Presenters -----------------------------------------------------------------------------------
def media_url(asset: MediaAsset) -> str:
    return f"/api/v1/businesses/{asset.business_id}/media/{asset.id}/content"


def media_out(asset: MediaAsset) -> MediaOut:
    return MediaOut(
        id=asset.id,
        business_id=asset.business_id,
        kind=asset.kind,
        mime=asset.mime,
        bytes=asset.size_bytes,
        sha256=asset.sha256,
        width=asset.width,
        height=asset.height,
        duration_ms=asset.duration_ms,
        original_filename=asset.original_filename,
        url=media_url(asset),
        created_at=asset.created_at,
    )


@lru_cache(maxsize=16384)
def check_out(measurement: Measurement, uses_base_text: bool = True) -> PlatformCheck:
    """Cached with :func:`rules.measure` (a draft list builds one per draft and platform); the
    answer models are only ever serialised, never changed."""
    return PlatformCheck(
        platform=measurement.platform,
        name=measurement.name,
        count=measurement.count,
        limit=measurement.limit,
        hashtags=measurement.hashtags,
        max_hashtags=measurement.max_hashtags,
        ok=measurement.ok,
        problems=[problem.message for problem in measurement.problems],
        uses_base_text=uses_base_text,
    )


def draft_out(post: Draft) -> DraftOut:
    return DraftOut(
        id=post.id,
        business_id=post.business_id,
        strategy_id=post.strategy_id,
        author_id=post.author_id,
        title=post.title,
        base_text=post.base_text,
        status=post.status,
        platforms=ordered(post.platforms),
        variants={variant.platform: variant.text for variant in post.variants},
        media=[media_out(link.media) for link in post.media_links],
        checks=[check_out(item.measurement, item.uses_base_text) for item in effective_texts(post)],
        created_at=post.created_at,
        updated_at=post.updated_at,
    )
