"""An account's queue settings through the API (GET/PUT), and the thread splitter the composer
uses. Stored accounts; nothing calls a platform."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import select

from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.business import Role
from growth_manager.models.publishing import PostingSchedule
from growth_manager.models.user import User
from tests.support.owners import Owner, make_owner, store_account

BERLIN = ZoneInfo("Europe/Berlin")


def url(owner: Owner, account_id: int) -> str:
    return f"/api/v1/businesses/{owner.business_id}/accounts/{account_id}/queue"


def test_queue_starts_from_the_cadence_with_five_free_slots(
    client: TestClient, database: Database, owner: Owner
) -> None:
    x = store_account(database, owner, "x")
    response = client.get(url(owner, x), headers=owner.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["customised"] is False
    assert body["timezone"] == "Europe/Berlin"
    assert len(body["weekly"]) == 3  # three posts a week without a strategy
    assert body["min_gap_minutes"] == 60
    assert len(body["next_slots"]) == 5
    times = [datetime.fromisoformat(t) for t in body["next_slots"]]
    assert times == sorted(times)
    assert times[0] > utcnow()


def test_put_replaces_the_slots_and_the_next_slots_follow(
    client: TestClient, database: Database, owner: Owner
) -> None:
    x = store_account(database, owner, "x")
    response = client.put(
        url(owner, x),
        json={
            "weekly": [{"weekday": 4, "time": "17:45"}, {"weekday": 0, "time": "08:00"}],
            "min_gap_minutes": 30,
        },
        headers=owner.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["customised"] is True
    assert body["weekly"] == [{"weekday": 0, "time": "08:00"}, {"weekday": 4, "time": "17:45"}]
    assert body["min_gap_minutes"] == 30
    for moment in body["next_slots"]:
        local = datetime.fromisoformat(moment).astimezone(BERLIN)
        assert (local.weekday(), local.strftime("%H:%M")) in {(0, "08:00"), (4, "17:45")}
    with database.session() as session:
        row = session.scalars(select(PostingSchedule)).one()
        assert row.weekly == [[0, "08:00"], [4, "17:45"]]
    assert client.get(url(owner, x), headers=owner.headers).json() == body

    # A queued post then takes the first free slot.
    queued = client.post(
        "/api/v1/schedule",
        json={"business_id": owner.business_id, "text": "Queued", "queue": True},
        headers=owner.headers,
    )
    assert queued.status_code == 201, queued.text
    taken = datetime.fromisoformat(queued.json()["targets"][0]["scheduled_for"])
    assert taken == datetime.fromisoformat(body["next_slots"][0])
    after = client.get(url(owner, x), headers=owner.headers).json()
    assert datetime.fromisoformat(after["next_slots"][0]) > taken


def test_an_empty_week_goes_back_to_the_cadence(
    client: TestClient, database: Database, owner: Owner
) -> None:
    x = store_account(database, owner, "x")
    client.put(
        url(owner, x), json={"weekly": [{"weekday": 2, "time": "12:00"}]}, headers=owner.headers
    )
    back = client.put(
        url(owner, x), json={"weekly": [], "min_gap_minutes": 0}, headers=owner.headers
    )
    assert back.status_code == 200
    assert back.json()["customised"] is False
    assert len(back.json()["weekly"]) == 3
    assert back.json()["min_gap_minutes"] == 0


def test_bad_slots_are_refused_by_field(
    client: TestClient, database: Database, owner: Owner
) -> None:
    x = store_account(database, owner, "x")
    for body in (
        {"weekly": [{"weekday": 7, "time": "09:00"}]},
        {"weekly": [{"weekday": 1, "time": "9am"}]},
        {"weekly": [{"weekday": 1, "time": "24:00"}]},
        {"weekly": [], "min_gap_minutes": -5},
        {"weekly": [], "extra": 1},
    ):
        response = client.put(url(owner, x), json=body, headers=owner.headers)
        assert response.status_code == 422, body
    with database.session() as session:
        assert session.scalars(select(PostingSchedule)).first() is None


def test_queue_is_scoped_to_the_business_and_the_editor_role(
    client: TestClient, database: Database, owner: Owner
) -> None:
    x = store_account(database, owner, "x")
    stranger = make_owner(database, email="stranger@example.com", name="Other")
    assert client.get(url(stranger, x), headers=stranger.headers).status_code == 404
    foreign = f"/api/v1/businesses/{owner.business_id}/accounts/{x}/queue"
    assert client.get(foreign, headers=stranger.headers).status_code == 404
    missing = client.get(url(owner, 999_999), headers=owner.headers)
    assert missing.status_code == 404

    from growth_manager.models.business import BusinessMember

    with database.session() as session:
        viewer = session.get(User, stranger.user_id)
        assert viewer is not None
        session.add(
            BusinessMember(business_id=owner.business_id, user_id=viewer.id, role=Role.viewer)
        )
    assert client.get(foreign, headers=stranger.headers).status_code == 200
    refused = client.put(
        foreign, json={"weekly": [{"weekday": 1, "time": "09:00"}]}, headers=stranger.headers
    )
    assert refused.status_code == 403


def test_split_makes_numbered_parts_that_fit(client: TestClient, owner: Owner) -> None:
    text = " ".join(f"Sentence number {i} is about bread." for i in range(30))
    response = client.post(
        "/api/v1/threads/split",
        json={"text": text, "platform": "x", "number_parts": True},
        headers=owner.headers,
    )
    assert response.status_code == 200, response.text
    parts = response.json()["parts"]
    assert len(parts) > 1
    assert all(len(p) <= 280 for p in parts)
    assert parts[0].endswith(f"1/{len(parts)}")
    refused = client.post(
        "/api/v1/threads/split", json={"text": text, "platform": "linkedin"}, headers=owner.headers
    )
    assert refused.status_code == 422


def test_next_slots_are_in_the_future_on_the_wall_clock(
    client: TestClient, database: Database, owner: Owner
) -> None:
    x = store_account(database, owner, "x")
    client.put(
        url(owner, x),
        json={"weekly": [{"weekday": d, "time": "09:00"} for d in range(7)]},
        headers=owner.headers,
    )
    body = client.get(url(owner, x), headers=owner.headers).json()
    days = [datetime.fromisoformat(t).astimezone(BERLIN) for t in body["next_slots"]]
    assert all(d.strftime("%H:%M") == "09:00" for d in days)
    dates = [d.date() for d in days]
    assert all(later - earlier == timedelta(days=1) for earlier, later in pairwise(dates))
    assert days[0].astimezone(UTC) > utcnow()
