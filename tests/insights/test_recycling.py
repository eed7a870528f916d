"""Content recycling against posts seeded here: which past posts are suggested (old enough,
evergreen, not reposted lately, ranked by their multiple recomputed here), and the one-click
queue: exactly one scheduled copy at the account's next free slot (computed here from the
weekly slots), a second click refused, Idempotency-Key replayed, roles and tenancy."""

from __future__ import annotations

import re
import statistics
import threading
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from growth_manager.business.access import BusinessAccess
from growth_manager.db import Database
from growth_manager.insights import recycling
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import SocialAccount
from growth_manager.models.business import Business, Role
from growth_manager.models.content import Post, PostStatus
from growth_manager.models.publishing import PostingSchedule, PostTarget, TargetStatus
from growth_manager.models.user import User
from tests.insights.seeding import Seed, add_account, add_post
from tests.support.factories import csrf_of
from tests.support.world import World

API = "/api/v1/businesses/{}/insights/recycling"
BERLIN = ZoneInfo("Europe/Berlin")
IMPRESSIONS = 5000.0
WEEKLY = [[1, "10:00"], [4, "10:00"]]  # Tuesdays and Fridays at 10:00, Berlin time

EVERGREEN_A = (
    "Our sourdough starter is fed twice a day, every day. That is the secret. "
    "#sourdough https://bloom.example/starter"
)
EVERGREEN_G = "Why we mill our own flour: fresher taste and a better crumb. #bread"
YOUNG_B = "How to keep bread fresh for longer: wrap it in linen. #tips"
REPOSTED_E = "The crust is the best part and we will not hear otherwise."
QUEUED_F = "Rye bread keeps for a week in a paper bag."
TIME_BOUND = (
    "Summer sale: 20% off all loaves",
    "Join us this Friday for the tasting evening",
    "Thanks for coming to our open day, what a day!",
)


@dataclass
class Shelf:
    account: SocialAccount
    posts: dict[str, Seed]  # by name
    all: list[Seed]
    taken_slot: datetime  # the first upcoming slot, already taken by a scheduled post


def upcoming_slots(now: datetime, count: int) -> list[datetime]:
    """The weekly slots after ``now``, restated: local dates from today, 10:00 Berlin."""
    found: list[datetime] = []
    day: date = now.astimezone(BERLIN).date()
    while len(found) < count:
        if day.weekday() in (1, 4):
            at = datetime.combine(day, time(10), tzinfo=BERLIN).astimezone(ZoneInfo("UTC"))
            if at > now:
                found.append(at)
        day += timedelta(days=1)
    return found


def rate(likes_per_hundred: float) -> float:
    return IMPRESSIONS * likes_per_hundred / 100


@pytest.fixture
def shelf(database: Database, world: World, now: datetime) -> Shelf:
    seeds: dict[str, Seed] = {}
    every: list[Seed] = []
    with database.session() as session:
        account = add_account(session, world.bid, "x")
        for index in range(10):
            every.append(
                add_post(
                    session,
                    account,
                    f"Ordinary update number {index} from the bakery counter",
                    None,
                    now - timedelta(days=5 + index * 15),
                    rate(1),
                    IMPRESSIONS,
                )
            )
        named = [
            ("A", EVERGREEN_A, 100, 5.0),
            ("G", EVERGREEN_G, 200, 4.0),
            ("B", YOUNG_B, 20, 6.0),
            ("E", REPOSTED_E, 120, 6.0),
            ("F", QUEUED_F, 90, 6.0),
        ]
        named += [(f"T{i}", text, 100 + i * 10, 6.0) for i, text in enumerate(TIME_BOUND)]
        for name, text, days, per_hundred in named:
            seeds[name] = add_post(
                session, account, text, None, now - timedelta(days=days), rate(per_hundred), 5000
            )
            every.append(seeds[name])
        # E went out again five days ago, nearly word for word (a lowly post itself).
        every.append(
            add_post(
                session,
                account,
                "The crust is the best part, and we will NOT hear otherwise!",
                None,
                now - timedelta(days=5),
                rate(1),
                IMPRESSIONS,
            )
        )
        # F is already planned for the first upcoming slot, with an opener.
        session.add(
            PostingSchedule(social_account_id=account.id, weekly=WEEKLY, min_gap_minutes=60)
        )
        taken = upcoming_slots(now, 1)[0]
        planned = Post(
            business_id=world.bid,
            base_text="From the archive: " + QUEUED_F,
            status=PostStatus.scheduled,
            platforms=["x"],
        )
        session.add(planned)
        session.flush()
        session.add(
            PostTarget(
                post_id=planned.id,
                business_id=world.bid,
                social_account_id=account.id,
                platform="x",
                parts=["From the archive: " + QUEUED_F],
                media_ids=[],
                scheduled_at=taken,
                next_attempt_at=taken,
                status=TargetStatus.scheduled,
                origin="queue",
                progress={},
                warnings=[],
            )
        )
    return Shelf(account, seeds, every, taken)


def multiples(seeds: list[Seed]) -> dict[int, float]:
    usual = statistics.median(s.likes / s.impressions for s in seeds)
    return {s.id: (s.likes / s.impressions) / usual for s in seeds}


def targets_with(database: Database, account_id: int, text: str) -> list[PostTarget]:
    with database.session() as session:
        rows = session.scalars(
            select(PostTarget).where(PostTarget.social_account_id == account_id)
        ).all()
        return [row for row in rows if any(text in str(part) for part in row.parts)]


# --- suggestions -----------------------------------------------------------------------------------
def test_suggests_old_evergreen_top_posts_not_reposted_ranked_by_multiple(
    client: TestClient, world: World, shelf: Shelf
) -> None:
    body = client.get(API.format(world.bid), headers=world.viewer.headers).json()
    scores = multiples(shelf.all)
    got = [s["remote_post_id"] for s in body["suggestions"]]
    assert got == [shelf.posts["A"].id, shelf.posts["G"].id]
    for item in body["suggestions"]:
        assert item["multiple"] == pytest.approx(scores[item["remote_post_id"]])
        assert item["multiple"] >= 1.5
        assert item["refreshed_text"].endswith(item["text"])
        assert item["refreshed_text"].startswith(recycling.OPENERS)
    # C, D, H are tied to a moment; E was reposted 5 days ago; F is queued for later.
    assert body["time_bound"] == len(TIME_BOUND)
    assert body["reposted"] == 2
    assert body["considered"] == 2 + len(TIME_BOUND) + 2

    younger = client.get(
        API.format(world.bid), params={"min_age_days": 10}, headers=world.viewer.headers
    ).json()
    assert [s["remote_post_id"] for s in younger["suggestions"]] == [
        shelf.posts["B"].id,
        shelf.posts["A"].id,
        shelf.posts["G"].id,
    ]
    # With a window of 3 days, E's repost (5 days ago) no longer counts; F's planned copy does.
    short = client.get(
        API.format(world.bid), params={"repost_window_days": 3}, headers=world.viewer.headers
    ).json()
    assert shelf.posts["E"].id in [s["remote_post_id"] for s in short["suggestions"]]
    assert shelf.posts["F"].id not in [s["remote_post_id"] for s in short["suggestions"]]
    stricter = client.get(
        API.format(world.bid), params={"min_multiple": 4.5}, headers=world.viewer.headers
    ).json()
    assert [s["remote_post_id"] for s in stricter["suggestions"]] == [shelf.posts["A"].id]


def test_bad_parameters_are_named(client: TestClient, world: World) -> None:
    bad = client.get(
        API.format(world.bid), params={"min_age_days": -1}, headers=world.owner.headers
    )
    assert bad.status_code == 422
    assert "min_age_days" in bad.text
    bad = client.get(
        API.format(world.bid), params={"platforms": "fax"}, headers=world.owner.headers
    )
    assert bad.status_code == 422
    assert "fax" in bad.json()["detail"]


# --- the one-click queue ---------------------------------------------------------------------------
def test_queue_creates_exactly_one_scheduled_copy_at_the_next_free_slot(
    client: TestClient, database: Database, world: World, shelf: Shelf, now: datetime
) -> None:
    source = shelf.posts["A"]
    url = f"{API.format(world.bid)}/{source.id}/queue"
    expected_slot = upcoming_slots(now, 2)[1]  # the first is taken by F's copy
    response = client.post(url, headers=world.editor.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert datetime.fromisoformat(body["slot"]) == expected_slot
    assert body["source_remote_post_id"] == source.id
    (target,) = body["post"]["targets"]
    assert target["account_id"] == shelf.account.id
    assert target["status"] == "scheduled"
    assert datetime.fromisoformat(target["scheduled_for"]) == expected_slot
    text = target["parts"][0]
    assert text != EVERGREEN_A
    assert text.endswith(EVERGREEN_A)  # hashtag and link kept
    assert text.startswith(recycling.OPENERS)
    assert len(targets_with(database, shelf.account.id, EVERGREEN_A)) == 1

    again = client.post(url, headers=world.editor.headers)
    assert again.status_code == 409
    assert again.json()["type"] == "already_reposted"
    assert len(targets_with(database, shelf.account.id, EVERGREEN_A)) == 1

    after = client.get(API.format(world.bid), headers=world.viewer.headers).json()
    assert source.id not in [s["remote_post_id"] for s in after["suggestions"]]
    assert after["reposted"] == 3


def test_idempotency_key_replays_the_first_reply(
    client: TestClient, database: Database, world: World, shelf: Shelf
) -> None:
    url = f"{API.format(world.bid)}/{shelf.posts['G'].id}/queue"
    headers = {**world.owner.headers, "Idempotency-Key": "recycle-g-1"}
    first = client.post(url, headers=headers)
    second = client.post(url, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert second.json()["post"]["id"] == first.json()["post"]["id"]
    assert len(targets_with(database, shelf.account.id, EVERGREEN_G)) == 1


def test_roles_and_tenancy(
    client: TestClient, database: Database, world: World, shelf: Shelf
) -> None:
    url = f"{API.format(world.bid)}/{shelf.posts['A'].id}/queue"
    assert client.get(API.format(world.bid), headers=world.viewer.headers).status_code == 200
    assert client.post(url, headers=world.viewer.headers).status_code == 403
    assert client.get(API.format(world.bid), headers=world.outsider.headers).status_code == 404
    assert client.post(url, headers=world.outsider.headers).status_code == 404
    # A post of another business, named under this one: not found.
    with database.session() as session:
        theirs = add_account(session, world.other_business.id, "x")
        other = add_post(
            session, theirs, EVERGREEN_G, None, datetime(2026, 1, 1, 9, tzinfo=BERLIN), 900, 5000
        )
    elsewhere = f"{API.format(world.bid)}/{other.id}/queue"
    assert client.post(elsewhere, headers=world.editor.headers).status_code == 404
    missing = f"{API.format(world.bid)}/999999/queue"
    assert client.post(missing, headers=world.editor.headers).status_code == 404
    assert len(targets_with(database, shelf.account.id, EVERGREEN_A)) == 0


def test_the_page_lists_suggestions_and_queues_with_one_click(
    signed_in: Any, database: Database, world: World, shelf: Shelf, now: datetime
) -> None:
    viewer = signed_in(world.viewer.user)
    page = viewer.get(f"/businesses/{world.bid}/insights")
    assert page.status_code == 200
    assert page.text.count('data-testid="recycling-suggestion"') == 2
    assert 'data-testid="recycle-queue"' not in page.text  # viewers read only

    editor = signed_in(world.editor.user)
    page = editor.get(f"/businesses/{world.bid}/insights")
    assert page.text.count('data-testid="recycle-queue"') == 2
    action = f"/businesses/{world.bid}/insights/recycling/{shelf.posts['A'].id}/queue"
    first = editor.post(action, data={"csrf_token": csrf_of(editor)}, follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"].endswith("/insights#recycling")
    assert "A refreshed copy is in the queue" in editor.get(first.headers["location"]).text
    second = editor.post(action, data={"csrf_token": csrf_of(editor)})  # the double click
    assert second.status_code == 200
    assert "it is not queued twice" in second.text
    (target,) = targets_with(database, shelf.account.id, EVERGREEN_A)
    scheduled = target.scheduled_at.replace(tzinfo=target.scheduled_at.tzinfo or ZoneInfo("UTC"))
    assert scheduled == upcoming_slots(now, 2)[1]
    refused = viewer.post(action, data={"csrf_token": csrf_of(viewer)}, follow_redirects=False)
    assert refused.status_code == 403


def test_the_page_takes_its_own_age_and_says_what_is_wrong_with_one(
    signed_in: Any, world: World, shelf: Shelf
) -> None:
    viewer = signed_in(world.viewer.user)
    base = f"/businesses/{world.bid}/insights"
    younger = viewer.get(base, params={"min_age_days": "10", "days": "90"})
    assert younger.status_code == 200
    ids = re.findall(r'data-testid="recycling-suggestion" data-remote-post="(\d+)"', younger.text)
    assert str(shelf.posts["B"].id) in ids  # 20 days old: in at 10 days, out at the default 60
    assert 'name="min_age_days" min="0" max="3650" value="10"' in younger.text
    assert '<input type="hidden" name="days" value="90">' in younger.text  # the period stays
    default = viewer.get(base)
    assert str(shelf.posts["B"].id) not in re.findall(
        r'data-testid="recycling-suggestion" data-remote-post="(\d+)"', default.text
    )
    wrong = viewer.get(base, params={"min_age_days": "soon"})
    assert wrong.status_code == 200
    assert "min_age_days must be a whole number of days from 0 to 3650; got &#39;soon&#39;" in (
        wrong.text
    )
    assert wrong.text.count('data-testid="recycling-suggestion"') == 2


# --- the rules -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "Big news on March 3rd!",
        "Open until 12/24 only",
        "Back in 2024 we opened",
        "See you tomorrow",
        "Our Saturday market stall",
        "Flash sale on croissants",
        "Use code BREAD for 15% off",
        "Limited batch of panettone",
        "Last night was a blast, thank you",
        "Thanks for coming to the launch",
        "What a week it has been",
        "Merry Christmas from the bakery",
    ],
)
def test_time_bound_texts(text: str) -> None:
    assert recycling.time_bound(text), text


@pytest.mark.parametrize(
    "text",
    [
        "Why sourdough needs time: the slow rise makes the flavour. #bread",
        "Three ways to revive a stale loaf https://bloom.example/tips",
        "What is your favourite pastry?",
        "Our bakers start at 4am so your bread is warm at opening.",
    ],
)
def test_evergreen_texts(text: str) -> None:
    assert recycling.time_bound(text) == []


def test_refresh_is_deterministic_keeps_tags_and_links_and_varies_the_opener() -> None:
    text = "Crumb shot of the year #sourdough #bread https://bloom.example/p/1"
    first = recycling.refresh_opening(text, 7)
    assert first == recycling.refresh_opening(text, 7)
    assert first.endswith(text)
    again = recycling.refresh_opening(first, 7)  # recycling a recycled post: another opener
    assert again.endswith(text)
    assert again[: -len(text)] != first[: -len(text)]
    assert recycling.similarity(first, text) == 1.0
    assert recycling.similarity(first, again) == 1.0
    assert recycling.similarity(text, "Something else entirely about croissants") < 0.8


def test_the_copy_fits_the_platform_limit() -> None:
    long = "b" * 258
    fact = recycling.PostFacts(
        remote_post_id=0,  # the first opener (23 characters) would not fit in 280
        account_id=1,
        platform="x",
        published_at=datetime(2026, 1, 1, tzinfo=BERLIN),
        text=long,
        media_kind=None,
        remote_url=None,
        post_id=None,
        strategy_id=None,
        imported=True,
        interactions=None,
        audience=None,
        engagement_rate=None,
        followers=None,
    )
    copy = recycling.refreshed(fact)
    assert len(copy) <= 280
    assert copy.endswith(long)
    assert copy != long


def test_a_second_queue_waits_for_the_first_and_is_refused(
    database: Database, world: World, shelf: Shelf
) -> None:
    """Two clicks at once: while the first request's transaction is open, the second waits
    (the account row's lock on PostgreSQL, the write lock on SQLite), then finds the copy."""
    source = shelf.posts["A"].id
    outcome: dict[str, str] = {}

    def access_in(session: Any) -> BusinessAccess:
        business = session.get(Business, world.bid)
        user = session.get(User, world.editor.user.id)
        return BusinessAccess(business=business, role=Role.editor, user=user)

    def second() -> None:
        with database.session() as other:
            try:
                recycling.queue_copy(other, access_in(other), source, utcnow())
                outcome["second"] = "queued"
            except recycling.AlreadyQueued:
                outcome["second"] = "refused"

    with database.session() as first:
        recycling.queue_copy(first, access_in(first), source, utcnow())
        first.flush()
        racer = threading.Thread(target=second)
        racer.start()
        racer.join(timeout=1.0)
        assert racer.is_alive(), "the second queue did not wait for the first"
    racer.join(timeout=30)
    assert outcome == {"second": "refused"}
    assert len(targets_with(database, shelf.account.id, EVERGREEN_A)) == 1
