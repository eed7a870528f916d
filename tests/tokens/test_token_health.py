"""Token health over real HTTP against the platform sandbox: refresh before expiry, X's rotating
single-use refresh tokens, the crash window, concurrent refreshes, 401 → one forced refresh and
one retry, transient trouble with backoff, LinkedIn's non-rotating refresh and its warning.

Every account is connected through the real consent pages first. Time moves without sleeping:
the sandbox through its clock offset, the product by moving the account's stored deadlines
(see ``shift_account_times``) or with time-machine where no sandbox call happens meanwhile.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from fastapi.testclient import TestClient

from growth_manager.config import Settings
from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.providers.errors import ReauthRequired, Transient
from growth_manager.tokens.keeper import LOST_ANSWER, RefreshOutcome, TokenKeeper
from tests.support.owners import Owner
from tests.support.sandbox import SandboxHandle
from tests.support.tokenhealth import (
    X_ME_PATH,
    X_TOKEN_PATH,
    Sandbox,
    connect_linkedin,
    connect_x,
    open_notifications,
    shift_account_times,
    stored,
)


def acted(keeper: TokenKeeper) -> list[RefreshOutcome]:
    """What the sweep did (it looks at every token within the widest margin and skips those
    not yet due on their own platform's margin)."""
    return [o for o in keeper.refresh_due() if o.result != "skipped"]


@pytest.fixture
def sb(fresh_sandbox: SandboxHandle) -> Iterator[Sandbox]:
    control = Sandbox(fresh_sandbox)
    yield control
    control.clear_faults()


@pytest.fixture
def keeper(
    settings: Settings,
    database: Database,
    fresh_sandbox: SandboxHandle,
) -> TokenKeeper:
    return TokenKeeper(database, settings.model_copy(update={"sandbox_url": fresh_sandbox.url}))


# --- refresh before expiry; rotation ---------------------------------------------------------
def test_x_token_is_refreshed_before_expiry_and_the_old_refresh_token_is_dead(
    gm: TestClient,
    owner: Owner,
    database: Database,
    keeper: TokenKeeper,
    sb: Sandbox,
) -> None:
    account_id = connect_x(gm, owner, database)
    before = stored(database, account_id)
    assert before.refresh_token
    assert before.expires_at
    assert timedelta(hours=1, minutes=59) < before.expires_at - utcnow() <= timedelta(hours=2)
    assert acted(keeper) == []  # a fresh 2-hour token is not due

    # 1 h 50 min later on both clocks: 10 minutes left, inside X's 20-minute margin.
    sb.advance_clock(timedelta(hours=1, minutes=50))
    shift_account_times(database, account_id, timedelta(hours=1, minutes=50))
    assert acted(keeper) == [RefreshOutcome(account_id, "refreshed")]

    after = stored(database, account_id)
    assert after.access_token != before.access_token
    assert after.refresh_token
    assert after.refresh_token != before.refresh_token
    assert after.expires_at is not None
    assert after.expires_at - utcnow() > timedelta(hours=1, minutes=59)
    assert (after.status, after.status_reason, after.refresh_failures) == ("active", None, 0)
    assert after.refresh_lease_until is None
    assert acted(keeper) == []  # renewed: nothing is due any more

    # X rotated: the old refresh token is single-use and now refused at the token endpoint.
    reuse = sb.x_refresh(before.refresh_token)
    assert reuse.status_code == 400
    assert reuse.json()["error"] == "invalid_request"
    # The new access token works.
    assert sb.x_me(after.access_token).status_code == 200

    # A worker that presents the consumed refresh token loses the account: reauth_required,
    # with the reason and a dashboard notification.
    with database.session() as session:
        from growth_manager.models.accounts import SocialAccount

        account = session.get(SocialAccount, account_id)
        assert account is not None
        account.refresh_token = before.refresh_token
    assert keeper.refresh(account_id, force=True).result == "reauth_required"
    dead = stored(database, account_id)
    assert dead.status == "reauth_required"
    assert dead.status_reason is not None
    assert "refused to renew the token" in dead.status_reason
    [(kind, title, body)] = open_notifications(database, account_id)
    assert kind == "reauth_required"
    assert title.startswith("Reconnect ")
    assert "Reconnect" in body


def test_crash_window_between_receiving_and_storing_a_rotated_token(
    gm: TestClient,
    owner: Owner,
    database: Database,
    keeper: TokenKeeper,
    sb: Sandbox,
) -> None:
    """What the product guarantees when X rotates the refresh token and the answer is lost
    (the connection drops after the sandbox committed the rotation):

    * the refresh does not crash: it ends as ``refresh_failing`` with the reason, the lease is
      released and the stored pair is untouched (nothing half-written);
    * the next attempt finds out for sure: the stored refresh token was consumed, so the
      account becomes ``reauth_required`` with a reason that says why, and the owner gets a
      notification. It never loops on a dead token, and nothing uses a token it did not store.
    Losing the new pair in that window cannot be avoided from the client side (X offers no
    way to fetch it again); the product makes it visible and recoverable by one reconnect.
    """
    account_id = connect_x(gm, owner, database)
    before = stored(database, account_id)
    assert before.refresh_token
    sb.fault("drop_after_commit", X_TOKEN_PATH, method="POST")

    assert keeper.refresh(account_id, force=True) == RefreshOutcome(account_id, "failing")
    lost = stored(database, account_id)
    assert lost.status == "refresh_failing"
    assert lost.status_reason == f"Token refresh failing: {LOST_ANSWER}"
    assert (lost.access_token, lost.refresh_token) == (before.access_token, before.refresh_token)
    assert lost.refresh_lease_until is None
    assert lost.next_refresh_attempt_at is not None
    assert lost.next_refresh_attempt_at > utcnow()
    assert open_notifications(database, account_id) == []  # one failure: not yet the user's
    # The sandbox did rotate: the stored refresh token is spent.
    assert sb.x_refresh(before.refresh_token).status_code == 400

    assert keeper.refresh(account_id, force=True).result == "reauth_required"
    dead = stored(database, account_id)
    assert dead.status == "reauth_required"
    assert dead.status_reason is not None
    assert "answer was lost" in dead.status_reason
    assert "cannot be used again" in dead.status_reason
    assert [kind for kind, _, _ in open_notifications(database, account_id)] == ["reauth_required"]


def test_concurrent_refreshes_reach_the_platform_once(
    gm: TestClient,
    owner: Owner,
    database: Database,
    keeper: TokenKeeper,
    sb: Sandbox,
) -> None:
    account_id = connect_x(gm, owner, database)
    before = stored(database, account_id)
    # Every token request waits 1.5 s (and is counted), so the two attempts overlap.
    rule = sb.fault("delay", X_TOKEN_PATH, method="POST", times=None, delay_ms=1500)
    barrier = threading.Barrier(2)
    results: list[str] = []
    errors: list[BaseException] = []

    def attempt() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(keeper.refresh(account_id, force=True).result)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert sorted(results) == ["busy", "refreshed"]
    assert sb.hits(rule) == 1  # exactly one refresh reached X
    sb.clear_faults()

    after = stored(database, account_id)
    assert after.status == "active"
    assert after.refresh_token != before.refresh_token
    assert after.refresh_lease_until is None
    me = sb.count(X_ME_PATH)
    account = keeper.verify(account_id)  # the stored token works
    assert account.status.value == "active"
    assert sb.hits(me) == 1  # no 401, no retry


# --- 401 → one forced refresh and one retry ---------------------------------------------------
def test_401_triggers_one_forced_refresh_and_one_retry_then_reauth_when_revoked(
    gm: TestClient,
    owner: Owner,
    database: Database,
    keeper: TokenKeeper,
    sb: Sandbox,
) -> None:
    account_id = connect_x(gm, owner, database)
    before = stored(database, account_id)
    assert before.refresh_token
    sb.x_revoke(before.access_token, "access_token")
    token_calls, me_calls = sb.count(X_TOKEN_PATH), sb.count(X_ME_PATH)

    keeper.verify(account_id)
    assert (sb.hits(me_calls), sb.hits(token_calls)) == (2, 1)  # 401, refresh, retry: 200
    renewed = stored(database, account_id)
    assert renewed.status == "active"
    assert renewed.access_token != before.access_token
    assert renewed.refresh_token != before.refresh_token

    # Now the user revokes the app: both tokens die. One refresh attempt, no second retry.
    assert renewed.refresh_token
    sb.x_revoke(renewed.refresh_token, "refresh_token")
    sb.x_revoke(renewed.access_token, "access_token")
    with pytest.raises(ReauthRequired):
        keeper.verify(account_id)
    assert (sb.hits(me_calls), sb.hits(token_calls)) == (3, 2)
    dead = stored(database, account_id)
    assert dead.status == "reauth_required"
    assert dead.status_reason is not None
    assert "refused to renew" in dead.status_reason
    assert [kind for kind, _, _ in open_notifications(database, account_id)] == ["reauth_required"]

    page = gm.get(f"/businesses/{owner.business_id}/connections", headers=owner.headers)
    assert page.status_code == 200, page.text
    assert "reauth required" in page.text
    assert "Reconnect" in page.text
    assert "refused to renew the token" in page.text
    notes = gm.get(f"/api/v1/businesses/{owner.business_id}/notifications", headers=owner.headers)
    assert notes.status_code == 200, notes.text
    assert [n["kind"] for n in notes.json()] == ["reauth_required"]

    # Reconnecting through the consent page brings it back and resolves the notification.
    connect_x(gm, owner, database)
    assert stored(database, account_id).status == "active"
    assert open_notifications(database, account_id) == []


# --- transient trouble ------------------------------------------------------------------------
def test_transient_trouble_backs_off_and_notifies_only_after_three_failures(
    gm: TestClient,
    owner: Owner,
    database: Database,
    keeper: TokenKeeper,
    sb: Sandbox,
) -> None:
    account_id = connect_x(gm, owner, database)
    sb.fault("status", X_TOKEN_PATH, method="POST", times=3, status=503)
    delays = []
    for attempt in (1, 2, 3):
        assert keeper.refresh(account_id, force=True).result == "failing"
        state = stored(database, account_id)
        assert state.status == "refresh_failing"
        assert state.refresh_failures == attempt
        assert state.next_refresh_attempt_at is not None
        delays.append(state.next_refresh_attempt_at - utcnow())
        kinds = [kind for kind, _, _ in open_notifications(database, account_id)]
        assert kinds == ([] if attempt < 3 else ["refresh_failing"])
    # Exponential backoff: about 2, 4 and 8 minutes.
    assert [round(d.total_seconds() / 60) for d in delays] == [2, 4, 8]

    # Due (10 minutes left), but in backoff: the sweep leaves it alone until the backoff ends.
    shift_account_times(database, account_id, timedelta(hours=1, minutes=50))
    assert acted(keeper) == []
    with time_machine.travel(utcnow() + timedelta(minutes=9), tick=True):
        assert acted(keeper) == [RefreshOutcome(account_id, "refreshed")]
    healed = stored(database, account_id)
    assert (healed.status, healed.status_reason, healed.refresh_failures) == ("active", None, 0)
    assert healed.next_refresh_attempt_at is None
    assert open_notifications(database, account_id) == []


# --- LinkedIn: non-rotating refresh, warning before the refresh token ends --------------------
def test_linkedin_refresh_keeps_its_refresh_token_and_warns_seven_days_before_its_end(
    gm: TestClient,
    owner: Owner,
    database: Database,
    keeper: TokenKeeper,
    sb: Sandbox,
) -> None:
    account_id = connect_linkedin(gm, owner, database)
    first = stored(database, account_id)
    assert first.refresh_token
    assert first.expires_at
    assert first.refresh_expires_at
    assert timedelta(days=59) < first.expires_at - utcnow() <= timedelta(days=60)
    assert timedelta(days=364) < first.refresh_expires_at - utcnow() <= timedelta(days=365)
    assert acted(keeper) == []

    # 54 days later: 6 days left on the access token, inside the 7-day margin.
    sb.advance_clock(timedelta(days=54))
    shift_account_times(database, account_id, timedelta(days=54))
    deadline = stored(database, account_id).refresh_expires_at
    assert acted(keeper) == [RefreshOutcome(account_id, "refreshed")]
    after = stored(database, account_id)
    assert after.access_token != first.access_token
    assert after.refresh_token == first.refresh_token  # not rotated
    assert after.refresh_expires_at == deadline  # and not extended
    assert after.expires_at is not None
    assert after.expires_at - utcnow() > timedelta(days=59)
    assert keeper.verify(account_id).status.value == "active"

    # The refresh token's end is an expiry only the user can fix: warn 7 days before, once.
    assert deadline is not None
    with time_machine.travel(deadline - timedelta(days=8), tick=False):
        assert keeper.warn_expiring() == 0
    assert open_notifications(database, account_id) == []
    for hours_later in (1, 2):  # the hourly job, twice
        with time_machine.travel(deadline - timedelta(days=7) + timedelta(hours=hours_later)):
            keeper.warn_expiring()
    [(kind, title, body)] = open_notifications(database, account_id)
    assert kind == "expires_soon"
    assert f"{deadline:%d %b %Y}" in title
    assert "Reconnect" in body


def test_a_401_while_renewal_is_in_trouble_is_retryable_not_reauth(
    gm: TestClient,
    owner: Owner,
    database: Database,
    keeper: TokenKeeper,
    sb: Sandbox,
) -> None:
    account_id = connect_x(gm, owner, database)
    sb.x_revoke(stored(database, account_id).access_token, "access_token")
    sb.fault("status", X_TOKEN_PATH, method="POST", times=1, status=503)
    with pytest.raises(Transient):
        keeper.verify(account_id)
    state = stored(database, account_id)
    assert state.status == "refresh_failing"  # not the user's problem (yet)
    assert open_notifications(database, account_id) == []
    keeper.verify(account_id)  # the platform is back: one forced refresh, one retry
    assert stored(database, account_id).status == "active"


class _Capture(logging.Handler):
    """Every record the product logs, rendered by the product's own formatter."""

    def __init__(self, formatter: logging.Formatter | None) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(formatter)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # The in-process sandbox server stands for the platform; its logs are not ours.
        if record.name.startswith(("platform_sandbox", "uvicorn")):
            return
        self.lines.append(self.format(record))


def test_no_token_reaches_the_logs(
    gm: TestClient,
    owner: Owner,
    database: Database,
    keeper: TokenKeeper,
    sb: Sandbox,
) -> None:
    root = logging.getLogger()
    capture = _Capture(root.handlers[0].formatter if root.handlers else None)
    level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    try:
        account_id = connect_x(gm, owner, database)
        first = stored(database, account_id)
        sb.x_revoke(first.access_token, "access_token")
        keeper.verify(account_id)  # 401, forced refresh, retry
        second = stored(database, account_id)
        sb.fault("drop_after_commit", X_TOKEN_PATH, method="POST")
        keeper.refresh(account_id, force=True)  # answer lost
        keeper.refresh(account_id, force=True)  # spent token refused → reauth_required
        gm.post(
            f"/api/v1/businesses/{owner.business_id}/accounts/{account_id}/verify",
            headers=owner.headers,
        )
    finally:
        root.removeHandler(capture)
        root.setLevel(level)
    log = "\n".join(capture.lines)
    # The capture saw the whole story (so an empty capture can't pass for a clean one).
    for event in (
        "accounts.connect.succeeded",
        "accounts.token.refreshed",
        "accounts.token.refresh_failed",
        "accounts.token.reauth_required",
    ):
        assert event in log, event
    secrets = {
        first.access_token,
        second.access_token,
        owner.token,
        *(t for t in (first.refresh_token, second.refresh_token) if t),
    }
    assert len(secrets) == 5
    for secret in secrets:
        assert secret not in log
