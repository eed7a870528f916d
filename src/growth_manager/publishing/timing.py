"""Wall-clock times in a business's time zone, turned into the UTC instants posts are stored at.

A wall time does not always name exactly one instant. When clocks go forward (spring), the
skipped times do not exist: such a time moves forward by the length of the gap, which is what
a person means by "half past two" on that night (02:30 becomes 03:30 in Paris). When clocks go
back (autumn), the repeated times happen twice: the first occurrence is taken, because a post
planned for "02:30" should not wait an extra hour. Either way the result carries a note in
plain words, so the calendar can tell the person what happened instead of silently shifting
their post.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from growth_manager.business.schemas import known_timezones

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

WHEN_EXAMPLES = (
    '"2026-03-29T09:30" (in the business\'s time zone), "2026-03-29T07:30:00Z" (UTC) or '
    '"2026-03-29T09:30+02:00"'
)
# Date, "T" or a space, hours and minutes, optional seconds and fraction, optional offset.
_WHEN = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,6})?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?"
)


@dataclass(frozen=True)
class Scheduled:
    """An instant to publish at (aware, UTC) and, when the wall time asked for was moved or
    was ambiguous, a sentence saying so."""

    utc: datetime
    note: str | None = None


def zone_info(zone: str) -> ZoneInfo:
    """The IANA zone ``zone``; ValueError naming it when there is no such zone."""
    # The list of zones rather than ZoneInfo(zone) alone: ZoneInfo also opens files such as
    # "posixrules" that are not zones anyone means, and raises different errors for paths.
    if zone not in known_timezones():
        raise ValueError(
            f'"{zone}" is not an IANA time zone; use a Region/City name like "Europe/Berlin", '
            '"America/New_York" or "UTC"'
        )
    return ZoneInfo(zone)


def local_to_utc(local: datetime, zone: str) -> Scheduled:
    """The instant at which the wall clocks of ``zone`` show ``local`` (a naive datetime).

    A time in a spring-forward gap moves forward by the gap; a time that happens twice takes
    its first occurrence. Both come with a note; every other time has none.
    """
    if local.tzinfo is not None:
        raise ValueError(
            "local_to_utc takes a wall-clock time without a UTC offset; "
            f"{local.isoformat()} already has one"
        )
    tz = zone_info(zone)
    local = local.replace(fold=0)
    try:
        # fold=0 is the earlier reading: in an overlap the first occurrence, in a gap the
        # offset from before the change, which lands the gap's length later on the clock.
        first = local.replace(tzinfo=tz)
        utc = first.astimezone(UTC)
        shown = utc.astimezone(tz).replace(tzinfo=None)
    except OverflowError:
        raise ValueError(f"{local.isoformat()} is too close to the ends of the calendar") from None
    if shown != local:
        on_day = "" if shown.date() == local.date() else f" on {_day(shown)}"
        return Scheduled(
            utc,
            f"{_clock(local)} does not exist on {_day(local)} in {zone}: clocks go forward. "
            f"Scheduled at {_clock(shown)}{on_day}.",
        )
    second = local.replace(tzinfo=tz, fold=1)
    if second.utcoffset() != first.utcoffset():
        return Scheduled(
            utc,
            f"{_clock(local)} happens twice on {_day(local)} in {zone}: clocks go back. "
            f"Scheduled at the first {_clock(local)} (UTC{_offset(first)}), "
            f"{_offset_hours(first, second)} before the second.",
        )
    return Scheduled(utc)


def parse_when(value: str, zone: str) -> Scheduled:
    """A time sent to the API: ISO 8601 with an offset (or ``Z``) is that instant; without an
    offset it is a wall time in the business's zone ``zone`` (see local_to_utc)."""
    text = value.strip()
    if _WHEN.fullmatch(text) is None:
        raise ValueError(f'"{value}" is not a date and time; send ISO 8601 like {WHEN_EXAMPLES}')
    try:
        parsed = datetime.fromisoformat(text.upper().replace(",", "."))
    except ValueError as exc:
        raise ValueError(
            f'"{value}" is not a valid date and time ({exc}); send ISO 8601 like {WHEN_EXAMPLES}'
        ) from None
    if parsed.tzinfo is None:
        return local_to_utc(parsed, zone)
    zone_info(zone)  # a bad zone is reported whatever the value
    try:
        return Scheduled(parsed.astimezone(UTC))
    except OverflowError:
        raise ValueError(f'"{value}" is too close to the ends of the calendar') from None


def _clock(moment: datetime | time) -> str:
    """``2:30 AM``, ``12:05 PM``; seconds only when there are some."""
    hour = moment.hour % 12 or 12
    seconds = f":{moment.second:02d}" if moment.second else ""
    return f"{hour}:{moment.minute:02d}{seconds} {'AM' if moment.hour < 12 else 'PM'}"


def _day(moment: datetime) -> str:
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}"


def _offset(moment: datetime) -> str:
    minutes = int(_utcoffset(moment).total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}"


def _offset_hours(first: datetime, second: datetime) -> str:
    difference = _utcoffset(first) - _utcoffset(second)
    minutes = abs(int(difference.total_seconds())) // 60
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minutes"


def _utcoffset(moment: datetime) -> timedelta:
    # Only called with datetimes carrying a ZoneInfo, which always has an offset.
    return moment.utcoffset() or timedelta(0)
