"""Posting slots: the weekly times a strategy's cadence asks for, laid out on the calendar.

The weekly pattern
------------------
A cadence (``business.schemas.Cadence``) says how many posts a week, and optionally which
days (0 = Monday … 6 = Sunday) and which whole hours it prefers. ``default_slots`` turns it
into exactly ``posts_per_week`` (weekday, time) pairs, and a settings page may show that list,
let a person edit it, and pass the edited list back as ``weekly``, which then wins over the
cadence everywhere here.

1. Days. The posting days are the preferred days; with none, Monday to Friday for up to five
   posts a week and every day for more. Posts are shared out as evenly as the days allow: each
   day gets ``posts // days`` and the remainder goes to days spread across the week (three
   posts on Monday to Friday go on Monday, Wednesday and Friday). A day holds at most 24 posts
   (one per hour); only a cadence that would need more than that (say 50 posts on two
   preferred days) spills onto other days, earliest in the week first.
2. Hours. With no preferred hours a day's posts go at the default hours in the order 9:00,
   17:00, 12:00, 15:00, 11:00, … (office hours first, the night last). With preferred hours, a
   day that has fewer posts than preferred hours takes the next ones in turn, continuing
   through the week where the day before stopped, so every preferred hour gets used once the
   week has as many posts as there are preferred hours (one post a day with hours 9 and 17:
   Monday 9:00, Wednesday 17:00, Friday 9:00). A day with as many posts as preferred hours or
   more uses them all and adds default hours in the order above.

From pattern to instants
------------------------
Slots are computed on the zone's wall clock, so a 9:00 slot is at 9:00 the whole year, on
either side of a daylight-saving change. A slot whose wall time does not exist (the
spring-forward gap) moves forward by the gap, like ``timing.local_to_utc``; a slot whose wall
time happens twice (autumn) is produced once, at its first occurrence. All instants are aware
UTC datetimes.

Gaps
----
``min_gap`` keeps posts apart: two times conflict when they are ``min_gap`` or less apart
(``[t - min_gap, t + min_gap]``), so identical times always conflict and, with a one-hour gap,
posts must be more than an hour apart.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from growth_manager.business.schemas import Cadence
from growth_manager.publishing.timing import local_to_utc, zone_info

WeeklySlot = tuple[int, time]
"""(weekday 0 = Monday … 6 = Sunday, wall-clock time in the business's zone)"""

CadenceLike = Cadence | Mapping[str, Any]
"""A validated Cadence or the dict a Strategy stores per platform."""

DEFAULT_HOUR_ORDER: tuple[int, ...] = (
    9, 17, 12, 15, 11, 14, 10, 16, 13, 8, 18, 19, 7, 20, 21, 6, 22, 23, 5, 4, 3, 2, 1, 0,
)  # fmt: skip
WORKDAYS: tuple[int, ...] = (0, 1, 2, 3, 4)
WEEK: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)
HOURS_A_DAY = 24
DEFAULT_HORIZON = timedelta(days=366)
_WINDOW = timedelta(days=7)
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def default_slots(cadence: CadenceLike) -> list[WeeklySlot]:
    """The weekly pattern for ``cadence``: ``posts_per_week`` distinct (weekday, time) pairs,
    sorted by weekday and time. Empty for zero posts a week. See the module docstring."""
    cadence = _cadence(cadence)
    posts = cadence.posts_per_week
    if posts <= 0:
        return []
    days = list(cadence.preferred_days) or list(WORKDAYS if posts <= len(WORKDAYS) else WEEK)
    for day in WEEK:
        if posts <= HOURS_A_DAY * len(days):
            break
        if day not in days:
            days.append(day)
    days.sort()

    per_day, remainder = divmod(posts, len(days))
    counts = dict.fromkeys(days, per_day)
    for day in _spread_days(days, remainder):
        counts[day] += 1

    preferred = list(cadence.preferred_hours)
    extra_hours = [hour for hour in DEFAULT_HOUR_ORDER if hour not in preferred]
    turn = 0  # where the next day starts in the preferred hours
    pattern: list[WeeklySlot] = []
    for day in days:
        wanted = counts[day]
        if wanted == 0:
            continue
        if not preferred:
            hours = list(DEFAULT_HOUR_ORDER[:wanted])
        elif wanted >= len(preferred):
            hours = preferred + extra_hours[: wanted - len(preferred)]
        else:
            hours = [preferred[(turn + i) % len(preferred)] for i in range(wanted)]
            turn += wanted
        pattern.extend((day, time(hour)) for hour in sorted(hours))
    return pattern


def slot_times(
    cadence: CadenceLike | None,
    zone: str,
    start: datetime,
    end: datetime,
    *,
    weekly: Sequence[WeeklySlot] | None = None,
) -> list[datetime]:
    """Every slot in ``[start, end)``, ascending, as aware UTC datetimes. The pattern is
    ``weekly`` when given, else ``default_slots(cadence)``."""
    pattern = _pattern(cadence, weekly)
    zone_info(zone)
    start, end = _aware(start, "start"), _aware(end, "end")
    return _slots_between(pattern, zone, start, end)


def next_free_slots(
    cadence: CadenceLike | None,
    zone: str,
    after: datetime,
    taken: Iterable[datetime],
    count: int = 1,
    min_gap: timedelta = timedelta(0),
    *,
    weekly: Sequence[WeeklySlot] | None = None,
    horizon: timedelta = DEFAULT_HORIZON,
) -> list[datetime]:
    """The first ``count`` slots strictly after ``after`` that are free: not within
    ``min_gap`` of a ``taken`` time, nor of a slot returned before them (so the slots can all
    be used together). Searches ``horizon`` past ``after``; ValueError when the pattern has no
    slots at all or fewer than ``count`` free ones fall within the horizon."""
    if count < 0:
        raise ValueError(f"count must be 0 or more, not {count}")
    if min_gap < timedelta(0):
        raise ValueError(f"min_gap must not be negative, not {min_gap}")
    pattern = _pattern(cadence, weekly)
    zone_info(zone)
    after = _aware(after, "after")
    blocked = sorted(_aware(moment, "taken") for moment in taken)
    if count == 0:
        return []
    if not pattern:
        raise ValueError(
            "the cadence has no posting slots (0 posts per week); set posts per week above 0 "
            "or give the weekly slots explicitly"
        )
    found: list[datetime] = []
    for slot in _slots_from(pattern, zone, after + timedelta(microseconds=1), after + horizon):
        if _near(slot, blocked, min_gap):
            continue
        found.append(slot)
        if len(found) == count:
            return found
        insort(blocked, slot)
    span = f"{horizon.days} days" if horizon == timedelta(days=horizon.days) else str(horizon)
    raise ValueError(
        f"only {len(found)} of {count} free slots in the {span} after {after.isoformat()}; "
        "the other slots are taken or within the minimum gap of a taken time"
    )


def gap_conflicts(times: Sequence[datetime], min_gap: timedelta) -> list[tuple[datetime, datetime]]:
    """Every pair of ``times`` that are ``min_gap`` or less apart, earlier first, in time
    order (each pair once; three close posts give three pairs)."""
    if min_gap < timedelta(0):
        raise ValueError(f"min_gap must not be negative, not {min_gap}")
    ordered = sorted(_aware(moment, "times") for moment in times)
    conflicts: list[tuple[datetime, datetime]] = []
    for index, earlier in enumerate(ordered):
        for later in ordered[index + 1 :]:
            if later - earlier > min_gap:
                break
            conflicts.append((earlier, later))
    return conflicts


def describe(pattern: Sequence[WeeklySlot]) -> list[str]:
    """``Monday 09:00`` lines for a settings page."""
    return [f"{_DAY_NAMES[day]} {moment:%H:%M}" for day, moment in pattern]


# Internals --------------------------------------------------------------------------------------
def _cadence(cadence: CadenceLike) -> Cadence:
    if isinstance(cadence, Cadence):
        return cadence
    return Cadence.model_validate(dict(cadence))


def _pattern(cadence: CadenceLike | None, weekly: Sequence[WeeklySlot] | None) -> list[WeeklySlot]:
    if weekly is None:
        if cadence is None:
            raise ValueError("give a cadence or the weekly slots")
        return default_slots(cadence)
    pattern: set[WeeklySlot] = set()
    for day, moment in weekly:
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            raise ValueError(f"weekday {day!r} is not 0 (Monday) to 6 (Sunday)")
        if not isinstance(moment, time) or moment.tzinfo is not None:
            raise ValueError(
                f"{moment!r} is not a wall-clock time; weekly slots are times of day without "
                "a zone (the business's zone applies)"
            )
        pattern.add((day, moment))
    return sorted(pattern)


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, not the naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def _spread_days(days: Sequence[int], wanted: int) -> list[int]:
    """``wanted`` of the sorted ``days``, as evenly spread over the week as they allow: aim at
    points ``7 / wanted`` days apart from the first day and take the nearest day still free
    (the earlier one on a tie)."""
    chosen: list[int] = []
    for index in range(wanted):
        aim = index * len(WEEK) / wanted

        def distance(day: int, aim: float = aim) -> tuple[float, int]:
            offset = (day - days[0]) % len(WEEK)
            gap = abs(offset - aim)
            return min(gap, len(WEEK) - gap), offset

        chosen.append(min((day for day in days if day not in chosen), key=distance))
    return chosen


def _slots_between(
    pattern: Sequence[WeeklySlot], zone: str, start: datetime, end: datetime
) -> list[datetime]:
    """Every slot in [start, end). A slot's instant lies within about a day of its local date
    (offsets are under 15 hours; a gap moves a time forward by at most a day), so local dates
    from two days before ``start`` to two after ``end`` cover the window."""
    if not pattern or end <= start:
        return []
    tz = zone_info(zone)
    by_weekday: dict[int, list[time]] = {}
    for weekday, moment in pattern:
        by_weekday.setdefault(weekday, []).append(moment)
    try:
        first = start.astimezone(tz).date() - timedelta(days=2)
        last = end.astimezone(tz).date() + timedelta(days=2)
    except OverflowError:
        raise ValueError("the window is too close to the ends of the calendar") from None
    found: set[datetime] = set()
    day = first
    while day <= last:
        for moment in by_weekday.get(day.weekday(), ()):
            instant = local_to_utc(datetime.combine(day, moment), zone).utc
            if start <= instant < end:
                found.add(instant)
        day += timedelta(days=1)
    return sorted(found)


def _slots_from(
    pattern: Sequence[WeeklySlot], zone: str, start: datetime, end: datetime
) -> Iterator[datetime]:
    """The slots in [start, end) a week at a time, so a search stops as soon as it has enough.
    The windows are half-open and adjacent, so no slot is produced twice or missed."""
    while start < end:
        stop = min(start + _WINDOW, end)
        yield from _slots_between(pattern, zone, start, stop)
        start = stop


def _near(moment: datetime, blocked: Sequence[datetime], min_gap: timedelta) -> bool:
    index = bisect_left(blocked, moment - min_gap)
    return index < len(blocked) and blocked[index] <= moment + min_gap
