"""The publishing pages: composer (form actions, validation that keeps what was typed), the
calendar's wiring, a post's page with its actions and self-refreshing partial, queue settings,
the overview's schedule, and roles and CSRF on every form."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import AccountStatus, SocialAccount
from growth_manager.models.publishing import (
    AttemptOutcome,
    PostingSchedule,
    PostTarget,
    PublishAttempt,
    TargetStatus,
)
from growth_manager.models.user import User
from growth_manager.providers.registry import descriptor
from growth_manager.publishing.timing import zone_info
from tests.support.factories import csrf_of
from tests.support.world import World

SignedIn = Callable[[User], TestClient]


def add_account(
    database: Database,
    world: World,
    platform: str,
    name: str,
    *,
    username: str | None = None,
    avatar_url: str | None = None,
    status: AccountStatus = AccountStatus.active,
) -> int:
    with database.session() as session:
        account = SocialAccount(
            business_id=world.bid,
            platform=platform,
            kind="page" if platform == "facebook" else "user",
            external_id=f"{platform}-{name}",
            name=name,
            username=username,
            avatar_url=avatar_url,
            access_token="stored-token",
            status=status,
        )
        session.add(account)
        session.flush()
        return account.id


def targets(database: Database) -> list[PostTarget]:
    with database.session() as session:
        rows = list(session.scalars(select(PostTarget).order_by(PostTarget.id)))
        session.expunge_all()
        return rows


def composer_state(page: str) -> dict[str, Any]:
    match = re.search(
        r'<script type="application/json" id="compose-state">(.*?)</script>', page, re.S
    )
    assert match, "the composer has no state"
    state: dict[str, Any] = json.loads(match.group(1))
    return state


def compose(client: TestClient, world: World, **fields: Any) -> Any:
    data: dict[str, Any] = {"csrf_token": csrf_of(client), "action": "schedule"}
    data.update(fields)
    return client.post(f"/businesses/{world.bid}/compose", data=data, follow_redirects=False)


def tomorrow_local() -> str:
    return (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT10:00")


# --- composer -------------------------------------------------------------------------------------
def test_composer_lists_the_accounts_with_their_names_avatars_and_powers(
    signed_in: SignedIn, world: World, database: Database
) -> None:
    x = add_account(
        database, world, "x", "Bloom on X", username="bloom", avatar_url="/static/img/favicon.svg"
    )
    linkedin = add_account(
        database, world, "linkedin", "Bloom Bakery GmbH", avatar_url="https://cdn.example/a.jpg"
    )
    client = signed_in(world.editor.user)
    page = client.get(f"/businesses/{world.bid}/compose")
    assert page.status_code == 200
    text = page.text
    assert "cdn.example" not in text  # the CSP loads no platform image: the initial instead
    assert f'name="account_ids" value="{x}"' in text
    assert f'name="account_ids" value="{linkedin}"' in text
    assert "Bloom on X" in text
    assert "@bloom" in text
    assert 'src="/static/img/favicon.svg"' in text
    accounts = json.loads(
        re.search(r'id="compose-accounts">(.*?)</script>', text, re.S).group(1)  # type: ignore[union-attr]
    )
    by_id = {a["id"]: a for a in accounts}
    for account_id, platform in ((x, "x"), (linkedin, "linkedin")):
        facts = descriptor(platform)
        assert by_id[account_id]["threads"] is facts.supports_threads
        assert by_id[account_id]["first_comment"] is facts.supports_first_comment
    assert by_id[x]["limit"] == 280
    assert "/api/v1/text/measure" in text
    assert "/api/v1/threads/split" in text
    assert "Europe/Berlin" in text  # the schedule picker's zone, shown
    for label in ("Publish now", "Schedule", "Add to queue"):
        assert f">{label}</button>" in text
    assert composer_state(text)["account_ids"] == [x, linkedin]


def test_schedule_through_the_form_goes_to_the_post_page(
    signed_in: SignedIn, world: World, database: Database
) -> None:
    x = add_account(database, world, "x", "Bloom on X", username="bloom")
    linkedin = add_account(database, world, "linkedin", "Bloom Bakery GmbH")
    client = signed_in(world.editor.user)
    response = compose(
        client,
        world,
        account_ids=[x, linkedin],
        text="Fresh sourdough on Saturday",
        scheduled_for=tomorrow_local(),
    )
    assert response.status_code == 303, response.text
    rows = targets(database)
    assert [r.social_account_id for r in rows] == [x, linkedin]
    assert {r.status for r in rows} == {TargetStatus.scheduled}
    assert response.headers["location"] == f"/businesses/{world.bid}/posts/{rows[0].post_id}"
    # 10:00 in Berlin is 09:00 or 08:00 UTC.
    assert rows[0].scheduled_at.hour in (8, 9)
    page = client.get(response.headers["location"])
    assert "Scheduled." in page.text
    assert "Bloom on X" in page.text


def test_thread_and_first_comment_go_where_their_platform_takes_them(
    signed_in: SignedIn, world: World, database: Database
) -> None:
    x = add_account(database, world, "x", "Bloom on X")
    client = signed_in(world.editor.user)
    response = compose(
        client,
        world,
        account_ids=[x],
        use_thread="1",
        thread=["First part", "Second part"],
        action="queue",
    )
    assert response.status_code == 303, response.text
    (row,) = targets(database)
    assert row.parts == ["First part", "Second part"]
    assert row.origin == "queue"
    local = row.scheduled_at.astimezone(zone_info("Europe/Berlin"))
    page = client.get(response.headers["location"])
    assert f"Added to the queue: {local.strftime('%a %d %b %H:%M')}." in page.text


def test_publish_now_creates_targets_due_now(
    signed_in: SignedIn, world: World, database: Database
) -> None:
    linkedin = add_account(database, world, "linkedin", "Bloom Bakery GmbH")
    client = signed_in(world.editor.user)
    response = compose(
        client,
        world,
        account_ids=[linkedin],
        text="Now!",
        first_comment="Menu in bio",
        action="now",
    )
    assert response.status_code == 303, response.text
    (row,) = targets(database)
    assert row.origin == "now"
    assert row.first_comment == "Menu in bio"
    assert row.scheduled_at <= utcnow()


def test_refused_post_names_account_and_rule_and_keeps_what_was_typed(
    signed_in: SignedIn, world: World, database: Database
) -> None:
    x = add_account(database, world, "x", "Bloom on X", username="bloom")
    client = signed_in(world.editor.user)
    too_long = "a" * 281
    response = compose(
        client,
        world,
        account_ids=[x],
        text=too_long,
        title="Kept title",
        first_comment="",
        scheduled_for=tomorrow_local(),
    )
    assert response.status_code == 422
    assert "X @bloom: X: 281/280 characters" in response.text
    state = composer_state(response.text)
    assert state["text"] == too_long
    assert state["title"] == "Kept title"
    assert state["account_ids"] == [x]
    assert targets(database) == []


def test_schedule_without_a_time_or_accounts_is_explained(
    signed_in: SignedIn, world: World, database: Database
) -> None:
    x = add_account(database, world, "x", "Bloom on X")
    client = signed_in(world.editor.user)
    no_time = compose(client, world, account_ids=[x], text="Hi")
    assert no_time.status_code == 422
    assert "pick when to publish" in no_time.text
    no_accounts = compose(client, world, text="Hi", scheduled_for=tomorrow_local())
    assert no_accounts.status_code == 422
    assert "choose at least one account" in no_accounts.text
    past = compose(client, world, account_ids=[x], text="Hi", scheduled_for="2020-01-01T10:00")
    assert past.status_code == 422
    assert "is in the past" in past.text


def test_publishing_a_draft_prefills_the_composer_and_turns_the_draft_into_the_post(
    signed_in: SignedIn, world: World, database: Database
) -> None:
    x = add_account(database, world, "x", "Bloom on X")
    add_account(database, world, "linkedin", "Bloom Bakery GmbH")
    client = signed_in(world.editor.user)
    draft = client.post(
        f"/api/v1/businesses/{world.bid}/drafts",
        json={"title": "Brunch", "base_text": "Brunch is back", "platforms": ["x"]},
        headers=world.editor.headers,
    ).json()
    editor = client.get(f"/businesses/{world.bid}/drafts/{draft['id']}")
    assert f'href="/businesses/{world.bid}/compose?draft_id={draft["id"]}"' in editor.text
    page = client.get(f"/businesses/{world.bid}/compose?draft_id={draft['id']}")
    state = composer_state(page.text)
    assert state["text"] == "Brunch is back"
    assert state["account_ids"] == [x]  # the draft's platforms
    response = compose(
        client,
        world,
        draft_id=str(draft["id"]),
        account_ids=[x],
        text="Brunch is back",
        scheduled_for=tomorrow_local(),
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/businesses/{world.bid}/posts/{draft['id']}"
    editor = client.get(f"/businesses/{world.bid}/drafts/{draft['id']}")
    assert "compose?draft_id=" not in editor.text
    assert f'href="/businesses/{world.bid}/posts/{draft["id"]}"' in editor.text


def test_viewer_cannot_compose_and_csrf_is_required(
    signed_in: SignedIn, world: World, database: Database
) -> None:
    x = add_account(database, world, "x", "Bloom on X")
    viewer = signed_in(world.viewer.user)
    assert viewer.get(f"/businesses/{world.bid}/compose").status_code == 403
    refused = compose(viewer, world, account_ids=[x], text="Hi", scheduled_for=tomorrow_local())
    assert refused.status_code == 403
    editor = signed_in(world.editor.user)
    forged = editor.post(
        f"/businesses/{world.bid}/compose",
        data={"action": "schedule", "account_ids": [x], "text": "Hi"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert "CSRF" in forged.text
    assert targets(database) == []


# --- calendar -------------------------------------------------------------------------------------
def test_calendar_page_wires_fullcalendar_to_the_schedule_api(
    signed_in: SignedIn, world: World, database: Database
) -> None:
    add_account(database, world, "x", "Bloom on X")
    client = signed_in(world.viewer.user)
    page = client.get(f"/businesses/{world.bid}/calendar")
    assert page.status_code == 200
    text = page.text
    assert "vendor/fullcalendar/global.js" in text
    assert "js/publishing.js" in text
    assert "<script>" not in text  # no inline script under the CSP
    match = re.search(r'id="calendar" data-config="([^"]*)"', text)
    assert match
    config = json.loads(match.group(1).replace("&#34;", '"').replace("&quot;", '"'))
    assert config["timezone"] == "Europe/Berlin"
    assert config["feed"] == f"/api/v1/schedule/{world.bid}"
    assert config["update"] == "/api/v1/schedule/{post_id}"
    assert config["editable"] is False  # a viewer reads, never drags
    assert set(config["movable"]) == {"scheduled", "retrying", "paused"}
    assert config["platforms"]["x"] == "X"
    editor = signed_in(world.editor.user)
    page = editor.get(f"/businesses/{world.bid}/calendar")
    match = re.search(r'id="calendar" data-config="([^"]*)"', page.text)
    assert match
    assert "&#34;editable&#34;: true" in match.group(1)


def test_navigation_has_compose_for_editors_and_calendar_for_all(
    signed_in: SignedIn, world: World
) -> None:
    editor = signed_in(world.editor.user).get(f"/businesses/{world.bid}/drafts").text
    assert f'href="/businesses/{world.bid}/compose"' in editor
    assert f'href="/businesses/{world.bid}/calendar"' in editor
    viewer = signed_in(world.viewer.user).get(f"/businesses/{world.bid}/drafts").text
    assert f'href="/businesses/{world.bid}/compose"' not in viewer
    assert f'href="/businesses/{world.bid}/calendar"' in viewer


# --- a post ---------------------------------------------------------------------------------------
def scheduled_post(
    client: TestClient, world: World, account_ids: list[int], text: str = "Hello"
) -> int:
    response = compose(
        client, world, account_ids=account_ids, text=text, scheduled_for=tomorrow_local()
    )
    assert response.status_code == 303, response.text
    client.get(response.headers["location"])  # as a browser does: shows (and spends) the flash
    return int(response.headers["location"].rsplit("/", 1)[1])


def set_target(database: Database, target_id: int, **values: Any) -> None:
    with database.session() as session:
        target = session.get(PostTarget, target_id)
        assert target is not None
        for key, value in values.items():
            setattr(target, key, value)


def test_post_page_shows_each_target_its_attempts_and_polls_while_pending(
    signed_in: SignedIn, world: World, database: Database
) -> None:
    x = add_account(database, world, "x", "Bloom on X", username="bloom")
    linkedin = add_account(database, world, "linkedin", "Bloom Bakery GmbH")
    client = signed_in(world.editor.user)
    post_id = scheduled_post(client, world, [x, linkedin])
    first, second = targets(database)
    now = utcnow()
    set_target(
        database,
        first.id,
        status=TargetStatus.published,
        remote_url="https://x.com/bloom/status/1",
        published_at=now,
        warnings=["The link preview was dropped"],
    )
    set_target(
        database,
        second.id,
        status=TargetStatus.failed,
        last_error="LinkedIn said: Content is a duplicate",
        last_error_code="DUPLICATE_POST",
        status_reason="the platform refused the post",
    )
    with database.session() as session:
        session.add(
            PublishAttempt(
                target_id=second.id,
                number=1,
                started_at=now,
                finished_at=now + timedelta(milliseconds=420),
                outcome=AttemptOutcome.rejected,
                http_status=422,
                platform_code="DUPLICATE_POST",
                message="Content is a duplicate",
                duration_ms=420,
                steps={"upload": "urn:li:image:1"},
            )
        )
    page = client.get(f"/businesses/{world.bid}/posts/{post_id}")
    assert page.status_code == 200
    text = page.text
    assert "partially failed" in text
    assert 'href="https://x.com/bloom/status/1"' in text
    assert "LinkedIn said: Content is a duplicate" in text
    assert "HTTP 422" in text
    assert "DUPLICATE_POST" in text
    assert "420 ms" in text
    assert "Steps: upload" in text
    assert "The link preview was dropped" in text
    assert 'data-polling="off"' in text  # all final: no polling
    assert "Retry</button>" in text
    assert "Delete from X</button>" in text
    assert "Cancel post</button>" not in text  # nothing left to cancel

    set_target(database, second.id, status=TargetStatus.retrying)
    partial = client.get(f"/businesses/{world.bid}/posts/{post_id}/status")
    assert partial.status_code == 200
    assert "<html" not in partial.text
    assert f'hx-get="/businesses/{world.bid}/posts/{post_id}/status"' in partial.text
    assert 'hx-trigger="every 2s"' in partial.text


def test_retry_cancel_and_remove_through_the_post_page(
    signed_in: SignedIn, world: World, database: Database
) -> None:
    x = add_account(database, world, "x", "Bloom on X")
    linkedin = add_account(database, world, "linkedin", "Bloom Bakery GmbH")
    client = signed_in(world.editor.user)
    post_id = scheduled_post(client, world, [x, linkedin])
    first, second = targets(database)
    base = f"/businesses/{world.bid}/posts/{post_id}"
    token = csrf_of(client)

    set_target(database, second.id, status=TargetStatus.failed, attempts=3)
    retried = client.post(
        f"{base}/retry", data={"csrf_token": token, "target_id": second.id}, follow_redirects=False
    )
    assert retried.status_code == 303
    assert retried.headers["location"] == base
    assert "Trying again now." in client.get(base).text
    assert targets(database)[1].status is TargetStatus.scheduled
    assert targets(database)[1].attempts == 0

    again = client.post(
        f"{base}/retry", data={"csrf_token": token, "target_id": second.id}, follow_redirects=True
    )
    assert "only a failed, paused or retrying target can be retried" in again.text

    set_target(database, first.id, status=TargetStatus.published, published_at=utcnow())
    removed = client.post(
        f"{base}/remove", data={"csrf_token": token, "target_id": first.id}, follow_redirects=True
    )
    assert "Deleting it from the platform" in removed.text
    not_published = client.post(
        f"{base}/remove", data={"csrf_token": token, "target_id": second.id}, follow_redirects=True
    )
    assert "Only a published post can be deleted" in not_published.text

    cancelled = client.post(f"{base}/cancel", data={"csrf_token": token}, follow_redirects=True)
    assert "Cancelled" in cancelled.text
    rows = targets(database)
    assert rows[0].status is TargetStatus.published  # keeps its history
    assert rows[1].status is TargetStatus.cancelled


def test_cancel_is_refused_while_a_target_publishes(
    signed_in: SignedIn, world: World, database: Database
) -> None:
    x = add_account(database, world, "x", "Bloom on X")
    linkedin = add_account(database, world, "linkedin", "Bloom Bakery GmbH")
    client = signed_in(world.editor.user)
    post_id = scheduled_post(client, world, [x, linkedin])
    first, _second = targets(database)
    set_target(database, first.id, status=TargetStatus.publishing)
    base = f"/businesses/{world.bid}/posts/{post_id}"
    page = client.get(base)
    assert "Cancel post</button>" not in page.text
    assert 'data-polling="on"' in page.text
    refused = client.post(
        f"{base}/cancel", data={"csrf_token": csrf_of(client)}, follow_redirects=True
    )
    assert "is publishing right now" in refused.text
    assert [r.status for r in targets(database)] == [
        TargetStatus.publishing,
        TargetStatus.scheduled,
    ]


def test_viewer_sees_the_post_but_not_its_actions(
    signed_in: SignedIn, world: World, database: Database
) -> None:
    x = add_account(database, world, "x", "Bloom on X")
    post_id = scheduled_post(signed_in(world.editor.user), world, [x])
    (row,) = targets(database)
    set_target(database, row.id, status=TargetStatus.failed)
    viewer = signed_in(world.viewer.user)
    base = f"/businesses/{world.bid}/posts/{post_id}"
    page = viewer.get(base)
    assert page.status_code == 200
    assert "Retry</button>" not in page.text
    token = csrf_of(viewer)
    for action, data in (
        ("retry", {"target_id": row.id}),
        ("cancel", {}),
        ("remove", {"target_id": row.id}),
    ):
        response = viewer.post(
            f"{base}/{action}", data={"csrf_token": token, **data}, follow_redirects=False
        )
        assert response.status_code == 403, action
    assert targets(database)[0].status is TargetStatus.failed


def test_post_actions_need_the_csrf_token(
    signed_in: SignedIn, world: World, database: Database
) -> None:
    x = add_account(database, world, "x", "Bloom on X")
    client = signed_in(world.editor.user)
    post_id = scheduled_post(client, world, [x])
    (row,) = targets(database)
    base = f"/businesses/{world.bid}/posts/{post_id}"
    for action in ("retry", "cancel", "remove"):
        response = client.post(
            f"{base}/{action}", data={"target_id": row.id}, follow_redirects=False
        )
        assert response.status_code == 403, action
        assert "CSRF" in response.text
    assert targets(database)[0].status is TargetStatus.scheduled


def test_a_post_of_another_business_is_not_found(
    signed_in: SignedIn, world: World, database: Database
) -> None:
    x = add_account(database, world, "x", "Bloom on X")
    post_id = scheduled_post(signed_in(world.editor.user), world, [x])
    outsider = signed_in(world.outsider.user)
    assert outsider.get(f"/businesses/{world.bid}/posts/{post_id}").status_code == 404
    other = world.other_business.id
    assert outsider.get(f"/businesses/{other}/posts/{post_id}").status_code == 404


# --- overview -------------------------------------------------------------------------------------
def test_overview_shows_next_scheduled_and_recent_failures(
    signed_in: SignedIn, world: World, database: Database
) -> None:
    x = add_account(database, world, "x", "Bloom on X")
    linkedin = add_account(database, world, "linkedin", "Bloom Bakery GmbH")
    client = signed_in(world.editor.user)
    page = client.get(f"/businesses/{world.bid}")
    assert "Nothing scheduled." in page.text
    assert "No failed posts." in page.text
    post_id = scheduled_post(client, world, [x, linkedin])
    _first, second = targets(database)
    set_target(database, second.id, status=TargetStatus.failed, last_error="Token revoked")
    page = client.get(f"/businesses/{world.bid}")
    upcoming = page.text.split('data-testid="overview-upcoming"')[1].split("</section>")[0]
    failures = page.text.split('data-testid="overview-failures"')[1].split("</section>")[0]
    assert "Bloom on X" in upcoming
    assert f"/posts/{post_id}" in upcoming
    assert "Bloom Bakery GmbH" in failures
    assert "Token revoked" in failures
    assert f"/posts/{post_id}" in failures


# --- queue settings -------------------------------------------------------------------------------
def test_queue_page_shows_the_cadence_slots_then_saves_edits(
    signed_in: SignedIn, world: World, database: Database
) -> None:
    x = add_account(database, world, "x", "Bloom on X")
    client = signed_in(world.editor.user)
    connections = client.get(f"/businesses/{world.bid}/connections")
    url = f"/businesses/{world.bid}/accounts/{x}/queue"
    assert f'href="{url}"' in connections.text
    page = client.get(url)
    assert page.status_code == 200
    assert "From the strategy's cadence" in page.text
    slots = json.loads(re.search(r'id="queue-slots">(.*?)</script>', page.text, re.S).group(1))  # type: ignore[union-attr]
    assert len(slots) == 3  # the default cadence: three posts a week
    assert page.text.count("<li>", page.text.index('data-testid="next-slots"')) >= 5

    saved = client.post(
        url,
        data={
            "csrf_token": csrf_of(client),
            "weekday": ["1", "3"],
            "time": ["08:30", "18:00"],
            "min_gap_minutes": "90",
        },
        follow_redirects=True,
    )
    assert "Queue settings saved." in saved.text
    assert "Your own slots." in saved.text
    with database.session() as session:
        row = session.scalars(select(PostingSchedule)).one()
        assert row.weekly == [[1, "08:30"], [3, "18:00"]]
        assert row.min_gap_minutes == 90
    next_slots = saved.text.split('data-testid="next-slots"')[1].split("</ol>")[0]
    assert next_slots.count("<li>") == 5
    assert all(("Tue" in item or "Thu" in item) for item in next_slots.split("<li>")[1:])
    assert "08:30" in next_slots
    assert "18:00" in next_slots


def test_queue_form_errors_keep_the_slots_and_viewers_cannot_save(
    signed_in: SignedIn, world: World, database: Database
) -> None:
    x = add_account(database, world, "x", "Bloom on X")
    url = f"/businesses/{world.bid}/accounts/{x}/queue"
    client = signed_in(world.editor.user)
    bad = client.post(
        url,
        data={
            "csrf_token": csrf_of(client),
            "weekday": ["2"],
            "time": ["7pm"],
            "min_gap_minutes": "x",
        },
    )
    assert bad.status_code == 422
    assert "write it as HH:MM" in bad.text
    assert "whole number of minutes" in bad.text
    assert '"time": "7pm"' in bad.text
    viewer = signed_in(world.viewer.user)
    assert viewer.get(url).status_code == 200
    refused = viewer.post(
        url,
        data={"csrf_token": csrf_of(viewer), "weekday": ["2"], "time": ["09:00"]},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    forged = client.post(url, data={"weekday": ["2"], "time": ["09:00"]}, follow_redirects=False)
    assert forged.status_code == 403
    assert "CSRF" in forged.text
    with database.session() as session:
        assert session.scalars(select(PostingSchedule)).first() is None


def test_queue_of_another_business_account_is_not_found(
    signed_in: SignedIn, world: World, database: Database
) -> None:
    x = add_account(database, world, "x", "Bloom on X")
    outsider = signed_in(world.outsider.user)
    other = world.other_business.id
    assert outsider.get(f"/businesses/{other}/accounts/{x}/queue").status_code == 404


def test_polling_leaves_flash_messages_for_the_page(
    signed_in: SignedIn, world: World, database: Database
) -> None:
    x = add_account(database, world, "x", "Bloom on X")
    client = signed_in(world.editor.user)
    response = compose(client, world, account_ids=[x], text="Hi", scheduled_for=tomorrow_local())
    post_page = response.headers["location"]
    partial = client.get(f"{post_page}/status")
    assert "Scheduled." not in partial.text
    assert "Scheduled." in client.get(post_page).text
