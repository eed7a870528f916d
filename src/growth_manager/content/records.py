"""Drafts as read-only records: what a list of drafts shows, without ORM objects.

:class:`Draft` is what answers and pages need from a draft; a :class:`~growth_manager.models.
content.Post` is one, and so is a :class:`DraftRecord` read straight from rows (see
``ContentRepository.list_posts``), so the same code shows either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from growth_manager.models.content import MediaAsset, Post, PostStatus

# The post's own columns, in the order DraftRecord takes them.
POST_COLUMNS = (
    Post.id,
    Post.business_id,
    Post.strategy_id,
    Post.author_id,
    Post.title,
    Post.base_text,
    Post.status,
    Post.platforms,
    Post.created_at,
    Post.updated_at,
)


class Variant(Protocol):
    @property
    def platform(self) -> str: ...
    @property
    def text(self) -> str: ...


class MediaLink(Protocol):
    @property
    def media(self) -> MediaAsset: ...


class Draft(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def business_id(self) -> int: ...
    @property
    def strategy_id(self) -> int | None: ...
    @property
    def author_id(self) -> int | None: ...
    @property
    def title(self) -> str: ...
    @property
    def base_text(self) -> str: ...
    @property
    def status(self) -> PostStatus: ...
    @property
    def platforms(self) -> Sequence[Any]: ...
    @property
    def variants(self) -> Sequence[Variant]: ...
    @property
    def media_links(self) -> Sequence[MediaLink]: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class VariantRecord:
    platform: str
    text: str


@dataclass(frozen=True, slots=True)
class MediaLinkRecord:
    media: MediaAsset


@dataclass(frozen=True, slots=True)
class DraftRecord:
    id: int
    business_id: int
    strategy_id: int | None
    author_id: int | None
    title: str
    base_text: str
    status: PostStatus
    platforms: Sequence[Any]
    created_at: datetime
    updated_at: datetime
    variants: Sequence[VariantRecord]
    media_links: Sequence[MediaLinkRecord]
