"""The seeded LinkedIn world: members, pages, 90 days of history and the ground truth."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from platform_sandbox import audience
from platform_sandbox.linkedin import PLATFORM, common
from platform_sandbox.linkedin.models import LiPost
from tests.sandbox.linkedin.helpers import (
    BAKERY,
    COFFEE,
    MAYA,
    TOM,
    client,
    enc,
    login,
    rest_headers,
)
from tests.support.sandbox import SandboxHandle


def test_fresh_sandbox_has_90_days_of_history_for_every_account(
    fresh_sandbox: SandboxHandle,
) -> None:
    now = fresh_sandbox.ctx.clock.now()
    authors = [f"urn:li:person:{MAYA}", f"urn:li:person:{TOM}", BAKERY, COFFEE]
    with fresh_sandbox.ctx.store.session() as session:
        for author in authors:
            posts = list(
                session.scalars(
                    select(LiPost).where(LiPost.author == author).order_by(LiPost.published_at)
                )
            )
            assert len(posts) >= 30, author
            assert now - posts[0].published_at >= timedelta(days=85), author
            assert now - posts[0].published_at <= timedelta(days=90), author
            assert now - posts[-1].published_at <= timedelta(days=3), author
            # Audience metrics for the seeded history are those of audience.history's posts.
            profile = common.profile_of(fresh_sandbox.ctx, author)
            history = audience.history(42, profile, "x", now)
            assert [p.audience_key for p in posts] == [h.post_key for h in history]
            metrics = [common.metrics_of(fresh_sandbox.ctx, p, now) for p in posts]
            assert all(m.impressions > 0 for m in metrics[:-1])


def test_history_is_readable_through_the_api(fresh_sandbox: SandboxHandle) -> None:
    with client(fresh_sandbox) as http:
        token = login(http).access_token
        response = http.get(
            f"/api.linkedin.com/rest/posts?q=author&author={enc(BAKERY)}&count=100",
            headers=rest_headers(fresh_sandbox, token),
        )
    assert response.status_code == 200
    body = response.json()
    assert body["paging"]["total"] >= 30
    published = [e["publishedAt"] for e in body["elements"]]
    assert published == sorted(published, reverse=True)
    oldest = common.from_ms(published[-1])
    assert fresh_sandbox.ctx.clock.now() - oldest >= timedelta(days=85)


def test_accounts_ground_truth(fresh_sandbox: SandboxHandle) -> None:
    with fresh_sandbox.ctx.store.session() as session:
        accounts = PLATFORM.accounts(session, fresh_sandbox.ctx)
    by_urn = {a["urn"]: a for a in accounts}
    assert set(by_urn) == {f"urn:li:person:{MAYA}", f"urn:li:person:{TOM}", BAKERY, COFFEE}
    maya = by_urn[f"urn:li:person:{MAYA}"]
    assert {a["organization"] for a in maya["administers"]} == {BAKERY, COFFEE}
    assert by_urn[f"urn:li:person:{TOM}"]["administers"] == []
    for urn, account in by_urn.items():
        profile = audience.profile_for(42, f"linkedin:{urn}")
        assert account["profile"] == profile.as_dict()
        assert account["best_weekday"] == profile.best_weekday
        assert account["best_hour"] == profile.best_hour
        assert account["followers"] > 0


def test_seed_is_deterministic(fresh_sandbox: SandboxHandle) -> None:
    with fresh_sandbox.ctx.store.session() as session:
        first = [(p.author, p.commentary, p.audience_key) for p in session.scalars(select(LiPost))]
    fresh_sandbox.reset()
    with fresh_sandbox.ctx.store.session() as session:
        second = [(p.author, p.commentary, p.audience_key) for p in session.scalars(select(LiPost))]
    assert sorted(first) == sorted(second)


def test_control_plane_lists_linkedin_ground_truth(fresh_sandbox: SandboxHandle) -> None:
    with client(fresh_sandbox) as http:
        response = http.get("/_sandbox/accounts", params={"platform": "linkedin"})
    assert response.status_code == 200
    accounts = response.json()["accounts"]
    assert {a["urn"] for a in accounts} == {
        f"urn:li:person:{MAYA}",
        f"urn:li:person:{TOM}",
        BAKERY,
        COFFEE,
    }
    assert all(a["platform"] == "linkedin" for a in accounts)
    assert all(0 <= a["best_weekday"] <= 6 and 0 <= a["best_hour"] <= 23 for a in accounts)
