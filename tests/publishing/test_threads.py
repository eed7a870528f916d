"""Long texts split into thread parts: each part fits the limit as the platform counts it,
cut after sentences, else between words, else between whole characters."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from growth_manager.providers.x.text import count_x_weighted
from growth_manager.publishing.threads import split_thread

X_LIMIT = 280


def no_space(text: str) -> str:
    return "".join(text.split())


def test_a_blank_text_has_no_parts() -> None:
    assert split_thread("", 280) == []
    assert split_thread(" \n\t ", 280, numbering=True) == []


def test_a_text_that_fits_is_one_post_without_a_number() -> None:
    assert split_thread("  Hello there.  ", 20) == ["Hello there."]
    assert split_thread("Hello there.", 12, numbering=True) == ["Hello there."]


def test_cuts_come_after_sentences_first() -> None:
    text = "One two three. Four five six seven. Eight nine."
    assert split_thread(text, 36) == ["One two three. Four five six seven.", "Eight nine."]
    # "One two three. Four" would fit 20, but the sentence end comes first.
    assert split_thread(text, 20) == ["One two three.", "Four five six seven.", "Eight nine."]


def test_a_line_break_is_as_good_as_a_sentence_end() -> None:
    # Between words, "Our spring menu is here with" would fit 30; the line break wins.
    text = "Our spring menu\nis here with new cakes"
    assert split_thread(text, 30) == ["Our spring menu", "is here with new cakes"]


def test_closing_quotes_and_brackets_stay_with_their_sentence() -> None:
    text = 'She said "we open at nine." (Really!) Then we did.'
    assert split_thread(text, 28) == ['She said "we open at nine."', "(Really!) Then we did."]


def test_a_long_sentence_is_cut_between_words() -> None:
    text = "alpha beta gamma delta epsilon zeta eta theta"
    assert split_thread(text, 17) == ["alpha beta gamma", "delta epsilon", "zeta eta theta"]


def test_a_word_longer_than_the_limit_is_cut_hard() -> None:
    assert split_thread("abcdefghij", 4) == ["abcd", "efgh", "ij"]
    assert split_thread("hi abcdefghij", 4) == ["hi", "abcd", "efgh", "ij"]


def test_whitespace_inside_a_part_is_kept_and_trimmed_at_its_ends() -> None:
    text = "First line.\n\nSecond   line with   spaces.\n  Third."
    parts = split_thread(text, 45)
    assert parts == ["First line.\n\nSecond   line with   spaces.", "Third."]


def test_emoji_with_skin_tones_flags_and_joiners_are_never_cut() -> None:
    thumbs, flag, family = "👍🏽", "🇫🇷", "👨\u200d👩\u200d👧"
    for unit in (thumbs, flag, family, "e\u0301", "1\ufe0f\u20e3"):
        parts = split_thread(unit * 10, 2 * len(unit) + 1)
        assert parts == [unit * 2] * 5, unit


def test_x_counts_links_as_23_so_a_long_link_stays_whole() -> None:
    link = "https://example.com/" + "a" * 300
    text = f"Read this {link} and tell us what you think of it."
    parts = split_thread(text, X_LIMIT, count_x_weighted)
    assert parts == [text]  # 10 + 23 + 40 characters on X
    assert len(text) > X_LIMIT


def test_x_counts_emoji_as_two() -> None:
    text = "🎉" * 200
    parts = split_thread(text, X_LIMIT, count_x_weighted)
    assert parts == ["🎉" * 140, "🎉" * 60]


def test_numbering_counts_toward_the_limit() -> None:
    text = "alpha beta gamma delta epsilon zeta eta theta"
    parts = split_thread(text, 17, numbering=True)
    assert parts == ["alpha beta 1/4", "gamma delta 2/4", "epsilon zeta 3/4", "eta theta 4/4"]
    assert all(len(part) <= 17 for part in parts)


def test_numbering_makes_room_for_two_digit_counts() -> None:
    text = " ".join(f"w{index:02d}" for index in range(30))
    parts = split_thread(text, 12, numbering=True)
    assert len(parts) >= 10
    total = len(parts)
    for index, part in enumerate(parts, 1):
        assert part.endswith(f" {index}/{total}")
        assert len(part) <= 12
    assert [word for part in parts for word in part.split()[:-1]] == text.split()


def test_a_limit_too_small_for_one_character_is_refused() -> None:
    with pytest.raises(ValueError, match="limit 1 is too small"):
        split_thread("🎉🎉", 1, count_x_weighted)
    with pytest.raises(ValueError, match="limit 4 is too small"):
        split_thread("abc def", 4, numbering=True)
    with pytest.raises(ValueError, match="limit must be at least 1"):
        split_thread("abc", 0)


def test_chinese_and_japanese_sentences_are_cut_after_their_full_stop() -> None:
    text = "新しいケーキを発売しました。ぜひお店に来てください！「春の味」をお楽しみに。"
    assert split_thread(text, 60, count_x_weighted) == [
        "新しいケーキを発売しました。ぜひお店に来てください！",
        "「春の味」をお楽しみに。",
    ]


def test_a_long_text_is_measured_a_few_times_a_part_not_once_a_word() -> None:
    # X's weighted counter runs an emoji regex over what it measures; measuring the rest of
    # the text for every part, or every word, made a long thread take seconds.
    measured: list[int] = []

    def counting(text: str) -> int:
        measured.append(len(text))
        return count_x_weighted(text)

    text = " ".join(
        f"Sentence number {index} is here 🎉 with café and 日本." for index in range(300)
    )
    parts = split_thread(text, X_LIMIT, counting, numbering=True)
    assert all(count_x_weighted(part) <= X_LIMIT for part in parts)
    assert no_space("".join(re.sub(r" \d+/\d+$", "", part) for part in parts)) == no_space(text)
    # The first measure is the whole text (does it fit as one post?); after that, strings of
    # at most a few parts' length, a bounded number of times per part.
    assert len(measured) <= 20 * len(parts)
    assert max(measured[1:]) <= 4 * X_LIMIT


# Properties ---------------------------------------------------------------------------------------
# Units a person sees as one character; none is a prefix of another, so a part made of whole
# units reads back as whole units.
UNITS = [
    "a",
    "b",
    "Z",
    "é",
    "e\u0301",
    "👍🏽",
    "🇫🇷",
    "👨\u200d👩\u200d👧",
    "1\ufe0f\u20e3",
    "日",
    ".",
    "!",
]
UNIT_OR_SPACE = re.compile("(?:" + "|".join(map(re.escape, UNITS)) + r"|\s)*")
words = st.lists(st.sampled_from(UNITS), min_size=1, max_size=12).map("".join)
separators = st.sampled_from([" ", " ", " ", "  ", "\n", "\n\n", ". ", "! ", "\t"])
texts = st.lists(st.tuples(words, separators), max_size=60).map(
    lambda pairs: "".join(word + sep for word, sep in pairs)
)
counters = st.sampled_from([len, count_x_weighted])


@settings(max_examples=300, deadline=None)
@given(text=texts, limit=st.integers(12, 300), count=counters)
def test_every_part_fits_and_the_words_come_back_in_order(
    text: str, limit: int, count: type[len]
) -> None:
    parts = split_thread(text, limit, count)
    assert all(count(part) <= limit for part in parts)
    assert all(part and part == part.strip() for part in parts)
    assert no_space("".join(parts)) == no_space(text)
    for part in parts:
        assert UNIT_OR_SPACE.fullmatch(part), f"a character was cut in {part!r}"
    if all(count(word) <= limit for word in text.split()):
        assert " ".join(parts).split() == text.split()
    if not text.strip():
        assert parts == []


@settings(max_examples=200, deadline=None)
@given(text=texts, limit=st.integers(20, 300), count=counters)
def test_numbered_parts_fit_and_count_up(text: str, limit: int, count: type[len]) -> None:
    parts = split_thread(text, limit, count, numbering=True)
    assert all(count(part) <= limit for part in parts)
    if len(parts) < 2:
        assert parts == ([text.strip()] if text.strip() else [])
        return
    bodies = []
    for index, part in enumerate(parts, 1):
        suffix = f" {index}/{len(parts)}"
        assert part.endswith(suffix)
        body = part.removesuffix(suffix)
        assert body
        assert body == body.strip()
        bodies.append(body)
    assert no_space("".join(bodies)) == no_space(text)
    if all(count(word + " 99/99") <= limit for word in text.split()):
        assert " ".join(bodies).split() == text.split()


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=400), limit=st.integers(4, 60))
def test_any_text_at_all_splits_into_fitting_parts(text: str, limit: int) -> None:
    parts = split_thread(text, limit)
    assert all(0 < len(part) <= limit for part in parts)
    assert all(part == part.strip() for part in parts)
    assert no_space("".join(parts)) == no_space(text)
