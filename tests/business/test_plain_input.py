"""Times of day as people write them, and validation messages in plain words: property-based
for the parser, then through the real strategy form, the API and the other forms."""

from __future__ import annotations

import html
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from growth_manager.business.schemas import Cadence, StrategyCreate
from growth_manager.db import Database
from growth_manager.errors import describe_validation_errors
from growth_manager.kit.timeofday import NotATime, hour_of, parse_time_of_day, split_times
from tests.business.helpers import STRATEGY_FORM, post, strategies_url, strategy_of
from tests.conftest import json_of
from tests.support.factories import login
from tests.support.rows import row_counts
from tests.support.team import Team

RAW_PYDANTIC = (
    "Input should",
    "Value error",
    "valid integer",
    "international domain",
    "Field required",
)

hours = st.integers(min_value=0, max_value=23)
minutes = st.integers(min_value=0, max_value=59)
spaces = st.sampled_from(["", " ", "  "])


def _twelve_hour(hour: int) -> tuple[int, str]:
    return (hour % 12 or 12), ("am" if hour < 12 else "pm")


@given(hour=hours, minute=minutes, pad=st.booleans(), around=spaces)
def test_24_hour_times_give_their_hour(hour: int, minute: int, pad: bool, around: str) -> None:
    written = f"{hour:02d}" if pad else str(hour)
    assert parse_time_of_day(f"{around}{written}{around}") == (hour, 0)
    assert parse_time_of_day(f"{written}:{minute:02d}") == (hour, minute)
    assert hour_of(f"{written}:{minute:02d}") == hour  # minutes dropped, never rounded up


@given(
    hour=hours,
    minute=minutes,
    gap=spaces,
    style=st.sampled_from(["am", "AM", "a.m.", "A.M.", "a", "Am"]),
    with_minutes=st.booleans(),
)
def test_12_hour_times_give_their_hour(
    hour: int, minute: int, gap: str, style: str, with_minutes: bool
) -> None:
    twelve, half = _twelve_hour(hour)
    suffix = style.replace("a", half[0]).replace("A", half[0].upper())
    written = f"{twelve}:{minute:02d}" if with_minutes else str(twelve)
    assert parse_time_of_day(f"{written}{gap}{suffix}") == (hour, minute if with_minutes else 0)


@given(st.text(max_size=12))
def test_anything_else_is_refused_with_how_to_write_it(text: str) -> None:
    try:
        hour, minute = parse_time_of_day(text)
    except NotATime as problem:
        message = str(problem)
        assert message.startswith('"')
        assert any(hint in message for hint in ("write it like", "minutes go", "hours go", "am/pm"))
    else:
        assert 0 <= hour <= 23
        assert 0 <= minute <= 59


@given(st.lists(st.tuples(hours, minutes), min_size=1, max_size=6))
def test_a_typed_list_of_times_becomes_sorted_unique_hours(times: list[tuple[int, int]]) -> None:
    written = []
    for index, (hour, minute) in enumerate(times):
        twelve, half = _twelve_hour(hour)
        written.append(
            [f"{hour}:{minute:02d}", f"{twelve}:{minute:02d} {half}", f"{twelve}{half}"][index % 3]
        )
    cadence = Cadence(posts_per_week=3, preferred_hours=split_times(", ".join(written)))  # type: ignore[arg-type]
    assert cadence.preferred_hours == sorted({hour for hour, _ in times})


@pytest.mark.parametrize(
    ("text", "hour"),
    [
        ("8", 8),
        ("08:30", 8),
        ("9am", 9),
        ("9:30 pm", 21),
        ("12:00", 12),
        ("noon", 12),
        ("midnight", 0),
        ("12am", 0),
        ("12 pm", 12),
        ("17h30", 17),
    ],
)
def test_the_ways_people_write_times(text: str, hour: int) -> None:
    assert hour_of(text) == hour


def test_the_strategy_form_takes_written_times(
    client: TestClient, team: Team, database: Database
) -> None:
    csrf = login(client, database, team.editor.email)
    form = [(k, v) for k, v in STRATEGY_FORM if k != "cadence.x.preferred_hours"]
    form.append(("cadence.x.preferred_hours", "08:30, 9am, 9:30 pm, 12:00, noon"))
    response = post(client, f"/businesses/{team.business_id}/strategies", csrf, form)
    assert response.status_code == 303, response.text[:2000]
    assert strategy_of(database, team.business_id).cadence["x"]["preferred_hours"] == [8, 9, 12, 21]
    page = client.get(f"/businesses/{team.business_id}/strategies/new")
    assert "minutes are dropped (8:30 is saved as 8)" in page.text


def test_a_wrong_time_on_the_form_says_how_to_write_it(
    client: TestClient, team: Team, database: Database
) -> None:
    csrf = login(client, database, team.editor.email)
    form = [(k, v) for k, v in STRATEGY_FORM if k != "cadence.x.preferred_hours"]
    form.append(("cadence.x.preferred_hours", "9am, tea time"))
    before = row_counts(database)
    response = post(client, f"/businesses/{team.business_id}/strategies", csrf, form)
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert '"tea" is not a time; write it like 8, 08:30, 9am, 9:30 pm or noon' in text
    assert 'value="9am, tea time"' in text
    assert not any(raw in text for raw in RAW_PYDANTIC)
    assert row_counts(database) == before


def test_the_api_takes_written_times_and_names_bad_ones(client: TestClient, team: Team) -> None:
    body = {
        "name": "Times",
        "platforms": ["x"],
        "cadence": {"x": {"posts_per_week": 2, "preferred_hours": ["9:30 pm", 8, "noon"]}},
    }
    created = client.post(strategies_url(team), headers=team.editor.headers, json=body)
    assert created.status_code == 201, created.text
    assert json_of(created)["cadence"]["x"]["preferred_hours"] == [8, 12, 21]
    body["cadence"] = {"x": {"posts_per_week": 2, "preferred_hours": ["25:00"]}}
    refused = client.post(strategies_url(team), headers=team.editor.headers, json=body)
    assert refused.status_code == 422
    payload = json_of(refused)
    assert payload["detail"] == (
        'cadence.x.preferred_hours.0: "25:00" is past 23:59; hours go from 0 to 23'
    )
    assert payload["errors"][0]["message"] == '"25:00" is past 23:59; hours go from 0 to 23'


# Plain words everywhere ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("target", "body", "detail"),
    [
        (
            "businesses",
            {"name": "A", "website": "https://exa mple..com"},
            "website: must be a web address like https://example.com",
        ),
        (
            "businesses",
            {"name": "A", "website": "ftp://example.com"},
            "website: must start with http:// or https://",
        ),
        (
            "strategies",
            {"name": "S", "start_date": "2026-03-02", "end_date": "2026-03-01"},
            "end_date: 2026-03-01 is before the start date 2026-03-02; the end date must be on or "
            "after it",
        ),
        (
            "strategies",
            {"name": "S", "platforms": ["x"], "cadence": {"x": {"posts_per_week": "a"}}},
            "cadence.x.posts_per_week: must be a whole number, like 3",
        ),
        (
            "strategies",
            {"name": "S", "platforms": ["x"], "cadence": {"x": {"posts_per_week": 1.5}}},
            "cadence.x.posts_per_week: must be a whole number, without decimals",
        ),
        ("strategies", {"platforms": []}, "name: is required"),
    ],
)
def test_api_details_are_plain_words(
    client: TestClient, team: Team, target: str, body: dict[str, Any], detail: str
) -> None:
    url = "/api/v1/businesses" if target == "businesses" else strategies_url(team)
    response = client.post(url, headers=team.owner.headers, json=body)
    assert response.status_code == 422, response.text
    payload = json_of(response)
    assert payload["detail"] == detail
    assert not any(raw in payload["detail"] for raw in RAW_PYDANTIC)
    assert not any(raw in e["message"] for e in payload["errors"] for raw in RAW_PYDANTIC)


def test_settings_form_says_what_is_wrong_with_the_website(
    client: TestClient, team: Team, database: Database
) -> None:
    csrf = login(client, database, team.owner.email)
    response = post(
        client,
        f"/businesses/{team.business_id}/settings",
        csrf,
        {"name": "Acme", "timezone": "UTC", "website": "https://exa mple..com"},
    )
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert "must be a web address like https://example.com" in text
    assert not any(raw in text for raw in RAW_PYDANTIC)


def test_form_labels_replace_field_paths() -> None:
    class Draft(BaseModel):
        base_text: str
        media_ids: list[int]

    with pytest.raises(ValidationError) as caught:
        Draft.model_validate({"base_text": 5, "media_ids": ["x"]})
    described = describe_validation_errors(
        list(caught.value.errors()), {"base_text": "Text", "media_ids": "Media"}
    )
    assert described == "Text: must be text; Media: must be a whole number, like 3"


def test_strategy_create_reports_every_shape_problem_plainly() -> None:
    with pytest.raises(ValidationError) as caught:
        StrategyCreate.model_validate(
            {
                "name": 3,
                "topics": "not a list",
                "is_active": "perhaps",
                "start_date": "tomorrow",
                "platforms": ["myspace"],
            }
        )
    described = describe_validation_errors(list(caught.value.errors()))
    assert not any(raw in described for raw in RAW_PYDANTIC), described
    assert "platforms.0: must be one of linkedin, x, facebook or instagram" in described
