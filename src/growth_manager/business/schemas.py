"""Request and response bodies for businesses, members and strategies.

The dashboard forms validate through these same models, so the API and the pages accept and
refuse exactly the same things and say so in the same words.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    HttpUrl,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from growth_manager.kit.timeofday import NotATime, hour_of
from growth_manager.models.business import Business, Role, Strategy
from growth_manager.models.content import PLATFORM_ORDER, Platform

MAX_LIST_ITEMS = 50
MAX_LIST_ITEM_CHARS = 100
MAX_TEXT_CHARS = 5000
MAX_POSTS_PER_WEEK = 50
MAX_WEBSITE_CHARS = 500
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@lru_cache(maxsize=1)
def known_timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def _timezone(value: str) -> str:
    value = value.strip()
    # available_timezones() rather than ZoneInfo(value): ZoneInfo also opens names such as
    # "posixrules" or "Factory" that are files in the database but not zones anyone means.
    if value not in known_timezones():
        raise PydanticCustomError(
            "timezone",
            '"{value}" is not an IANA time zone; use a Region/City name like "Europe/Berlin", '
            '"America/New_York" or "UTC"',
            {"value": value},
        )
    return value


def _website(value: Any) -> Any:
    # People type "example.com" into forms; a bare host means its https site.
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
        if "://" not in value:
            value = "https://" + value
    return value


def _clean_list(value: list[str]) -> list[str]:
    """Trims items, drops empty ones and repeats (case-insensitively), keeps the order."""
    seen: set[str] = set()
    result: list[str] = []
    for raw in value:
        item = " ".join(raw.split())
        if item and item.casefold() not in seen:
            seen.add(item.casefold())
            result.append(item)
    return result


def _website_fits(value: HttpUrl | None) -> HttpUrl | None:
    if value is not None and len(str(value)) > MAX_WEBSITE_CHARS:
        raise PydanticCustomError(
            "url_too_long", "is longer than {limit} characters", {"limit": MAX_WEBSITE_CHARS}
        )
    return value


Timezone = Annotated[str, AfterValidator(_timezone)]
Website = Annotated[HttpUrl | None, BeforeValidator(_website), AfterValidator(_website_fits)]


def _not_blank(value: str) -> str:
    if not value:
        raise PydanticCustomError("blank", "cannot be blank")
    return value


Name = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(_not_blank)
]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TEXT_CHARS)]
Phrase = Annotated[str, Field(max_length=MAX_LIST_ITEM_CHARS)]
PhraseList = Annotated[list[Phrase], Field(max_length=MAX_LIST_ITEMS), AfterValidator(_clean_list)]


# Businesses -------------------------------------------------------------------------------------
class BusinessCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = Field(description="Shown in the dashboard and the business switcher.")
    timezone: Timezone = Field(
        default="UTC",
        description="IANA time zone name, e.g. `Europe/Berlin`. Posting slots and the calendar "
        "use it; everything is stored in UTC.",
    )
    website: Website = Field(default=None, description="http(s) URL; `example.com` means https.")
    industry: ShortText = Field(default=None, description="e.g. `Bakery`, `Accounting`.")
    description: LongText = Field(default="", description="What the business does, for whom.")


class BusinessUpdate(BaseModel):
    """Only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    timezone: Timezone | None = None
    website: Website = None
    industry: ShortText = None
    description: LongText | None = None

    @field_validator("name", "timezone", "description")
    @classmethod
    def _not_null(cls, value: str | None) -> str:
        # Leaving a field out keeps it; sending null for a required field is a mistake.
        if value is None:
            raise PydanticCustomError("not_null", "cannot be null; leave the field out instead")
        return value


class BusinessOut(BaseModel):
    id: int
    name: str
    timezone: str
    website: str | None
    industry: str | None
    description: str
    role: Role = Field(description="Your role in this business.")
    created_at: datetime
    updated_at: datetime


def business_out(business: Business, role: Role) -> BusinessOut:
    return BusinessOut(
        id=business.id,
        name=business.name,
        timezone=business.timezone,
        website=business.website,
        industry=business.industry,
        description=business.description,
        role=role,
        created_at=business.created_at,
        updated_at=business.updated_at,
    )


class BusinessList(BaseModel):
    items: list[BusinessOut]


# Members ----------------------------------------------------------------------------------------
class MemberAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr = Field(description="Email of an existing user of this installation.")
    role: Role = Field(default=Role.viewer, description="viewer, editor or owner.")


class MemberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role = Field(description="viewer, editor or owner.")


class MemberOut(BaseModel):
    user_id: int
    email: str
    name: str
    role: Role
    added_at: datetime


class MemberList(BaseModel):
    items: list[MemberOut]


# Strategies -------------------------------------------------------------------------------------
def _hour(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return hour_of(value)
        except NotATime as exc:
            raise PydanticCustomError("time_of_day", "{problem}", {"problem": str(exc)}) from None
    return value


Hour = Annotated[int, BeforeValidator(_hour), Field(ge=0, le=23)]


class Cadence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    posts_per_week: int = Field(ge=0, le=MAX_POSTS_PER_WEEK, description="0 to 50.")
    preferred_days: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default_factory=list, description="0 = Monday … 6 = Sunday."
    )
    preferred_hours: list[Hour] = Field(
        default_factory=list,
        description="Hours 0 to 23 in the business's time zone. Written times are accepted too "
        "(`8`, `08:30`, `9am`, `9:30 pm`, `noon`); minutes are dropped, as posts go out within "
        "their hour (`8:30` is stored as 8).",
    )

    @field_validator("preferred_days", "preferred_hours")
    @classmethod
    def _sorted_unique(cls, value: list[int]) -> list[int]:
        return sorted(set(value))


def _platform_order(value: list[Platform]) -> list[Platform]:
    return [platform for platform in PLATFORM_ORDER if platform in value]


PlatformList = Annotated[list[Platform], AfterValidator(_platform_order)]


class StrategyFields(BaseModel):
    """The whole strategy; the cross-field rules live here so that a partial update can be
    checked by merging it into the stored strategy and validating the result."""

    model_config = ConfigDict(extra="forbid")

    name: Name = Field(description="e.g. `Spring launch`.")
    goals: LongText = Field(default="", description="What success looks like.")
    target_audience: LongText = Field(default="", description="Who the posts are for.")
    tone_of_voice: LongText = Field(default="", description="How the posts sound.")
    topics: PhraseList = Field(default_factory=list, description="At most 50, 100 chars each.")
    keywords: PhraseList = Field(default_factory=list, description="At most 50, 100 chars each.")
    platforms: PlatformList = Field(
        default_factory=list, description="Any of linkedin, x, facebook, instagram."
    )
    cadence: dict[Platform, Cadence] = Field(
        default_factory=dict,
        description="Per platform listed in `platforms`: posts per week, preferred days and "
        "hours. A platform not in `platforms` may not have a cadence.",
    )
    start_date: date | None = Field(default=None, description="ISO date, e.g. `2026-03-01`.")
    end_date: date | None = Field(default=None, description="On or after `start_date`.")
    is_active: bool = Field(default=True, description="Inactive strategies are kept but unused.")

    # Field validators rather than one model validator, so errors name the field at fault;
    # they run in declaration order, so `platforms` and `start_date` are already in info.data.
    @field_validator("cadence")
    @classmethod
    def _cadence_only_for_platforms(
        cls, value: dict[Platform, Cadence], info: ValidationInfo
    ) -> dict[Platform, Cadence]:
        platforms = info.data.get("platforms")
        if platforms is None:
            return value  # platforms itself is invalid and reported
        stray = [p.value for p in PLATFORM_ORDER if p in value and p not in platforms]
        if stray:
            one = len(stray) == 1
            raise PydanticCustomError(
                "cadence_platform",
                "{stray} {verb} not in platforms; add {them} to platforms or remove {their} "
                "cadence",
                {
                    "stray": ", ".join(stray),
                    "verb": "is" if one else "are",
                    "them": "it" if one else "them",
                    "their": "its" if one else "their",
                },
            )
        return {p: value[p] for p in PLATFORM_ORDER if p in value}

    @field_validator("end_date")
    @classmethod
    def _ends_after_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("start_date")
        if value is not None and start is not None and value < start:
            raise PydanticCustomError(
                "date_order",
                "{end} is before the start date {start}; the end date must be on or after it",
                {"end": value.isoformat(), "start": start.isoformat()},
            )
        return value


class StrategyCreate(StrategyFields):
    pass


class StrategyUpdate(BaseModel):
    """Only the fields sent change. Changing `platforms` without sending `cadence` drops the
    cadence of platforms no longer listed."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    goals: LongText | None = None
    target_audience: LongText | None = None
    tone_of_voice: LongText | None = None
    topics: PhraseList | None = None
    keywords: PhraseList | None = None
    platforms: PlatformList | None = None
    cadence: dict[Platform, Cadence] | None = None
    start_date: date | None = None
    end_date: date | None = None
    is_active: bool | None = None

    @field_validator(
        "name",
        "goals",
        "target_audience",
        "tone_of_voice",
        "topics",
        "keywords",
        "platforms",
        "cadence",
        "is_active",
    )
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise PydanticCustomError("not_null", "cannot be null; leave the field out instead")
        return value


class StrategyOut(BaseModel):
    id: int
    business_id: int
    name: str
    goals: str
    target_audience: str
    tone_of_voice: str
    topics: list[str]
    keywords: list[str]
    platforms: list[Platform]
    cadence: dict[Platform, Cadence]
    start_date: date | None
    end_date: date | None
    is_active: bool
    created_at: datetime
    updated_at: datetime


def strategy_out(strategy: Strategy) -> StrategyOut:
    return StrategyOut(
        id=strategy.id,
        business_id=strategy.business_id,
        name=strategy.name,
        goals=strategy.goals,
        target_audience=strategy.target_audience,
        tone_of_voice=strategy.tone_of_voice,
        topics=list(strategy.topics),
        keywords=list(strategy.keywords),
        platforms=[Platform(p) for p in strategy.platforms],
        cadence={Platform(k): Cadence.model_validate(v) for k, v in strategy.cadence.items()},
        start_date=strategy.start_date,
        end_date=strategy.end_date,
        is_active=strategy.is_active,
        created_at=strategy.created_at,
        updated_at=strategy.updated_at,
    )


class StrategyList(BaseModel):
    items: list[StrategyOut]
