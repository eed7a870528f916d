"""Long texts split into thread parts that each fit a platform's limit.

Each part ends at the last sentence end that fits (a line break counts as one, and so does a
Chinese or Japanese full stop, which has no space after it); when none fits, at the last gap
between words that fits; and only a word too long for any part is cut between characters,
never inside a character a person sees as one (an emoji with its skin tone or joiners, a flag,
a letter with its accents). Parts are trimmed; whitespace inside them (paragraphs) is kept, so
joining the parts with spaces gives back the text's words in order, except for words that had
to be cut.

Length is measured by the function given, so X's weighted count (links 23, emoji 2) is
honoured by passing ``growth_manager.providers.x.text.count_x_weighted``. Every part is
measured as the exact string that will be posted, number included, so a counter that does not
add up (a link weighs 23 whatever its length) still never lets a part through that is too long.

Numbering adds `` 1/n`` at the end of each part and counts toward the limit. A text that fits
in one post is returned as that one post, without ``1/1``: it is not a thread.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Sequence

Counter = Callable[[str], int]

_WHITESPACE = re.compile(r"\s+")
# A sentence ends with . ! ? or … (possibly repeated), then closing quotes or brackets.
_SENTENCE_END = re.compile(r"[.!?…。！？]+[\"'”’»)\]」』）]*$")
# Chinese and Japanese put no space after a sentence: the cut goes right after its full stop.
_UNSPACED_SENTENCE_END = re.compile(r"[。！？]+[」』）]*(?=\S)")
_MAX_NUMBER_DIGITS = 6


def split_thread(text: str, limit: int, count: Counter = len, numbering: bool = False) -> list[str]:
    """``text`` as thread parts of at most ``limit`` (measured by ``count``), whitespace
    trimmed, none empty; ``[]`` for a blank text. With ``numbering`` each part of a thread of
    two or more ends with `` i/n``. ValueError when ``limit`` cannot hold even one character
    (plus its number)."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    text = text.strip()
    if not text:
        return []
    if count(text) <= limit:
        return [text]
    if not numbering:
        return _split(text, limit, count, lambda _index: "")
    # The suffix's length depends on how many parts there are; reserve room for a count of
    # `digits` digits and widen when the thread turns out longer.
    for digits in range(1, _MAX_NUMBER_DIGITS + 1):
        try:
            parts = _split(text, limit, count, _numbers_up_to("9" * digits), 10**digits - 1)
        except _TooManyParts:
            continue
        numbered = [f"{part} {index}/{len(parts)}" for index, part in enumerate(parts, 1)]
        if all(count(part) <= limit for part in numbered):
            return numbered
    raise ValueError(f"the text needs too many parts to number within {limit}")


class _TooManyParts(Exception):
    """More parts than the numbering made room for; raised early to save measuring."""


def _numbers_up_to(widest: str) -> Callable[[int], str]:
    return lambda index: f" {index}/{widest}"


def _split(
    text: str,
    limit: int,
    count: Counter,
    suffix: Callable[[int], str],
    max_parts: int | None = None,
) -> list[str]:
    """Greedy: each part ends at the furthest cut that fits, preferring sentence ends, then
    word gaps, then character boundaries inside a word too long for any part.

    A cut is (where the part ends, where the next one starts); the end of the text is the last
    cut of every kind. Measuring is the costly step (X's counter runs an emoji regex over the
    text), so the furthest word gap is found by galloping from the part's start, measuring
    strings at most about twice a part's length, and the sentence end is the last one before
    it rather than a second search.
    """
    spaced = [(match.start(), match.end()) for match in _WHITESPACE.finditer(text)]
    unspaced = [(match.end(), match.end()) for match in _UNSPACED_SENTENCE_END.finditer(text)]
    gaps = sorted(spaced + unspaced)
    gaps.append((len(text), len(text)))
    gap_starts = [start for start, _ in gaps]
    sentence_starts = [
        start for start, stop in gaps[:-1] if start == stop or _ends_sentence(text, start, stop)
    ]
    sentence_starts.append(len(text))
    character_cuts: list[int] | None = None
    parts: list[str] = []
    position = 0
    while position < len(text):
        if max_parts is not None and len(parts) == max_parts:
            raise _TooManyParts
        tail = suffix(len(parts) + 1)
        here = position

        def fits(cut: int, here: int = here, tail: str = tail) -> bool:
            return count(text[here:cut] + tail) <= limit

        first = bisect_right(gap_starts, position)
        furthest = _furthest(gap_starts, first, fits)
        if furthest is not None:
            cut = gap_starts[furthest]
            sentence = bisect_right(sentence_starts, cut) - 1
            if (
                sentence >= 0
                and sentence_starts[sentence] > position
                and fits(sentence_starts[sentence])
            ):
                cut = sentence_starts[sentence]
            parts.append(text[position:cut])
            position = gaps[bisect_right(gap_starts, cut) - 1][1]
            continue
        # The first word alone is too long: cut it between characters.
        if character_cuts is None:
            character_cuts = _character_bounds(text, 0, len(text))
        word_end = gap_starts[first]
        lowest = bisect_right(character_cuts, position)
        inside = character_cuts[lowest : bisect_right(character_cuts, word_end - 1)]
        furthest = _furthest(inside, 0, fits)
        if furthest is None:
            piece = text[position : (inside[0] if inside else word_end)]
            raise ValueError(
                f'limit {limit} is too small: "{piece}{tail}" alone counts {count(piece + tail)}'
            )
        parts.append(text[position : inside[furthest]])
        position = inside[furthest]
    return [part.strip() for part in parts]


def _ends_sentence(text: str, start: int, end: int) -> bool:
    return (
        "\n" in text[start:end] or _SENTENCE_END.search(text, max(0, start - 8), start) is not None
    )


def _furthest(cuts: Sequence[int], first: int, fits: Callable[[int], bool]) -> int | None:
    """The index of the last of the ascending ``cuts[first:]`` that fits, or None when even
    the first does not. Gallops (1, 2, 4, … cuts on) and then bisects, assuming a longer
    prefix counts at least as much, true of any sensible counter; whatever is returned was
    measured and fits even for a counter where it is not."""
    if first >= len(cuts) or not fits(cuts[first]):
        return None
    good, bad, step = first, len(cuts), 1
    while good + 1 < bad:
        probe = min(good + step, bad - 1)
        if fits(cuts[probe]):
            good, step = probe, step * 2
        else:
            bad = probe
            break
    while good + 1 < bad:
        middle = (good + bad) // 2
        if fits(cuts[middle]):
            good = middle
        else:
            bad = middle
    return good


def _character_bounds(text: str, start: int, end: int) -> list[int]:
    """Positions strictly between ``start`` and ``end`` where a cut does not break a
    character a person sees as one. An approximation of Unicode's grapheme clusters
    (UAX #29) without a dependency: it keeps combining marks, variation selectors, emoji
    modifiers, tags and zero-width joiners with what they modify, flags (regional indicator
    pairs) together, CR LF and surrogate pairs whole."""
    bounds: list[int] = []
    regional_run = 0
    for index in range(start + 1, end):
        before, after = text[index - 1], text[index]
        regional_run = regional_run + 1 if _is_regional(before) else 0
        if _joins(before, after, regional_run):
            continue
        bounds.append(index)
    return bounds


def _is_regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def _joins(before: str, after: str, regional_run: int) -> bool:
    code = ord(after)
    if unicodedata.category(after) in ("Mn", "Me", "Mc"):
        return True
    if after == "\u200d" or before == "\u200d":
        return True
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:  # variation selectors
        return True
    if 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F:  # skin tones, tags
        return True
    if _is_regional(after) and regional_run % 2 == 1:  # the second half of a flag
        return True
    if before == "\r" and after == "\n":
        return True
    return 0xD800 <= ord(before) <= 0xDBFF and 0xDC00 <= code <= 0xDFFF
