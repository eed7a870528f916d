"""Composing, scheduling, queueing, changing and cancelling posts through the API. Nothing here
calls a platform: the accounts are stored rows, and no worker runs."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import AccountStatus
from growth_manager.models.content import Post
from growth_manager.models.publishing import PostTarget, TargetStatus
from tests.support.owners import Owner, make_owner, store_account

BERLIN = ZoneInfo("Europe/Berlin")  # the zone of make_owner's business


def schedule(client: TestClient, owner: Owner, **body: Any) -> Any:
    return client.post(
        "/api/v1/schedule", json={"business_id": owner.business_id, **body}, headers=owner.headers
    )


def in_days(days: int, hour: int = 10) -> str:
    """A wall time in the business's zone (Europe/Berlin), ``days`` from now."""
    day = (utcnow() + timedelta(days=days)).date()
    return f"{day.isoformat()}T{hour:02d}:00:00"


def count(database: Database, model: Any) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_scheduled_post_gets_one_target_per_account_at_the_local_time(
    client: TestClient, database: Database, owner: Owner
) -> None:
    x = store_account(database, owner, "x", username="acme")
    linkedin = store_account(database, owner, "linkedin", kind="member", external_id="abc")
    when = in_days(3, hour=9)
    response = schedule(client, owner, text="Fresh bread at nine", scheduled_for=when)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "scheduled"
    assert {t["account_id"] for t in body["targets"]} == {x, linkedin}
    local = datetime.fromisoformat(when).replace(tzinfo=BERLIN)
    for target in body["targets"]:
        assert target["status"] == "scheduled"
        assert datetime.fromisoformat(target["scheduled_for"]) == local.astimezone(UTC)
        assert target["parts"] == ["Fresh bread at nine"]

    listed = client.get(
        f"/api/v1/schedule/{owner.business_id}", headers=owner.headers, params={"account_id": x}
    )
    assert listed.status_code == 200
    assert [t["account_id"] for t in listed.json()["items"]] == [x]


def test_validation_names_the_account_the_part_and_the_rule(
    client: TestClient, database: Database, owner: Owner
) -> None:
    store_account(database, owner, "x", username="acme")
    store_account(database, owner, "instagram", kind="business", external_id="ig1", name="Acme IG")
    long_part = "word " * 70  # 350 characters
    response = schedule(
        client,
        owner,
        text="Hello",
        thread=["First part is fine", long_part],
        scheduled_for=in_days(2),
    )
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert "X @acme, part 2 of 2" in detail
    assert "/280" in detail
    # Instagram cannot publish without an image, and says so for that account.
    assert "Instagram Acme IG" in detail
    assert count(database, PostTarget) == 0
    assert count(database, Post) == 0


def test_a_thread_goes_to_x_and_the_joined_text_elsewhere(
    client: TestClient, database: Database, owner: Owner
) -> None:
    store_account(database, owner, "x", username="acme")
    store_account(database, owner, "linkedin", kind="member", external_id="abc")
    response = schedule(client, owner, thread=["One.", "Two.", "Three."], scheduled_for=in_days(1))
    assert response.status_code == 201, response.text
    parts = {t["platform"]: t["parts"] for t in response.json()["targets"]}
    assert parts["x"] == ["One.", "Two.", "Three."]
    assert parts["linkedin"] == ["One.\n\nTwo.\n\nThree."]


def test_split_thread_splits_a_long_text_for_x_only(
    client: TestClient, database: Database, owner: Owner
) -> None:
    store_account(database, owner, "x", username="acme")
    store_account(database, owner, "linkedin", kind="member", external_id="abc")
    text = " ".join(f"Sentence number {i} is here." for i in range(30))
    response = schedule(
        client, owner, text=text, split_thread=True, number_parts=True, scheduled_for=in_days(1)
    )
    assert response.status_code == 201, response.text
    parts = {t["platform"]: t["parts"] for t in response.json()["targets"]}
    assert len(parts["x"]) > 1
    total = len(parts["x"])
    assert all(part.endswith(f"{i + 1}/{total}") for i, part in enumerate(parts["x"]))
    assert parts["linkedin"] == [text]


def test_a_time_in_the_past_is_refused_and_a_dst_gap_is_explained(
    client: TestClient, database: Database, owner: Owner
) -> None:
    store_account(database, owner, "x", username="acme")
    past = schedule(client, owner, text="Late", scheduled_for="2020-01-01T10:00:00Z")
    assert past.status_code == 422
    assert "in the past" in past.json()["detail"]
    garbage = schedule(client, owner, text="When?", scheduled_for="next tuesday")
    assert garbage.status_code == 422
    assert "scheduled_for" in garbage.json()["detail"]

    # 02:30 on the last Sunday of March does not exist in Berlin.
    year = utcnow().year + 1
    gap = schedule(
        client, owner, text="Spring", scheduled_for=f"{year}-03-{_last_sunday(year, 3)}T02:30:00"
    )
    assert gap.status_code == 201, gap.text
    assert any("does not exist" in note for note in gap.json()["notes"])
    at = datetime.fromisoformat(gap.json()["targets"][0]["scheduled_for"]).astimezone(BERLIN)
    assert (at.hour, at.minute) == (3, 30)


def _last_sunday(year: int, month: int) -> str:
    day = datetime(year, month + 1, 1, tzinfo=UTC) - timedelta(days=1)
    while day.weekday() != 6:
        day -= timedelta(days=1)
    return f"{day.day:02d}"


def test_the_queue_takes_the_next_free_slots_and_warns_about_nothing_when_apart(
    client: TestClient, database: Database, owner: Owner
) -> None:
    x = store_account(database, owner, "x", username="acme")
    first = schedule(client, owner, text="Queued one", queue=True)
    second = schedule(client, owner, text="Queued two", queue=True)
    assert first.status_code == 201, first.text
    assert second.status_code == 201, second.text
    one = datetime.fromisoformat(first.json()["targets"][0]["scheduled_for"])
    two = datetime.fromisoformat(second.json()["targets"][0]["scheduled_for"])
    assert utcnow() < one < two
    assert two - one > timedelta(hours=1)
    assert first.json()["targets"][0]["account_id"] == x
    assert not second.json()["notes"]


def test_two_posts_close_together_get_a_note(
    client: TestClient, database: Database, owner: Owner
) -> None:
    store_account(database, owner, "x", username="acme")
    assert schedule(client, owner, text="One", scheduled_for=in_days(2, 10)).status_code == 201
    close = schedule(client, owner, text="Two", scheduled_for=f"{in_days(2, 10)[:-5]}20:00")
    assert close.status_code == 201, close.text
    assert any("20 min" in note for note in close.json()["notes"]), close.json()["notes"]


def test_reschedule_edit_and_cancel_until_a_target_is_publishing(
    client: TestClient, database: Database, owner: Owner
) -> None:
    store_account(database, owner, "x", username="acme")
    created = schedule(client, owner, text="Original", scheduled_for=in_days(2))
    post_id = created.json()["id"]
    moved = client.put(
        f"/api/v1/schedule/{post_id}",
        json={"scheduled_for": in_days(4), "text": "Edited"},
        headers=owner.headers,
    )
    assert moved.status_code == 200, moved.text
    target = moved.json()["targets"][0]
    assert target["parts"] == ["Edited"]
    assert (
        datetime.fromisoformat(target["scheduled_for"]).astimezone(BERLIN).date().isoformat()
        == in_days(4)[:10]
    )

    with database.session() as session:  # a worker claims it
        row = session.scalars(select(PostTarget)).one()
        row.status = TargetStatus.publishing
    busy = client.put(
        f"/api/v1/schedule/{post_id}", json={"text": "Too late"}, headers=owner.headers
    )
    assert busy.status_code == 409
    assert "publishing right now" in busy.json()["detail"]
    assert client.delete(f"/api/v1/schedule/{post_id}", headers=owner.headers).status_code == 409
    assert client.delete(f"/api/v1/posts/{post_id}", headers=owner.headers).status_code == 409

    with database.session() as session:
        session.scalars(select(PostTarget)).one().status = TargetStatus.scheduled
    cancelled = client.delete(f"/api/v1/schedule/{post_id}", headers=owner.headers)
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["targets"][0]["status"] == "cancelled"


def test_idempotency_key_replays_the_first_reply_and_refuses_another_body(
    client: TestClient, database: Database, owner: Owner
) -> None:
    store_account(database, owner, "x", username="acme")
    body = {"business_id": owner.business_id, "text": "Once", "scheduled_for": in_days(1)}
    headers = {**owner.headers, "Idempotency-Key": "abc-123"}
    first = client.post("/api/v1/schedule", json=body, headers=headers)
    again = client.post("/api/v1/schedule", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    assert count(database, Post) == 1
    other = client.post("/api/v1/schedule", json={**body, "text": "Different"}, headers=headers)
    assert other.status_code == 409
    assert "different request" in other.json()["detail"]
    assert count(database, Post) == 1


def test_concurrent_replays_of_one_key_create_one_post(
    client: TestClient, database: Database, owner: Owner
) -> None:
    store_account(database, owner, "x", username="acme")
    body = {"business_id": owner.business_id, "text": "Racing", "scheduled_for": in_days(1)}
    headers = {**owner.headers, "Idempotency-Key": "race-1"}

    def send(_: int) -> Any:
        return client.post("/api/v1/schedule", json=body, headers=headers)

    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(send, range(8)))
    assert {r.status_code for r in replies} <= {201, 409}
    created = [r for r in replies if r.status_code == 201]
    assert created
    assert len({r.json()["id"] for r in created}) == 1
    assert count(database, Post) == 1


def test_publish_routes_pick_their_platform_and_refuse_others(
    client: TestClient, database: Database, owner: Owner
) -> None:
    x = store_account(database, owner, "x", username="acme")
    store_account(database, owner, "linkedin", kind="member", external_id="abc")
    store_account(
        database,
        owner,
        "x",
        username="gone",
        external_id="43",
        status=AccountStatus.reauth_required,
    )
    response = client.post(
        "/api/v1/publish/twitter",
        json={"business_id": owner.business_id, "text": "Now"},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    # Default: the active X accounts only.
    assert [t["account_id"] for t in response.json()["targets"]] == [x]
    wrong = client.post(
        "/api/v1/publish/linkedin",
        json={"business_id": owner.business_id, "text": "Now", "account_ids": [x]},
        headers=owner.headers,
    )
    assert wrong.status_code == 422
    assert "/publish/multi" in wrong.json()["detail"]
    unknown = client.post(
        "/api/v1/publish/myspace",
        json={"business_id": owner.business_id, "text": "Now"},
        headers=owner.headers,
    )
    assert unknown.status_code == 404


def test_a_stranger_sees_no_post_and_no_schedule(
    client: TestClient, database: Database, owner: Owner
) -> None:
    store_account(database, owner, "x", username="acme")
    post_id = schedule(client, owner, text="Mine", scheduled_for=in_days(1)).json()["id"]
    stranger = make_owner(database, email="stranger@example.com", name="Other")
    assert client.get(f"/api/v1/posts/{post_id}", headers=stranger.headers).status_code == 404
    assert client.delete(f"/api/v1/schedule/{post_id}", headers=stranger.headers).status_code == 404
    assert (
        client.get(f"/api/v1/schedule/{owner.business_id}", headers=stranger.headers).status_code
        == 404
    )
    sneaky = client.post(
        "/api/v1/schedule",
        json={"business_id": owner.business_id, "text": "x", "scheduled_for": in_days(1)},
        headers=stranger.headers,
    )
    assert sneaky.status_code == 404
