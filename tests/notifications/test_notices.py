"""Raising notices from any part of the product: categories, subjects (business, account, post),
one open notice per subject and kind, and the channel seam that runs only after a commit."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from growth_manager.db import Database
from growth_manager.models.content import Post
from growth_manager.models.notifications import NoticeCategory, Notification
from growth_manager.notifications import notices
from tests.conftest import json_of
from tests.support.team import Team


def _post(database: Database, business_id: int, title: str) -> int:
    with database.session() as session:
        post = Post(business_id=business_id, title=title, base_text="Launch")
        session.add(post)
        session.flush()
        return post.id


def _open(database: Database) -> list[tuple[str, int | None, str]]:
    with database.session() as session:
        rows = session.scalars(
            select(Notification).where(Notification.resolved_at.is_(None)).order_by(Notification.id)
        )
        return [(row.kind, row.post_id, row.title) for row in rows]


def test_one_open_notice_per_post_and_kind_and_resolving_one_post_leaves_the_other(
    database: Database, team: Team
) -> None:
    first, second = _post(database, team.business_id, "A"), _post(database, team.business_id, "B")
    for post_id, title in ((first, "A failed"), (first, "A failed again"), (second, "B failed")):
        with database.session() as session:
            notices.raise_notice(
                session,
                team.business_id,
                NoticeCategory.publishing,
                "post_failed",
                title,
                severity="danger",
                post_id=post_id,
                action_url=f"/businesses/{team.business_id}/drafts/{post_id}",
            )
    assert _open(database) == [
        ("post_failed", first, "A failed again"),
        ("post_failed", second, "B failed"),
    ]
    with database.session() as session:
        notices.resolve_notices(session, post_id=first)
    assert _open(database) == [("post_failed", second, "B failed")]


class Recording:
    name = "recording"

    def __init__(self) -> None:
        self.seen: list[int] = []

    def notice_raised(self, notification_id: int) -> None:
        self.seen.append(notification_id)


class Broken:
    name = "broken"

    def notice_raised(self, notification_id: int) -> None:
        raise RuntimeError("this channel is down")


def test_channels_hear_of_a_notice_only_once_it_is_committed(
    database: Database, team: Team
) -> None:
    recording = Recording()
    notices.channels[:] = [Broken(), recording]
    try:
        try:
            with database.session() as session:
                notices.raise_notice(
                    session, team.business_id, NoticeCategory.sync, "sync_failed", "Never kept"
                )
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        assert recording.seen == []
        with database.session() as session:
            kept = notices.raise_notice(
                session, team.business_id, NoticeCategory.sync, "sync_failed", "Sync failed"
            ).id
        assert recording.seen == [kept]  # the broken channel did not stop this one
    finally:
        notices.channels.clear()


def test_the_api_says_what_a_notice_is_about(
    client: TestClient, database: Database, team: Team
) -> None:
    post_id = _post(database, team.business_id, "A")
    with database.session() as session:
        notices.raise_notice(
            session,
            team.business_id,
            NoticeCategory.publishing,
            "post_failed",
            "Your post failed on X",
            post_id=post_id,
        )
    listed = json_of(client.get("/api/v1/notifications", headers=team.owner.headers))
    assert [
        (n["category"], n["kind"], n["post_id"], n["social_account_id"]) for n in listed["items"]
    ] == [("publishing", "post_failed", post_id, None)]
    scoped = json_of(
        client.get(
            f"/api/v1/businesses/{team.business_id}/notifications", headers=team.owner.headers
        )
    )
    assert [n["title"] for n in scoped] == ["Your post failed on X"]
    outsider = client.get(
        f"/api/v1/businesses/{team.other_business_id}/notifications", headers=team.owner.headers
    )
    assert outsider.status_code == 404
