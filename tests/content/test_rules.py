"""Per-platform text rules: X's weighted counting, each limit at its boundary, Instagram's
hashtags, media limits."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from growth_manager.content import rules
from growth_manager.content.rules import measure, validate, validate_media
from growth_manager.models.content import MediaKind, Platform
from growth_manager.providers.x import text as x_text
from growth_manager.providers.x.text import count_x_weighted


def test_x_counts_links_as_23_whatever_their_length() -> None:
    short = "see https://a.co"
    long = "see https://example.com/" + "a" * 200
    assert count_x_weighted(short) == 4 + 23
    assert count_x_weighted(long) == 4 + 23


def test_x_counts_emoji_and_cjk_as_two() -> None:
    assert count_x_weighted("😀") == 2
    assert count_x_weighted("👍🏽") == 2  # an emoji with a skin tone is one emoji
    assert count_x_weighted("日本語") == 6
    assert count_x_weighted("abc") == 3
    # Latin-1 accents are light, like ASCII.
    assert count_x_weighted("café") == 4


def test_x_message_names_platform_limit_and_counting() -> None:
    text = "a" * 268 + " https://example.com/page"  # 268 + 1 + 23 = 292
    problems = validate(Platform.x, text)
    assert [p.message for p in problems] == [
        "X: 292/280 characters (X counts links as 23 and emoji as 2)"
    ]
    assert problems[0].code == "too_long"


def test_x_boundary_with_emoji() -> None:
    assert validate(Platform.x, "😀" * 140) == []
    assert validate(Platform.x, "😀" * 140 + "a")[0].message.startswith("X: 281/280")


@pytest.mark.parametrize(
    ("platform", "limit", "name"),
    [
        (Platform.x, 280, "X"),
        (Platform.linkedin, 3000, "LinkedIn"),
        (Platform.facebook, 63206, "Facebook"),
        (Platform.instagram, 2200, "Instagram"),
    ],
)
def test_each_limit_at_the_boundary(platform: Platform, limit: int, name: str) -> None:
    assert validate(platform, "a" * limit) == []
    problems = validate(platform, "a" * (limit + 1))
    assert len(problems) == 1
    assert problems[0].message.startswith(f"{name}: {limit + 1}/{limit} characters")


def test_non_x_platforms_count_characters_not_bytes() -> None:
    # Three-byte characters and emoji are one character each outside X.
    assert measure(Platform.linkedin, "日本😀").count == 3
    # A decomposed é and a composed é are the same character.
    assert measure(Platform.linkedin, "e\u0301").count == 1


def test_line_endings_from_forms_count_once() -> None:
    assert measure(Platform.linkedin, "a\r\nb").count == 3
    assert measure(Platform.x, "a\r\nb").count == 3


def test_instagram_hashtags_30_is_fine_31_is_not() -> None:
    thirty = " ".join(f"#tag{i}" for i in range(30))
    assert validate(Platform.instagram, thirty) == []
    problems = validate(Platform.instagram, thirty + " #one_more")
    assert [p.message for p in problems] == ["Instagram: 31/30 hashtags"]
    # Other platforms have no hashtag rule.
    assert validate(Platform.linkedin, thirty + " #one_more") == []


def test_hashtag_detection() -> None:
    assert rules.count_hashtags("#a b#c &#39; #日本 ##x") == 2
    assert rules.count_hashtags("line\n#start") == 1


def test_both_instagram_problems_reported() -> None:
    text = " ".join(f"#t{i}" for i in range(40)) + " " + "a" * 2200
    messages = [p.message for p in validate(Platform.instagram, text)]
    assert len(messages) == 2
    assert messages[0].startswith("Instagram: ")
    assert "/2200 characters" in messages[0]
    assert messages[1] == "Instagram: 40/30 hashtags"


def test_media_limits() -> None:
    image, video = MediaKind.image, MediaKind.video
    assert validate_media(Platform.x, [image] * 4) == []
    assert [p.code for p in validate_media(Platform.x, [image] * 5)] == ["too_many_images"]
    assert [p.code for p in validate_media(Platform.x, [video, video])] == ["too_many_videos"]
    assert [p.code for p in validate_media(Platform.x, [image, video])] == ["mixed_media"]
    assert validate_media(Platform.instagram, [image, video] * 5) == []
    assert [p.code for p in validate_media(Platform.instagram, [image] * 11)] == [
        "too_many_images",
        "too_many_items",
    ]
    assert [p.code for p in validate_media(Platform.instagram, [])] == ["media_required"]
    assert validate_media(Platform.linkedin, []) == []


_url_path = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_/", min_size=0, max_size=300)
_prefix = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"), exclude_characters="#@$/.:"
    ),
    max_size=120,
)


@settings(max_examples=150, deadline=None)
@given(prefix=_prefix, path=_url_path)
def test_appending_any_url_adds_exactly_23_plus_the_separator(prefix: str, path: str) -> None:
    url = "https://example.com/" + path
    before = count_x_weighted(prefix)
    after = count_x_weighted(prefix + " " + url)
    assert after == before + 1 + 23


_ascii_piece = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127), max_size=40),
    st.sampled_from(
        [
            "https://example.com/a?b=c",
            "http://t.co/x",
            "example.org",
            "www.shop.example.com/sale",
            "\r\n",
            "\r",
            "\n",
            "#launch",
            "@someone",
            " ",
        ]
    ),
)


@settings(max_examples=400, deadline=None)
@given(pieces=st.lists(_ascii_piece, max_size=12))
def test_ascii_short_path_agrees_with_twitter_text(pieces: list[str]) -> None:
    text = "".join(pieces)
    expected = int(x_text.twitter_text.parse_tweet(text).weightedLength)
    count_x_weighted.cache_clear()
    assert count_x_weighted(text) == expected
