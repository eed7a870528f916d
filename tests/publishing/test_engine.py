"""The unit of work against the real sandbox: each post reaches the platform exactly once, or
the target says why not. The sandbox's own listing of the account's posts is the proof."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, select

from growth_manager.config import Settings
from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import AccountStatus, SocialAccount
from growth_manager.models.notifications import Notification
from growth_manager.models.publishing import AttemptOutcome, PostTarget, PublishAttempt
from growth_manager.providers.base import SocialProvider
from growth_manager.publishing.engine import Publisher
from growth_manager.publishing.remote import delete_remote
from growth_manager.tokens.keeper import TokenKeeper
from tests.publishing.conftest import FAST, Platform, make_due, run_until_settled, target_row
from tests.support.owners import Owner
from tests.support.tokenhealth import connect_x, stored


def compose(gm: TestClient, owner: Owner, account_id: int, **body: Any) -> dict[str, Any]:
    """A post scheduled a day ahead (so nothing but the test publishes it)."""
    when = (utcnow() + timedelta(days=1)).isoformat()
    response = gm.post(
        "/api/v1/schedule",
        json={
            "business_id": owner.business_id,
            "account_ids": [account_id],
            "scheduled_for": when,
            **body,
        },
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def attempts(database: Database, target_id: int) -> list[PublishAttempt]:
    with database.session() as session:
        rows = list(
            session.scalars(
                select(PublishAttempt)
                .where(PublishAttempt.target_id == target_id)
                .order_by(PublishAttempt.id)
            )
        )
        session.expunge_all()
        return rows


def test_a_due_target_is_published_once_with_its_id_and_link(
    gm: TestClient,
    owner: Owner,
    database: Database,
    x_account: int,
    publisher: Publisher,
    platform: Platform,
) -> None:
    post = compose(gm, owner, x_account, text="Sourdough is back")
    target_id = post["targets"][0]["id"]
    assert publisher.claim([target_id]) == []  # not due yet: a day ahead
    row = run_until_settled(publisher, database, target_id)
    assert row.status.value == "published"
    token = stored(database, x_account).access_token
    posts = platform.x_posts_with("Sourdough is back", token)
    assert [p["id"] for p in posts] == [row.remote_id]
    assert row.remote_url
    assert row.remote_url.endswith(f"/status/{row.remote_id}")
    [attempt] = attempts(database, target_id)
    assert attempt.outcome is AttemptOutcome.published
    assert attempt.steps == {"part:0": row.remote_id}
    assert attempt.finished_at is not None
    assert attempt.duration_ms is not None

    fate = gm.get(f"/api/v1/posts/{post['id']}", headers=owner.headers).json()
    assert fate["status"] == "published"
    assert fate["targets"][0]["remote_id"] == row.remote_id
    assert fate["targets"][0]["attempt_log"][0]["outcome"] == "published"

    # Claiming again finds nothing: it is final.
    assert publisher.claim([target_id]) == []


def test_a_thread_resumes_after_its_last_recorded_part(
    gm: TestClient,
    owner: Owner,
    database: Database,
    x_account: int,
    publisher: Publisher,
    platform: Platform,
) -> None:
    parts = ["Thread one.", "Thread two.", "Thread three."]
    post = compose(gm, owner, x_account, thread=parts)
    target_id = post["targets"][0]["id"]
    token = stored(database, x_account).access_token
    # An earlier attempt got part one out and recorded it, then failed.
    first_id = platform.post_x("Thread one.", token)
    with database.session() as session:
        target = session.get(PostTarget, target_id)
        assert target is not None
        target.progress = {"part:0": first_id}
    row = run_until_settled(publisher, database, target_id)
    assert row.status.value == "published"
    assert row.remote_id == first_id
    for text in parts:
        assert len(platform.x_posts_with(text, token)) == 1, text
    [two] = platform.x_posts_with("Thread two.", token)
    assert two["referenced_tweets"] == [{"type": "replied_to", "id": first_id}]
    assert set(row.progress) == {"part:0", "part:1", "part:2"}


def test_a_lost_answer_is_checked_on_the_platform_and_adopted_not_posted_again(
    gm: TestClient,
    owner: Owner,
    database: Database,
    x_account: int,
    publisher: Publisher,
    platform: Platform,
) -> None:
    post = compose(gm, owner, x_account, text="Only once, please")
    target_id = post["targets"][0]["id"]
    platform.fault(kind="drop_after_commit", path="/api.x.com/2/tweets", method="POST", times=1)
    row = run_until_settled(publisher, database, target_id)
    assert row.status.value == "published"
    token = stored(database, x_account).access_token
    posts = platform.x_posts_with("Only once, please", token)
    assert len(posts) == 1
    assert row.remote_id == posts[0]["id"]
    outcomes = [a.outcome for a in attempts(database, target_id)]
    assert outcomes == [AttemptOutcome.unknown, AttemptOutcome.recovered]


def test_a_refusal_fails_at_once_with_the_platform_s_words_and_a_notice(
    gm: TestClient,
    owner: Owner,
    database: Database,
    x_account: int,
    publisher: Publisher,
    platform: Platform,
) -> None:
    first = compose(gm, owner, x_account, text="Same words twice")
    assert run_until_settled(publisher, database, first["targets"][0]["id"]).status.value == (
        "published"
    )
    second = compose(gm, owner, x_account, text="Same words twice")
    target_id = second["targets"][0]["id"]
    row = run_until_settled(publisher, database, target_id)
    assert row.status.value == "failed"
    assert row.last_error
    assert "duplicate" in row.last_error.lower()
    assert [a.outcome for a in attempts(database, target_id)] == [AttemptOutcome.rejected]
    with database.session() as session:
        notices = session.scalars(
            select(Notification).where(Notification.post_id == second["id"])
        ).all()
        assert [n.kind for n in notices] == ["publish_failed"]
        assert "duplicate" in notices[0].body.lower()


def test_transient_failures_retry_then_fail_after_the_last_attempt(
    gm: TestClient,
    owner: Owner,
    database: Database,
    x_account: int,
    publisher: Publisher,
    platform: Platform,
) -> None:
    post = compose(gm, owner, x_account, text="Server is down")
    target_id = post["targets"][0]["id"]
    platform.fault(kind="status", path="/api.x.com/2/tweets", method="POST", status=503, times=None)
    row = run_until_settled(publisher, database, target_id)
    assert row.status.value == "failed"
    assert row.status_reason
    assert "gave up after 4 attempts" in row.status_reason
    assert [a.outcome for a in attempts(database, target_id)] == [AttemptOutcome.retry] * 4
    platform.clear_faults()
    token = stored(database, x_account).access_token
    assert platform.x_posts_with("Server is down", token) == []


def test_a_dead_token_pauses_the_account_s_posts_until_it_is_reconnected(
    gm: TestClient,
    owner: Owner,
    database: Database,
    x_account: int,
    publisher: Publisher,
    platform: Platform,
) -> None:
    one = compose(gm, owner, x_account, text="Paused one")
    two = compose(gm, owner, x_account, text="Paused two")
    with database.session() as session:  # the tokens are revoked on the platform's side
        account = session.get(SocialAccount, x_account)
        assert account is not None
        account.access_token = "revoked-access"
        account.refresh_token = "revoked-refresh"
    row = run_until_settled(publisher, database, one["targets"][0]["id"])
    assert row.status.value == "paused"
    assert row.status_reason
    assert "reconnect X" in row.status_reason
    other = target_row(database, two["targets"][0]["id"])
    assert other.status.value == "paused"
    with database.session() as session:
        account = session.get(SocialAccount, x_account)
        assert account is not None
        assert account.status is AccountStatus.reauth_required

    # The owner reconnects: the account is active again and the paused posts go back to the
    # schedule by themselves.
    assert connect_x(gm, owner, database) == x_account
    publisher.reap()
    assert target_row(database, two["targets"][0]["id"]).status.value == "scheduled"
    assert run_until_settled(publisher, database, one["targets"][0]["id"]).status.value == (
        "published"
    )


def test_an_expired_lease_is_reaped_and_the_next_attempt_checks_first(
    gm: TestClient,
    owner: Owner,
    database: Database,
    x_account: int,
    publisher: Publisher,
    platform: Platform,
) -> None:
    """A worker that died after the platform took the post: the next worker finds the post
    instead of posting it again."""
    post = compose(gm, owner, x_account, text="Crash after send")
    target_id = post["targets"][0]["id"]
    token = stored(database, x_account).access_token
    # The dead worker's part: it claimed, started an attempt and posted, then vanished.
    with database.session() as session:
        target = session.get(PostTarget, target_id)
        assert target is not None
        target.status = target.status.publishing
        target.lease_owner = "dead-worker"
        target.lease_until = utcnow() - timedelta(seconds=1)
        session.add(
            PublishAttempt(target_id=target_id, number=1, worker="dead-worker", started_at=utcnow())
        )
    created = platform.post_x("Crash after send", token)  # as the dead worker did
    assert publisher.reap() == 1
    row = run_until_settled(publisher, database, target_id)
    assert row.status.value == "published"
    assert row.remote_id == created
    assert len(platform.x_posts_with("Crash after send", token)) == 1
    outcomes = [a.outcome for a in attempts(database, target_id)]
    assert outcomes == [AttemptOutcome.abandoned, AttemptOutcome.recovered]


def test_a_claimed_target_can_not_be_cancelled_or_moved(
    gm: TestClient, owner: Owner, database: Database, x_account: int, publisher: Publisher
) -> None:
    post = compose(gm, owner, x_account, text="Claimed")
    target_id = post["targets"][0]["id"]
    with database.session() as session:
        target = session.get(PostTarget, target_id)
        assert target is not None
        target.next_attempt_at = utcnow() - timedelta(seconds=1)
    assert publisher.claim([target_id]) == [target_id]
    refused = gm.delete(f"/api/v1/schedule/{post['id']}", headers=owner.headers)
    assert refused.status_code == 409
    moved = gm.put(
        f"/api/v1/schedule/{post['id']}",
        json={"scheduled_for": (utcnow() + timedelta(days=3)).isoformat()},
        headers=owner.headers,
    )
    assert moved.status_code == 409
    assert publisher.publish(target_id) is not None
    assert target_row(database, target_id).status.value == "published"


class CrashesAfterPosting:
    """The real provider, but the worker breaks right after the platform took the post (a bug,
    a database hiccup while recording): what happened must be checked, never re-posted."""

    def __init__(self, real: SocialProvider) -> None:
        self.real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def publish(self, request: Any, token: Any, done: Any, record: Any) -> Any:
        self.real.publish(request, token, done, lambda step, remote_id: None)
        raise RuntimeError("the worker broke after the platform answered")


def test_an_unexpected_error_after_posting_is_checked_not_posted_again(
    gm: TestClient,
    owner: Owner,
    database: Database,
    x_account: int,
    sandbox_settings: Settings,
    platform: Platform,
) -> None:
    post = compose(gm, owner, x_account, text="Broken after the answer")
    target_id = post["targets"][0]["id"]
    honest = TokenKeeper(database, sandbox_settings)
    broken = Publisher(
        database,
        sandbox_settings,
        keeper=TokenKeeper(
            database,
            sandbox_settings,
            lambda account: CrashesAfterPosting(honest.provider(account)),
        ),
        policy=FAST,
        owner="broken-worker",
    )
    make_due(database, target_id)
    assert broken.claim([target_id]) == [target_id]
    broken.publish(target_id)
    row = target_row(database, target_id)
    assert row.status.value == "retrying"
    assert row.needs_check
    healthy = Publisher(database, sandbox_settings, policy=FAST, owner="healthy-worker")
    row = run_until_settled(healthy, database, target_id)
    assert row.status.value == "published"
    token = stored(database, x_account).access_token
    assert len(platform.x_posts_with("Broken after the answer", token)) == 1
    outcomes = [a.outcome for a in attempts(database, target_id)]
    assert outcomes == [AttemptOutcome.unknown, AttemptOutcome.recovered]


def test_a_rate_limit_waits_for_its_reset_without_counting_as_a_failure(
    gm: TestClient,
    owner: Owner,
    database: Database,
    x_account: int,
    publisher: Publisher,
    platform: Platform,
) -> None:
    post = compose(gm, owner, x_account, text="Too fast")
    target_id = post["targets"][0]["id"]
    platform.fault(kind="status", path="/api.x.com/2/tweets", method="POST", status=429, times=1)
    make_due(database, target_id)
    assert publisher.claim([target_id]) == [target_id]
    publisher.publish(target_id)
    row = target_row(database, target_id)
    assert row.status.value == "retrying"
    assert row.attempts == 0  # waiting out a limit is not the post's failure
    assert row.status_reason
    assert row.status_reason.startswith("rate limited")
    assert row.next_attempt_at is not None
    assert row.next_attempt_at > utcnow()
    row = run_until_settled(publisher, database, target_id)
    assert row.status.value == "published"
    token = stored(database, x_account).access_token
    assert len(platform.x_posts_with("Too fast", token)) == 1


def test_a_hang_after_sending_is_checked_then_published_once(
    gm: TestClient,
    owner: Owner,
    database: Database,
    x_account: int,
    sandbox_settings: Settings,
    platform: Platform,
) -> None:
    """The platform never answers (the request may or may not have been applied): the client
    times out, and the next try looks before posting."""
    quick = sandbox_settings.model_copy(update={"provider_timeout_seconds": 1.0})
    publisher = Publisher(database, quick, policy=FAST, owner="quick-worker")
    post = compose(gm, owner, x_account, text="Into the void")
    target_id = post["targets"][0]["id"]
    platform.fault(kind="hang", path="/api.x.com/2/tweets", method="POST", times=1, hang_seconds=3)
    row = run_until_settled(publisher, database, target_id)
    assert row.status.value == "published"
    token = stored(database, x_account).access_token
    assert len(platform.x_posts_with("Into the void", token)) == 1
    outcomes = [a.outcome for a in attempts(database, target_id)]
    assert outcomes[0] is AttemptOutcome.unknown
    assert outcomes[-1] in (AttemptOutcome.published, AttemptOutcome.recovered)


def test_a_token_revoked_mid_thread_pauses_and_resumes_after_the_last_part(
    gm: TestClient,
    owner: Owner,
    database: Database,
    x_account: int,
    publisher: Publisher,
    platform: Platform,
) -> None:
    parts = ["Mid one.", "Mid two.", "Mid three."]
    post = compose(gm, owner, x_account, thread=parts)
    target_id = post["targets"][0]["id"]
    token = stored(database, x_account).access_token
    first_id = platform.post_x("Mid one.", token)
    with database.session() as session:  # part one went out; then the grant was revoked
        target = session.get(PostTarget, target_id)
        assert target is not None
        target.progress = {"part:0": first_id}
        account = session.get(SocialAccount, x_account)
        assert account is not None
        account.access_token = "revoked-access"
        account.refresh_token = "revoked-refresh"
    row = run_until_settled(publisher, database, target_id)
    assert row.status.value == "paused"
    assert row.progress == {"part:0": first_id}

    assert connect_x(gm, owner, database) == x_account
    publisher.reap()
    row = run_until_settled(publisher, database, target_id)
    assert row.status.value == "published"
    fresh = stored(database, x_account).access_token
    for text in parts:
        assert len(platform.x_posts_with(text, fresh)) == 1, text


def test_a_published_post_can_be_deleted_from_the_platform(
    gm: TestClient,
    owner: Owner,
    database: Database,
    x_account: int,
    publisher: Publisher,
    sandbox_settings: Settings,
    platform: Platform,
) -> None:
    post = compose(gm, owner, x_account, thread=["Delete me.", "And me."])
    target_id = post["targets"][0]["id"]
    assert run_until_settled(publisher, database, target_id).status.value == "published"
    token = stored(database, x_account).access_token
    assert len(platform.x_posts_with("Delete me.", token)) == 1
    assert delete_remote(database, sandbox_settings, target_id) == "deleted"
    assert platform.x_posts_with("Delete me.", token) == []
    assert platform.x_posts_with("And me.", token) == []
    row = target_row(database, target_id)
    assert row.removed_at is not None
    assert row.status.value == "published"  # its history stays
    assert delete_remote(database, sandbox_settings, target_id) == "nothing to delete"


def test_recording_an_outcome_reads_no_text_variants_or_media_of_the_post(
    gm: TestClient,
    owner: Owner,
    database: Database,
    x_account: int,
    publisher: Publisher,
) -> None:
    # Every publish ends by deriving the post's status from its targets' statuses: that needs
    # neither the post's per-platform texts nor its media (two queries per target, for nothing).
    post = compose(gm, owner, x_account, text="Rye on Fridays")
    target_id = post["targets"][0]["id"]
    tables: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        tables.extend(t for t in ("post_variant", "post_media") if f"FROM {t}" in statement)

    event.listen(database.engine, "before_cursor_execute", seen)
    try:
        row = run_until_settled(publisher, database, target_id)
    finally:
        event.remove(database.engine, "before_cursor_execute", seen)
    assert row.status.value == "published"
    assert tables == []
    fate = gm.get(f"/api/v1/posts/{post['id']}", headers=owner.headers).json()
    assert fate["status"] == "published"
