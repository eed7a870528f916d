"""Queue slots from a strategy's cadence: the weekly pattern, slots on the business's wall
clock across daylight-saving changes, the next free slots, and gap conflicts."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from growth_manager.business.schemas import Cadence
from growth_manager.publishing.slots import (
    WeeklySlot,
    default_slots,
    describe,
    gap_conflicts,
    next_free_slots,
    slot_times,
)

PARIS = "Europe/Paris"
ZONES = [
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Pacific/Apia",
    "Asia/Kolkata",
    "Africa/Casablanca",
]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def cadence(posts: int, days: list[int] | None = None, hours: list[int] | None = None) -> Cadence:
    return Cadence(posts_per_week=posts, preferred_days=days or [], preferred_hours=hours or [])


# The weekly pattern -------------------------------------------------------------------------------
WEEK_AT_NINE = [
    f"{day} 09:00"
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
]


@pytest.mark.parametrize(
    ("given_cadence", "expected"),
    [
        (cadence(0), []),
        (cadence(1), ["Monday 09:00"]),
        (cadence(3), ["Monday 09:00", "Wednesday 09:00", "Friday 09:00"]),
        (cadence(5), WEEK_AT_NINE[:5]),
        # More than five with no preferred days: every day of the week.
        (cadence(7), WEEK_AT_NINE),
        # More posts than days: the second post of a day goes at 17:00, the third at 12:00.
        (
            cadence(7, days=[0, 2, 4]),
            [
                "Monday 09:00",
                "Monday 12:00",
                "Monday 17:00",
                "Wednesday 09:00",
                "Wednesday 17:00",
                "Friday 09:00",
                "Friday 17:00",
            ],
        ),
        # Preferred hours are taken in turn through the week.
        (cadence(3, hours=[9, 17]), ["Monday 09:00", "Wednesday 17:00", "Friday 09:00"]),
        (cadence(2, days=[1, 3], hours=[8, 12, 18]), ["Tuesday 08:00", "Thursday 12:00"]),
        # Fewer preferred slots than posts: the preferred days are kept, extra default hours.
        (
            cadence(5, days=[1, 3], hours=[10]),
            [
                "Tuesday 09:00",
                "Tuesday 10:00",
                "Tuesday 17:00",
                "Thursday 09:00",
                "Thursday 10:00",
            ],
        ),
    ],
)
def test_the_weekly_pattern(given_cadence: Cadence, expected: list[str]) -> None:
    assert describe(default_slots(given_cadence)) == expected


def test_a_stored_cadence_dict_gives_the_same_pattern() -> None:
    stored = {"posts_per_week": 4, "preferred_days": [4, 0, 2], "preferred_hours": [18, 9]}
    assert default_slots(stored) == default_slots(Cadence.model_validate(stored))
    assert default_slots(stored) == [(0, time(9)), (0, time(18)), (2, time(9)), (4, time(18))]


def test_an_invalid_stored_cadence_is_refused() -> None:
    with pytest.raises(ValueError, match="posts_per_week"):
        default_slots({"posts_per_week": -1})


def test_a_day_holds_one_post_an_hour_and_the_rest_spill_to_other_days() -> None:
    pattern = default_slots(cadence(50, days=[6]))
    per_day = Counter(day for day, _ in pattern)
    assert len(pattern) == 50
    assert per_day[6] <= 24
    assert sum(per_day.values()) == 50
    assert len(set(pattern)) == 50


def test_twenty_four_posts_on_one_day_use_every_hour() -> None:
    assert default_slots(cadence(24, days=[2])) == [(2, time(hour)) for hour in range(24)]


cadences = st.builds(
    cadence,
    posts=st.integers(0, 50),
    days=st.lists(st.integers(0, 6), unique=True, max_size=7),
    hours=st.lists(st.integers(0, 23), unique=True, max_size=24),
)


@settings(max_examples=400, deadline=None)
@given(cadences)
def test_the_pattern_has_exactly_the_posts_asked_for_on_the_preferred_days_and_hours(
    given_cadence: Cadence,
) -> None:
    pattern = default_slots(given_cadence)
    posts = given_cadence.posts_per_week
    assert len(pattern) == posts
    assert len(set(pattern)) == posts
    assert pattern == sorted(pattern)
    assert all(0 <= day <= 6 and moment.minute == 0 for day, moment in pattern)
    per_day = Counter(day for day, _ in pattern)
    days = given_cadence.preferred_days
    hours = given_cadence.preferred_hours
    if days and posts <= 24 * len(days):
        assert set(per_day) <= set(days)
        # Spread evenly: the preferred days differ by at most one post.
        counts = [per_day[day] for day in days]
        assert max(counts) - min(counts) <= 1
    for day, wanted in per_day.items():
        day_hours = {moment.hour for other, moment in pattern if other == day}
        if hours and wanted <= len(hours):
            assert day_hours <= set(hours)
        elif hours:
            assert set(hours) <= day_hours
    if hours and posts >= len(hours):
        # Taken in turn: every preferred hour is used once the week has enough posts.
        used = {moment.hour for _, moment in pattern}
        assert set(hours) <= used


# Slots on the calendar ----------------------------------------------------------------------------
def test_nine_oclock_stays_nine_oclock_across_the_change() -> None:
    # Every day at 9:00 in Paris, the week clocks go forward (Sunday 29 March 2026).
    slots = slot_times(cadence(7), PARIS, utc("2026-03-26 00:00"), utc("2026-04-01 00:00"))
    assert slots == [
        utc("2026-03-26 08:00"),
        utc("2026-03-27 08:00"),
        utc("2026-03-28 08:00"),
        utc("2026-03-29 07:00"),
        utc("2026-03-30 07:00"),
        utc("2026-03-31 07:00"),
    ]
    paris = ZoneInfo(PARIS)
    assert {slot.astimezone(paris).time() for slot in slots} == {time(9)}
    assert all(slot.tzinfo is UTC for slot in slots)


def test_a_slot_in_the_gap_moves_forward_and_one_in_the_overlap_comes_once() -> None:
    weekly: list[WeeklySlot] = [(6, time(2, 30))]  # Sundays at 2:30
    spring = slot_times(
        None, PARIS, utc("2026-03-28 00:00"), utc("2026-03-30 00:00"), weekly=weekly
    )
    assert spring == [utc("2026-03-29 01:30")]  # 3:30 CEST
    autumn = slot_times(
        None, PARIS, utc("2026-10-24 00:00"), utc("2026-10-26 00:00"), weekly=weekly
    )
    assert autumn == [utc("2026-10-25 00:30")]  # the first 2:30, CEST


def test_a_gap_slot_landing_on_another_slot_is_produced_once() -> None:
    weekly: list[WeeklySlot] = [(6, time(2, 30)), (6, time(3, 30)), (6, time(3, 0))]
    slots = slot_times(None, PARIS, utc("2026-03-28 00:00"), utc("2026-03-30 00:00"), weekly=weekly)
    # 3:00 CEST (01:00 UTC) comes before 2:30 moved to 3:30 CEST, which is the 3:30 slot.
    assert slots == [utc("2026-03-29 01:00"), utc("2026-03-29 01:30")]


def test_a_slot_moved_into_the_next_day_is_in_that_day_s_window() -> None:
    # Samoa skipped Friday 30 December 2011: its 9:00 slot lands on Saturday's 9:00, which a
    # window starting on Saturday must include although the slot belongs to Friday.
    saturday = datetime.fromisoformat("2011-12-31 00:00").replace(tzinfo=ZoneInfo("Pacific/Apia"))
    slots = slot_times(
        None, "Pacific/Apia", saturday, saturday + timedelta(days=1), weekly=[(4, time(9))]
    )
    assert slots == [utc("2011-12-30 19:00")]


def test_the_window_is_half_open() -> None:
    weekly: list[WeeklySlot] = [(0, time(9))]
    monday = utc("2026-01-05 08:00")  # 9:00 in Paris
    assert slot_times(None, PARIS, monday, monday + timedelta(days=7), weekly=weekly) == [monday]
    assert slot_times(None, PARIS, monday - timedelta(days=7), monday, weekly=weekly) == [
        monday - timedelta(days=7)
    ]
    assert slot_times(None, PARIS, monday, monday, weekly=weekly) == []
    assert slot_times(None, PARIS, monday, monday - timedelta(days=1), weekly=weekly) == []


def test_start_and_end_in_any_offset_mean_the_same_instants() -> None:
    paris = ZoneInfo(PARIS)
    start, end = utc("2026-06-01 00:00"), utc("2026-06-15 00:00")
    assert slot_times(cadence(3), PARIS, start, end) == slot_times(
        cadence(3), PARIS, start.astimezone(paris), end.astimezone(paris)
    )


def test_a_weekly_override_wins_over_the_cadence() -> None:
    weekly: list[WeeklySlot] = [(1, time(7, 45)), (1, time(7, 45)), (3, time(18, 30))]
    slots = slot_times(
        cadence(7),
        "America/New_York",
        utc("2026-06-01 00:00"),
        utc("2026-06-08 00:00"),
        weekly=weekly,
    )
    assert slots == [utc("2026-06-02 11:45"), utc("2026-06-04 22:30")]


@pytest.mark.parametrize(
    ("weekly", "message"),
    [
        ([(7, time(9))], "weekday 7"),
        ([(-1, time(9))], "weekday -1"),
        ([(0, time(9, tzinfo=UTC))], "wall-clock time"),
    ],
)
def test_a_bad_weekly_slot_is_refused(weekly: list[WeeklySlot], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        slot_times(None, PARIS, utc("2026-06-01 00:00"), utc("2026-06-08 00:00"), weekly=weekly)


def test_naive_bounds_a_bad_zone_and_no_pattern_are_refused() -> None:
    naive = datetime.fromisoformat("2026-06-01 00:00")
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        slot_times(cadence(3), PARIS, naive, utc("2026-06-08 00:00"))
    with pytest.raises(ValueError, match='"Europe/Pariss" is not an IANA time zone'):
        slot_times(cadence(3), "Europe/Pariss", utc("2026-06-01 00:00"), utc("2026-06-08 00:00"))
    with pytest.raises(ValueError, match="give a cadence or the weekly slots"):
        slot_times(None, PARIS, utc("2026-06-01 00:00"), utc("2026-06-08 00:00"))


def test_zero_posts_a_week_has_no_slots() -> None:
    assert slot_times(cadence(0), PARIS, utc("2026-06-01 00:00"), utc("2027-06-01 00:00")) == []


weekly_patterns = st.lists(
    st.tuples(
        st.integers(0, 6),
        st.builds(time, st.integers(0, 23), st.sampled_from([0, 0, 15, 30, 45, 59])),
    ),
    min_size=1,
    max_size=8,
)
starts = st.datetimes(
    min_value=datetime.fromisoformat("2000-01-01 00:00"),
    max_value=datetime.fromisoformat("2040-01-01 00:00"),
    timezones=st.just(UTC),
)


def expected_slots(
    weekly: list[WeeklySlot], zone: str, start: datetime, end: datetime
) -> set[datetime]:
    """Independent of slots.py: every pattern time on every nearby date, read with zoneinfo's
    fold=0 (which, in a gap, lands the gap's length later on the clock)."""
    tz = ZoneInfo(zone)
    found: set[datetime] = set()
    day: date = start.astimezone(tz).date() - timedelta(days=3)
    while day <= end.astimezone(tz).date() + timedelta(days=3):
        for weekday, moment in weekly:
            if day.weekday() == weekday:
                instant = datetime.combine(day, moment, tzinfo=tz).astimezone(UTC)
                if start <= instant < end:
                    found.add(instant)
        day += timedelta(days=1)
    return found


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    weekly=weekly_patterns,
    start=starts,
    length=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)),
)
def test_slots_are_increasing_and_at_the_pattern_wall_times(
    zone: str, weekly: list[WeeklySlot], start: datetime, length: timedelta
) -> None:
    end = start + length
    slots = slot_times(None, zone, start, end, weekly=weekly)
    assert all(earlier < later for earlier, later in pairwise(slots))
    assert all(slot.tzinfo is UTC and start <= slot < end for slot in slots)
    assert set(slots) == expected_slots(weekly, zone, start, end)
    tz = ZoneInfo(zone)
    for slot in slots:
        shown = slot.astimezone(tz)
        if (shown.weekday(), shown.time()) in weekly:
            continue
        # Not on the pattern's wall clock: only a slot moved forward out of a gap.
        moved = [
            (weekday, moment)
            for weekday, moment in weekly
            for day in (shown.date(), shown.date() - timedelta(days=1))
            if day.weekday() == weekday
            and datetime.combine(day, moment, tzinfo=tz).astimezone(UTC) == slot
            # It lands elsewhere on the wall clock (a whole skipped day keeps the time of day).
            and datetime.combine(day, moment, tzinfo=tz)
            .astimezone(UTC)
            .astimezone(tz)
            .replace(tzinfo=None)
            != datetime.combine(day, moment)
        ]
        assert moved, f"{slot} ({shown}) is not a pattern time nor a moved one"


@settings(max_examples=150, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    weekly=weekly_patterns,
    start=starts,
    first=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20)),
    second=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20)),
)
def test_adjacent_windows_add_up(
    zone: str, weekly: list[WeeklySlot], start: datetime, first: timedelta, second: timedelta
) -> None:
    middle, end = start + first, start + first + second
    whole = slot_times(None, zone, start, end, weekly=weekly)
    assert whole == slot_times(None, zone, start, middle, weekly=weekly) + slot_times(
        None, zone, middle, end, weekly=weekly
    )


# Next free slots ----------------------------------------------------------------------------------
def test_the_next_free_slots_skip_taken_ones() -> None:
    # Monday, Wednesday, Friday at 9:00 in Paris; Monday 30 March is taken.
    slots = next_free_slots(
        cadence(3), PARIS, utc("2026-03-27 00:00"), [utc("2026-03-30 07:00")], count=3
    )
    assert slots == [utc("2026-03-27 08:00"), utc("2026-04-01 07:00"), utc("2026-04-03 07:00")]


def test_the_next_slot_is_strictly_after() -> None:
    friday = utc("2026-03-27 08:00")
    assert next_free_slots(cadence(3), PARIS, friday, []) == [utc("2026-03-30 07:00")]
    just_before = friday - timedelta(microseconds=1)
    assert next_free_slots(cadence(3), PARIS, just_before, []) == [friday]


def test_the_minimum_gap_is_inclusive() -> None:
    weekly: list[WeeklySlot] = [(0, time(9)), (0, time(10))]
    after = utc("2026-01-04 00:00")  # Sunday; slots Monday 08:00 and 09:00 UTC
    taken = [utc("2026-01-05 07:30")]
    assert next_free_slots(
        None, PARIS, after, taken, min_gap=timedelta(minutes=30), weekly=weekly
    ) == [utc("2026-01-05 09:00")]
    assert next_free_slots(
        None, PARIS, after, taken, min_gap=timedelta(minutes=29), weekly=weekly
    ) == [utc("2026-01-05 08:00")]


def test_slots_returned_together_keep_the_gap_between_themselves() -> None:
    weekly: list[WeeklySlot] = [(0, time(9)), (0, time(10)), (0, time(12))]
    slots = next_free_slots(
        None,
        "UTC",
        utc("2026-01-04 00:00"),
        [],
        count=3,
        min_gap=timedelta(hours=1),
        weekly=weekly,
    )
    assert slots == [utc("2026-01-05 09:00"), utc("2026-01-05 12:00"), utc("2026-01-12 09:00")]


def test_zero_posts_a_week_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"no posting slots \(0 posts per week\)"):
        next_free_slots(cadence(0), PARIS, utc("2026-01-01 00:00"), [])
    with pytest.raises(ValueError, match="no posting slots"):
        next_free_slots({"posts_per_week": 0}, PARIS, utc("2026-01-01 00:00"), [], weekly=[])


def test_a_full_horizon_is_a_clear_error() -> None:
    weekly: list[WeeklySlot] = [(0, time(9))]
    taken = [utc("2026-01-05 09:00"), utc("2026-01-12 09:00")]
    with pytest.raises(ValueError, match="only 1 of 2 free slots in the 21 days"):
        next_free_slots(
            None,
            "UTC",
            utc("2026-01-01 00:00"),
            taken,
            count=2,
            weekly=weekly,
            horizon=timedelta(days=21),
        )


def test_the_default_horizon_is_a_year() -> None:
    # One slot a week, all of next year's taken but the last.
    after = utc("2026-01-04 00:00")
    mondays = [utc("2026-01-05 09:00") + timedelta(weeks=week) for week in range(60)]
    found = next_free_slots(None, "UTC", after, mondays[:52], weekly=[(0, time(9))])
    assert found == [mondays[52]]  # 4 January 2027, within 366 days
    with pytest.raises(ValueError, match="366 days"):
        next_free_slots(None, "UTC", after, mondays[:53], weekly=[(0, time(9))])


def test_count_and_gap_are_checked() -> None:
    assert next_free_slots(cadence(3), PARIS, utc("2026-01-01 00:00"), [], count=0) == []
    with pytest.raises(ValueError, match="count must be 0 or more"):
        next_free_slots(cadence(3), PARIS, utc("2026-01-01 00:00"), [], count=-1)
    with pytest.raises(ValueError, match="min_gap must not be negative"):
        next_free_slots(cadence(3), PARIS, utc("2026-01-01 00:00"), [], min_gap=timedelta(-1))
    with pytest.raises(ValueError, match="taken must be timezone-aware"):
        next_free_slots(
            cadence(3), PARIS, utc("2026-01-01 00:00"), [datetime.fromisoformat("2026-01-02 09:00")]
        )


@settings(max_examples=200, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    weekly=weekly_patterns,
    after=starts,
    offsets=st.lists(
        st.timedeltas(min_value=timedelta(days=-2), max_value=timedelta(days=30)), max_size=30
    ),
    count=st.integers(1, 6),
    min_gap=st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=6)),
)
def test_next_free_slots_are_the_first_free_ones(
    zone: str,
    weekly: list[WeeklySlot],
    after: datetime,
    offsets: list[timedelta],
    count: int,
    min_gap: timedelta,
) -> None:
    taken = [after + offset for offset in offsets]
    found = next_free_slots(None, zone, after, taken, count=count, min_gap=min_gap, weekly=weekly)
    assert len(found) == count
    assert all(slot > after and slot.tzinfo is UTC for slot in found)
    assert all(earlier < later for earlier, later in pairwise(found))
    for slot in found:
        assert not any(moment - min_gap <= slot <= moment + min_gap for moment in taken)
    for earlier, later in pairwise(found):
        assert later - earlier > min_gap
    # They are slots, and every slot before the last one found that was passed over was
    # blocked by a taken time or by a slot found before it.
    candidates = slot_times(
        None,
        zone,
        after + timedelta(microseconds=1),
        found[-1] + timedelta(microseconds=1),
        weekly=weekly,
    )
    assert set(found) <= set(candidates)
    for slot in candidates:
        if slot in found:
            continue
        blockers = taken + [other for other in found if other < slot]
        assert any(abs(slot - moment) <= min_gap for moment in blockers)


def test_a_slot_and_its_cadence_agree() -> None:
    # The cadence's pattern is what slot_times lays out when no override is given.
    given_cadence = cadence(4, days=[0, 3], hours=[8, 20])
    start, end = utc("2026-06-01 00:00"), utc("2026-06-29 00:00")
    assert slot_times(given_cadence, "UTC", start, end) == slot_times(
        None, "UTC", start, end, weekly=default_slots(given_cadence)
    )


# Gap conflicts ------------------------------------------------------------------------------------
def test_gap_conflicts_pairs_every_close_pair() -> None:
    nine, ten, eleven = utc("2026-01-05 09:00"), utc("2026-01-05 10:00"), utc("2026-01-05 11:00")
    far = utc("2026-01-06 09:00")
    assert gap_conflicts([far, eleven, nine, ten], timedelta(hours=1)) == [
        (nine, ten),
        (ten, eleven),
    ]
    assert gap_conflicts([far, eleven, nine, ten], timedelta(hours=2)) == [
        (nine, ten),
        (nine, eleven),
        (ten, eleven),
    ]
    assert gap_conflicts([nine, ten], timedelta(minutes=59)) == []
    assert gap_conflicts([nine, nine], timedelta(0)) == [(nine, nine)]
    assert gap_conflicts([], timedelta(hours=1)) == []


def test_gap_conflicts_compares_instants_not_offsets() -> None:
    nine_utc = utc("2026-01-05 09:00")
    ten_paris = datetime.fromisoformat("2026-01-05 10:30+01:00")
    assert gap_conflicts([nine_utc, ten_paris], timedelta(minutes=30)) == [
        (nine_utc, utc("2026-01-05 09:30"))
    ]


def test_gap_conflicts_refuses_naive_times_and_negative_gaps() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        gap_conflicts([datetime.fromisoformat("2026-01-05 09:00")], timedelta(0))
    with pytest.raises(ValueError, match="min_gap must not be negative"):
        gap_conflicts([], timedelta(minutes=-1))


@settings(max_examples=300, deadline=None)
@given(
    times=st.lists(starts, max_size=25),
    min_gap=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3000)),
)
def test_gap_conflicts_are_exactly_the_close_pairs(
    times: list[datetime], min_gap: timedelta
) -> None:
    ordered = sorted(times)
    expected = [
        (ordered[i], ordered[j])
        for i in range(len(ordered))
        for j in range(i + 1, len(ordered))
        if ordered[j] - ordered[i] <= min_gap
    ]
    assert gap_conflicts(times, min_gap) == expected
