"""Wall times in a business's zone to UTC: spring-forward gaps move forward with a note,
autumn overlaps take the first occurrence with a note, API input in ISO 8601."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from growth_manager.publishing.timing import Scheduled, local_to_utc, parse_when


def wall(text: str, fold: int = 0) -> datetime:
    """A wall-clock time, without a zone: what a person types into a scheduler."""
    return datetime.fromisoformat(text).replace(fold=fold)


# Zones with every kind of change: one-hour DST both hemispheres, half-hour DST (Lord Howe),
# 45-minute offsets (Chatham), negative DST (Dublin), a whole skipped day (Apia, 2011),
# two-hour jumps (Troll), fixed offsets and no DST at all.
ZONES = [
    "UTC",
    "Europe/Paris",
    "Europe/London",
    "Europe/Dublin",
    "America/New_York",
    "America/Sao_Paulo",
    "America/Santiago",
    "America/St_Johns",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Pacific/Apia",
    "Antarctica/Troll",
    "Asia/Kolkata",
    "Asia/Tehran",
    "Africa/Casablanca",
    "Asia/Kathmandu",
]


def test_an_ordinary_time_converts_without_a_note() -> None:
    assert local_to_utc(wall("2026-07-01 09:00"), "Europe/Paris") == Scheduled(
        datetime(2026, 7, 1, 7, 0, tzinfo=UTC), None
    )
    assert local_to_utc(wall("2026-01-15 09:00"), "Europe/Paris") == Scheduled(
        datetime(2026, 1, 15, 8, 0, tzinfo=UTC), None
    )


def test_a_time_in_the_spring_gap_moves_forward_by_the_gap() -> None:
    result = local_to_utc(wall("2026-03-29 02:30"), "Europe/Paris")
    assert result.utc == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert result.utc.astimezone(ZoneInfo("Europe/Paris")).replace(tzinfo=None) == wall(
        "2026-03-29 03:30"
    )
    assert result.note == (
        "2:30 AM does not exist on 29 March 2026 in Europe/Paris: clocks go forward. "
        "Scheduled at 3:30 AM."
    )


def test_the_gap_edges_in_new_york() -> None:
    zone = "America/New_York"
    # 2:00 itself is skipped (clocks jump from 1:59:59 to 3:00); 1:59 and 3:00 are fine.
    assert local_to_utc(wall("2026-03-08 01:59"), zone) == Scheduled(
        datetime(2026, 3, 8, 6, 59, tzinfo=UTC)
    )
    skipped = local_to_utc(wall("2026-03-08 02:00"), zone)
    assert skipped.utc == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert skipped.note is not None
    assert skipped.note.startswith("2:00 AM does not exist on 8 March 2026 in America/New_York")
    assert local_to_utc(wall("2026-03-08 03:00"), zone) == Scheduled(
        datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    )


def test_a_half_hour_gap_moves_by_half_an_hour() -> None:
    # Lord Howe Island moves its clocks by 30 minutes: 2:00 → 2:30 on 4 October 2026.
    result = local_to_utc(wall("2026-10-04 02:15"), "Australia/Lord_Howe")
    assert result.note is not None
    assert result.note.endswith("Scheduled at 2:45 AM.")
    assert result.utc == datetime(2026, 10, 3, 15, 45, tzinfo=UTC)  # 2:45 at UTC+11


def test_a_skipped_day_names_the_day_it_lands_on() -> None:
    # Samoa skipped 30 December 2011 entirely when it crossed the date line.
    result = local_to_utc(wall("2011-12-30 09:00"), "Pacific/Apia")
    assert result.note == (
        "9:00 AM does not exist on 30 December 2011 in Pacific/Apia: clocks go forward. "
        "Scheduled at 9:00 AM on 31 December 2011."
    )
    assert result.utc == datetime(2011, 12, 30, 19, 0, tzinfo=UTC)


def test_a_time_that_happens_twice_takes_the_first() -> None:
    result = local_to_utc(wall("2026-10-25 02:30"), "Europe/Paris")
    # 2:30 CEST (UTC+2) comes an hour before 2:30 CET (UTC+1).
    assert result.utc == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert result.note == (
        "2:30 AM happens twice on 25 October 2026 in Europe/Paris: clocks go back. "
        "Scheduled at the first 2:30 AM (UTC+02:00), 1 hour before the second."
    )


def test_the_fold_of_the_input_is_ignored() -> None:
    second = wall("2026-10-25 02:30", fold=1)
    assert local_to_utc(second, "Europe/Paris").utc == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_noon_midnight_and_seconds_read_like_a_clock() -> None:
    # Santiago's clocks jump at midnight: 0:00 to 0:59 do not exist on 6 September 2026.
    result = local_to_utc(wall("2026-09-06 00:15:30"), "America/Santiago")
    assert result.note is not None
    assert result.note.startswith("12:15:30 AM does not exist on 6 September 2026")
    assert result.note.endswith("Scheduled at 1:15:30 AM.")


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "posixrules", "../etc/passwd", "utc "])
def test_an_unknown_zone_is_a_value_error_naming_it(zone: str) -> None:
    with pytest.raises(ValueError, match="is not an IANA time zone") as caught:
        local_to_utc(wall("2026-01-01 09:00"), zone)
    assert f'"{zone}"' in str(caught.value)


def test_an_aware_local_time_is_refused() -> None:
    with pytest.raises(ValueError, match="without a UTC offset"):
        local_to_utc(datetime(2026, 1, 1, 9, 0, tzinfo=UTC), "Europe/Paris")


def test_the_ends_of_the_calendar_are_a_value_error() -> None:
    with pytest.raises(ValueError, match="ends of the calendar"):
        local_to_utc(wall("0001-01-01 00:00"), "Asia/Tokyo")


# parse_when ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-29T07:30:00Z", datetime(2026, 3, 29, 7, 30, tzinfo=UTC)),
        ("2026-03-29T07:30z", datetime(2026, 3, 29, 7, 30, tzinfo=UTC)),
        ("2026-03-29T09:30+02:00", datetime(2026, 3, 29, 7, 30, tzinfo=UTC)),
        ("2026-03-29T09:30:15.250+0200", datetime(2026, 3, 29, 7, 30, 15, 250000, tzinfo=UTC)),
        ("2026-03-29 04:30-03:00", datetime(2026, 3, 29, 7, 30, tzinfo=UTC)),
        ("  2026-03-29T07:30:00+00:00 ", datetime(2026, 3, 29, 7, 30, tzinfo=UTC)),
    ],
)
def test_an_offset_is_taken_as_is(value: str, expected: datetime) -> None:
    result = parse_when(value, "Asia/Tokyo")
    assert result == Scheduled(expected, None)
    assert result.utc.tzinfo is UTC


def test_without_an_offset_it_is_the_business_wall_time() -> None:
    assert parse_when("2026-07-01T09:00", "Europe/Paris") == Scheduled(
        datetime(2026, 7, 1, 7, 0, tzinfo=UTC)
    )
    assert parse_when("2026-07-01 09:00:00", "America/New_York") == Scheduled(
        datetime(2026, 7, 1, 13, 0, tzinfo=UTC)
    )


def test_a_wall_time_in_the_gap_comes_back_with_its_note() -> None:
    result = parse_when("2026-03-29T02:30", "Europe/Paris")
    assert result.utc == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert result.note is not None
    assert "Scheduled at 3:30 AM." in result.note


@pytest.mark.parametrize(
    "value",
    ["", "tomorrow", "2026-03-29", "09:30", "29/03/2026 09:30", "2026-03-29T9:30", "1711690200"],
)
def test_garbage_says_what_format_is_expected(value: str) -> None:
    with pytest.raises(ValueError, match="ISO 8601") as caught:
        parse_when(value, "Europe/Paris")
    assert "2026-03-29T09:30" in str(caught.value)
    assert "Z" in str(caught.value)


@pytest.mark.parametrize("value", ["2026-13-01T09:00", "2026-02-30T09:00", "2026-01-01T25:00"])
def test_an_impossible_date_says_what_is_wrong(value: str) -> None:
    with pytest.raises(ValueError, match="not a valid date and time") as caught:
        parse_when(value, "Europe/Paris")
    assert "ISO 8601" in str(caught.value)


def test_a_bad_zone_is_reported_even_for_an_instant() -> None:
    with pytest.raises(ValueError, match='"Nowhere/Special"'):
        parse_when("2026-03-29T07:30:00Z", "Nowhere/Special")


# Properties ---------------------------------------------------------------------------------------
local_times = st.datetimes(min_value=wall("1950-01-01 00:00"), max_value=wall("2060-12-31 00:00"))


@settings(max_examples=600, deadline=None)
@given(zone=st.sampled_from(ZONES), local=local_times)
def test_the_result_shows_the_same_wall_time_unless_the_note_says_it_moved(
    zone: str, local: datetime
) -> None:
    result = local_to_utc(local, zone)
    assert result.utc.tzinfo is UTC
    shown = result.utc.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    if shown == local:
        # It did not move; a note can only be about a time that happens twice, and then the
        # first occurrence was taken.
        if result.note is not None:
            assert "happens twice" in result.note
            later = local.replace(tzinfo=ZoneInfo(zone), fold=1).astimezone(UTC)
            assert result.utc < later
    else:
        assert result.note is not None
        assert "does not exist" in result.note
        assert "clocks go forward" in result.note
        assert timedelta(0) < shown - local <= timedelta(days=1)


@settings(max_examples=300, deadline=None)
@given(zone=st.sampled_from(ZONES), local=local_times)
def test_parse_when_agrees_with_local_to_utc_for_wall_times(zone: str, local: datetime) -> None:
    assert parse_when(local.isoformat(), zone) == local_to_utc(local, zone)


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(
        min_value=wall("1950-01-01 00:00"),
        max_value=wall("2060-12-31 00:00"),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))])
        | st.sampled_from(ZONES).map(ZoneInfo),
    ),
    zone=st.sampled_from(ZONES),
)
def test_an_instant_with_an_offset_comes_back_unchanged(moment: datetime, zone: str) -> None:
    result = parse_when(moment.isoformat(), zone)
    assert result == Scheduled(moment.astimezone(UTC), None)
    assert result.utc.tzinfo is UTC
