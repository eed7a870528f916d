"""What each platform accepts: text length (counted the way the platform counts), hashtags and
media. The one implementation of these rules: the API validates with it, and the editor asks
``POST /api/v1/text/measure`` instead of re-implementing the counting in JavaScript.

Limits, media rules and how text is counted come from each platform's provider descriptor
(X weights text with its official ``twitter-text`` rules in ``providers/x/text.py``; platforms
that document limits in characters count NFC code points, ``providers/text.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from growth_manager.content.records import Draft
from growth_manager.models.content import PLATFORM_ORDER, MediaKind, Platform
from growth_manager.providers.registry import descriptor


def normalise_text(text: str) -> str:
    """Line endings as browsers type them (\\r\\n from form posts) count once, as \\n."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# A hashtag starts after a non-word character (or the start) so "a#b" and "&#39;" are not tags.
_HASHTAG = re.compile(r"(?<![\w&#])#(\w+)", re.UNICODE)


def count_hashtags(text: str) -> int:
    return len(_HASHTAG.findall(text))


@dataclass(frozen=True)
class MediaRules:
    """How many attachments a single post may carry on the platform."""

    max_images: int
    max_videos: int
    max_items: int
    can_mix: bool
    requires_media: bool = False


@dataclass(frozen=True)
class PlatformRules:
    platform: Platform
    name: str
    limit: int
    count: Callable[[str], int] = field(repr=False)
    counting_note: str | None = None
    max_hashtags: int | None = None
    media: MediaRules = MediaRules(max_images=10, max_videos=1, max_items=10, can_mix=False)


def _rules(platform: Platform) -> PlatformRules:
    """Limits and counting come from the platform's provider descriptor, so publishing and
    validation can never disagree about them."""
    described = descriptor(platform.value)
    max_items = max(described.max_images, described.max_videos)
    can_mix = described.mixes_media
    return PlatformRules(
        platform=platform,
        name=described.display_name,
        limit=described.text_limit,
        count=described.count_text,
        counting_note=described.counting_note,
        max_hashtags=described.max_hashtags,
        media=MediaRules(
            max_images=described.max_images,
            max_videos=max_items if can_mix else described.max_videos,
            max_items=max_items,
            can_mix=can_mix,
            requires_media=described.requires_media,
        ),
    )


RULES: dict[Platform, PlatformRules] = {platform: _rules(platform) for platform in PLATFORM_ORDER}


@dataclass(frozen=True)
class Problem:
    platform: Platform
    code: str
    message: str


@dataclass(frozen=True)
class Measurement:
    platform: Platform
    name: str
    count: int
    limit: int
    hashtags: int
    max_hashtags: int | None
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def rules_for(platform: Platform | str) -> PlatformRules:
    return RULES[Platform(platform)]


@lru_cache(maxsize=16384)
def measure(platform: Platform | str, text: str) -> Measurement:
    """How ``text`` counts on ``platform`` and what it breaks. Cached: every draft listed is
    measured for each of its platforms, and a Measurement is immutable."""
    rules = rules_for(platform)
    text = normalise_text(text)
    count = rules.count(text)
    hashtags = count_hashtags(text)
    problems: list[Problem] = []
    if count > rules.limit:
        note = f" ({rules.counting_note})" if rules.counting_note else ""
        problems.append(
            Problem(
                rules.platform,
                "too_long",
                f"{rules.name}: {count}/{rules.limit} characters{note}",
            )
        )
    if rules.max_hashtags is not None and hashtags > rules.max_hashtags:
        problems.append(
            Problem(
                rules.platform,
                "too_many_hashtags",
                f"{rules.name}: {hashtags}/{rules.max_hashtags} hashtags",
            )
        )
    return Measurement(
        platform=rules.platform,
        name=rules.name,
        count=count,
        limit=rules.limit,
        hashtags=hashtags,
        max_hashtags=rules.max_hashtags,
        problems=tuple(problems),
    )


def validate(platform: Platform | str, text: str) -> list[Problem]:
    """Every rule ``text`` breaks on ``platform``; empty when it may be posted there."""
    return list(measure(platform, text).problems)


def validate_media(platform: Platform | str, kinds: Sequence[MediaKind]) -> list[Problem]:
    """Whether a post with these attachments fits the platform. Not enforced on drafts (a draft
    may be for several platforms); the editor shows it and publishing will enforce it."""
    rules = rules_for(platform)
    media = rules.media
    images = sum(1 for kind in kinds if kind is MediaKind.image)
    videos = sum(1 for kind in kinds if kind is MediaKind.video)
    problems: list[Problem] = []
    if not media.can_mix and images and videos:
        problems.append(
            Problem(
                rules.platform,
                "mixed_media",
                f"{rules.name}: a post carries either images or one video, not both",
            )
        )
    if images > media.max_images:
        problems.append(
            Problem(
                rules.platform,
                "too_many_images",
                f"{rules.name}: {images}/{media.max_images} images",
            )
        )
    if videos > media.max_videos:
        problems.append(
            Problem(
                rules.platform,
                "too_many_videos",
                f"{rules.name}: {videos}/{media.max_videos} videos",
            )
        )
    if len(kinds) > media.max_items and media.can_mix:
        problems.append(
            Problem(
                rules.platform,
                "too_many_items",
                f"{rules.name}: {len(kinds)}/{media.max_items} media items",
            )
        )
    if media.requires_media and not kinds:
        problems.append(
            Problem(
                rules.platform, "media_required", f"{rules.name}: needs at least one image or video"
            )
        )
    return problems


@dataclass(frozen=True)
class PlatformText:
    platform: Platform
    text: str
    uses_base_text: bool
    measurement: Measurement


def effective_texts(post: Draft) -> list[PlatformText]:
    """For each targeted platform: the text it would publish, and how that measures."""
    variants = {variant.platform: variant.text for variant in post.variants}
    result = []
    for platform in ordered(post.platforms):
        text = variants.get(platform)
        uses_base = text is None
        effective = post.base_text if text is None else text
        result.append(PlatformText(platform, effective, uses_base, measure(platform, effective)))
    return result


def ordered(platforms: Sequence[str]) -> list[Platform]:
    """The known platforms among ``platforms``, in display order (unknown names are left out;
    Platform is a StrEnum, so plain strings match its members)."""
    return list(_ordered(tuple(platforms)))


@lru_cache(maxsize=256)
def _ordered(platforms: tuple[str, ...]) -> tuple[Platform, ...]:
    # Cached: a draft list orders every draft's platforms twice, and hashing an enum member
    # runs Python code; the few combinations there are hash as plain strings from the row.
    wanted = set(platforms)
    return tuple(platform for platform in PLATFORM_ORDER if platform in wanted)
