"""Times of day the way people write them: ``8``, ``08:30``, ``9am``, ``9:30 pm``, ``noon``."""

from __future__ import annotations

import re

_WORDS = {"noon": (12, 0), "midday": (12, 0), "midnight": (0, 0)}
# hour, optional minutes after ":", "." or "h", optional am/pm (a.m., p.m., a, p)
_TIME = re.compile(r"^(\d{1,2})(?:[:.h](\d{2}))?(am|pm|a|p)?$")

EXAMPLES = "8, 08:30, 9am, 9:30 pm or noon"


class NotATime(ValueError):
    """The text is not a time of day; the message says how to write one."""


def parse_time_of_day(text: str) -> tuple[int, int]:
    """``(hour 0-23, minute 0-59)`` for a time written on a 24-hour or 12-hour clock."""
    raw = text
    text = text.strip().lower().replace(" ", "").replace("a.m.", "am").replace("p.m.", "pm")
    if text in _WORDS:
        return _WORDS[text]
    match = _TIME.match(text)
    if match is None:
        raise NotATime(f'"{raw.strip()}" is not a time; write it like {EXAMPLES}')
    hour, minute = int(match[1]), int(match[2] or 0)
    if minute > 59:
        raise NotATime(f'"{raw.strip()}" has {minute} minutes; minutes go from 00 to 59')
    half = match[3]
    if half:
        if not 1 <= hour <= 12:
            raise NotATime(
                f'"{raw.strip()}" mixes a 24-hour time with am/pm; write {hour} without am/pm'
            )
        hour = hour % 12 + (12 if half.startswith("p") else 0)
    elif hour > 23:
        raise NotATime(f'"{raw.strip()}" is past 23:59; hours go from 0 to 23')
    return hour, minute


def hour_of(text: str) -> int:
    """The hour a written time falls in: the minutes are dropped (``8:30`` → 8), because
    preferred posting times are whole hours: a post goes out within its hour."""
    return parse_time_of_day(text)[0]


def split_times(text: str) -> list[str]:
    """A typed list of times: commas or semicolons separate them; so do spaces, unless the
    spaces are inside one time (``9:30 pm``, ``9 am``)."""
    times: list[str] = []
    for piece in re.split(r"[,;]", text):
        chunk = piece.strip()
        if not chunk:
            continue
        try:
            parse_time_of_day(chunk)
        except NotATime:
            words = chunk.split()
            # "9 am 5 pm": glue a lone am/pm to the number before it.
            for word in words:
                if times and word.lower().strip(".") in ("am", "pm", "a.m", "p.m", "a", "p"):
                    times[-1] = f"{times[-1]} {word}"
                else:
                    times.append(word)
        else:
            times.append(chunk)
    return times
