"""Token health: refresh before expiry, never two refreshes of one account at once, one forced
refresh on a 401, and status changes that tell the owner before anything breaks.

X refresh tokens rotate and are single-use, so the pair returned by a refresh is committed in
its own transaction before anything uses it, and a lease (a conditional UPDATE on the account
row) makes sure two workers can never refresh the same account concurrently: the second one
would present an already-consumed refresh token and lose the account.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

import structlog
from sqlalchemy.orm import Session

from growth_manager.config import Settings
from growth_manager.db import Database, unit_of_work
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import AccountStatus, SocialAccount
from growth_manager.notifications import notices
from growth_manager.providers.base import AccountProfile, PlatformKey, SocialProvider, TokenSet
from growth_manager.providers.errors import (
    OutcomeUnknown,
    ProviderError,
    RateLimited,
    ReauthRequired,
    Rejected,
    Transient,
)
from growth_manager.providers.http import RateLimitState
from growth_manager.providers.registry import descriptor, descriptors, is_platform, provider_for
from growth_manager.tokens import repository
from growth_manager.tokens.budgets import BudgetThrottle, record_budgets
from growth_manager.tokens.platforms import require_config

log = structlog.get_logger(__name__)
T = TypeVar("T")

# For accounts of a platform no longer registered; each platform's descriptor has its own.
DEFAULT_MARGIN = timedelta(days=1)
LEASE = timedelta(seconds=90)
WARN_BEFORE = timedelta(days=7)
MAX_BACKOFF = timedelta(hours=1)
# The status reason after a refresh whose answer never arrived (see ``_refresh_failed``).
LOST_ANSWER = "the last refresh answer was lost in transit"


def refresh_margins() -> dict[str, timedelta]:
    """How long before expiry each platform's access token is refreshed."""
    return {d.platform: d.refresh_margin for d in descriptors()}


def rotates_refresh_tokens(platform: str) -> bool:
    return is_platform(platform) and descriptor(platform).rotates_refresh_tokens


def lease_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def token_of(account: SocialAccount) -> TokenSet:
    if not account.access_token:
        raise ReauthRequired(account.platform, "the account has no token; connect it again")
    return TokenSet(
        access_token=account.access_token,
        refresh_token=account.refresh_token,
        expires_at=account.expires_at,
        refresh_expires_at=account.refresh_expires_at,
        scopes=tuple(account.granted_scopes),
    )


def mark_reauth_required(session: Session, account: SocialAccount, reason: str) -> None:
    account.status = AccountStatus.reauth_required
    account.status_reason = reason
    account.next_refresh_attempt_at = None
    notices.raise_for_account(
        session,
        account,
        "reauth_required",
        f"Reconnect {account.name} ({account.platform})",
        f"{reason}. Posts to this account are paused until you reconnect it: open Connections "
        "and click Reconnect.",
        severity="danger",
    )
    log.warning("accounts.token.reauth_required", account_id=account.id, platform=account.platform)


@dataclass(frozen=True)
class RefreshOutcome:
    account_id: int
    result: str  # refreshed | busy | reauth_required | failing | skipped


class TokenKeeper:
    def __init__(
        self,
        database: Database,
        settings: Settings,
        provider_factory: Callable[[SocialAccount], SocialProvider] | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self._provider_factory = provider_factory
        # Per keeper: a long-lived one (the publisher's) saves the writes; one made for a
        # single request records everything it sees.
        self.budgets = BudgetThrottle()
        # Also told of every budget a response reports (account id, budgets), as it happens:
        # for work that paces itself by them (the analytics sync).
        self.observers: list[Callable[[int, list[RateLimitState]], None]] = []

    def provider(self, account: SocialAccount) -> SocialProvider:
        if self._provider_factory is not None:
            return self._provider_factory(account)
        platform: PlatformKey = account.platform
        account_id = account.id

        def observe(states: list[RateLimitState]) -> None:
            for observer in self.observers:
                observer(account_id, states)
            due = self.budgets.due(account_id, states)
            if not due:
                return
            # Bookkeeping: it must never turn a call the platform answered into a failure
            # (two threads recording one account's budget at once may collide on its key).
            try:
                with self.database.session() as session:
                    record_budgets(session, account_id, due)
            except Exception as exc:
                log.warning("accounts.budget.record_failed", account_id=account_id, error=str(exc))

        return provider_for(platform, require_config(self.settings, platform), observe)

    def refresh(self, account_id: int, *, force: bool = False) -> RefreshOutcome:
        """Refresh one account's token if due (or ``force``), as one unit of work: the lease
        (and the token to present) in one transaction, the platform's answer with none open,
        the new pair (or the failure) and the lease's release in another."""
        owner = lease_owner()
        skipped: RefreshOutcome | None = None

        def claim(session: Session) -> tuple[TokenSet, SocialProvider] | None:
            nonlocal skipped
            now = utcnow()
            account = session.get(SocialAccount, account_id)
            if account is None or account.status == AccountStatus.disconnected:
                skipped = RefreshOutcome(account_id, "skipped")
                return None
            margin = refresh_margins().get(account.platform, DEFAULT_MARGIN)
            due = account.expires_at is not None and account.expires_at <= now + margin
            if not (force or due):
                skipped = RefreshOutcome(account_id, "skipped")
                return None
            if not repository.take_refresh_lease(session, account_id, owner, now, now + LEASE):
                skipped = RefreshOutcome(account_id, "busy")
                return None
            return token_of(account), self.provider(account)

        def call(claimed: tuple[TokenSet, SocialProvider]) -> TokenSet | ProviderError:
            token, provider = claimed
            try:
                return provider.refresh(token)
            except ProviderError as exc:
                return exc

        def record(
            session: Session, _claimed: object, answer: TokenSet | ProviderError
        ) -> RefreshOutcome:
            account = session.get(SocialAccount, account_id)
            assert account is not None
            repository.release_refresh_lease(session, account_id, owner)
            if isinstance(answer, ReauthRequired | Rejected):
                # Rejected too: X and LinkedIn answer a dead (used, revoked, expired) refresh
                # token with 400 invalid_request, which no retry will ever change.
                reason = f"{account.platform} refused to renew the token: {answer.message}"
                if (account.status_reason or "").endswith(LOST_ANSWER):
                    reason = (
                        f"{account.platform} refused to renew the token ({answer.message}): an "
                        "earlier renewal most likely succeeded but its answer was lost, and "
                        "the single-use refresh token it consumed cannot be used again"
                    )
                mark_reauth_required(session, account, reason)
                return RefreshOutcome(account_id, "reauth_required")
            if isinstance(answer, ProviderError):
                return self._refresh_failed(session, account, answer)
            # Committed with this transaction, before anything uses it: the old refresh token
            # is now dead.
            fresh = answer
            account.access_token = fresh.access_token
            if fresh.refresh_token:
                rotated = fresh.refresh_token != account.refresh_token
                account.refresh_token = fresh.refresh_token
                # A refresh token that did not rotate (LinkedIn) keeps its deadline; the
                # remaining lifetime the platform reports would only add clock drift.
                if fresh.refresh_expires_at is not None and (
                    rotated or account.refresh_expires_at is None
                ):
                    account.refresh_expires_at = fresh.refresh_expires_at
            account.expires_at = fresh.expires_at
            account.last_refreshed_at = utcnow()
            account.refresh_failures = 0
            account.next_refresh_attempt_at = None
            if account.status != AccountStatus.active:
                account.status = AccountStatus.active
                account.status_reason = None
            notices.resolve_for_account(session, account, "refresh_failing")
            log.info("accounts.token.refreshed", account_id=account_id)
            return RefreshOutcome(account_id, "refreshed")

        try:
            outcome = unit_of_work(self.database, claim, call, record)
        except Exception:
            # Whatever broke after the lease was taken, the next try need not wait it out.
            with self.database.session() as session:
                repository.release_refresh_lease(session, account_id, owner)
            raise
        return (
            outcome if outcome is not None else (skipped or RefreshOutcome(account_id, "skipped"))
        )

    def _refresh_failed(
        self, session: Session, account: SocialAccount, exc: ProviderError
    ) -> RefreshOutcome:
        account_id = account.id
        account.refresh_failures += 1
        if isinstance(exc, OutcomeUnknown) and rotates_refresh_tokens(account.platform):
            # The platform may have rotated the refresh token and the answer was lost: the
            # stored one is then dead. The next attempt tells; until then keep trying.
            reason = LOST_ANSWER
        elif isinstance(exc, RateLimited):
            reason = f"rate limited, retrying in {int(exc.retry_after)} s"
        else:
            reason = exc.message
        delay = (
            timedelta(seconds=exc.retry_after)
            if isinstance(exc, RateLimited)
            else min(MAX_BACKOFF, timedelta(minutes=2 ** min(account.refresh_failures, 6)))
        )
        account.next_refresh_attempt_at = utcnow() + delay
        account.status = AccountStatus.refresh_failing
        account.status_reason = f"Token refresh failing: {reason}"
        expired = account.expires_at is not None and account.expires_at <= utcnow()
        if expired or account.refresh_failures >= 3:
            notices.raise_for_account(
                session,
                account,
                "refresh_failing",
                f"Can't renew the token of {account.name}",
                f"{account.platform} answered: {exc.message}. We keep retrying "
                f"(attempt {account.refresh_failures}).",
            )
        log.warning(
            "accounts.token.refresh_failed",
            account_id=account_id,
            error=exc.message,
            outcome=type(exc).__name__,
        )
        return RefreshOutcome(account_id, "failing")

    def refresh_due(self) -> list[RefreshOutcome]:
        now = utcnow()
        horizons = {platform: now + margin for platform, margin in refresh_margins().items()}
        with self.database.session() as session:
            candidates = repository.due_for_refresh(session, now, horizons, now + DEFAULT_MARGIN)
        return [self.refresh(account_id) for account_id in candidates]

    def call(self, account_id: int, fn: Callable[[SocialProvider, TokenSet], T]) -> T:
        """Run ``fn`` with the account's token. A 401 (``ReauthRequired``) triggers one forced
        refresh and one retry; if that fails too, the account needs the user."""
        with self.database.read_session() as session:  # a read: no write lock for it
            account = session.get(SocialAccount, account_id)
            if account is None:
                raise ReauthRequired("unknown", f"account {account_id} does not exist")
            token = token_of(account)
            provider = self.provider(account)
        try:
            return fn(provider, token)
        except ReauthRequired as rejected:
            outcome = self.refresh(account_id, force=True)
            if outcome.result in ("failing", "busy"):
                # The renewal hit transient trouble (the account is refresh_failing and the
                # sweep retries it) or another worker is renewing right now: not the user's
                # problem yet, so the caller retries later instead of giving up.
                raise Transient(
                    rejected.platform,
                    "the platform rejected the token and it could not be renewed just now",
                ) from rejected
            if outcome.result != "refreshed":
                with self.database.session() as session:
                    account = session.get(SocialAccount, account_id)
                    assert account is not None
                    if account.status != AccountStatus.reauth_required:
                        mark_reauth_required(session, account, "the platform rejected the token")
                raise
            with self.database.read_session() as session:
                account = session.get(SocialAccount, account_id)
                assert account is not None
                token = token_of(account)
            try:
                return fn(provider, token)
            except ReauthRequired as exc:
                with self.database.session() as session:
                    account = session.get(SocialAccount, account_id)
                    assert account is not None
                    mark_reauth_required(session, account, exc.message)
                raise

    def verify(self, account_id: int) -> SocialAccount:
        """Prove the connection works with a cheap authenticated call (and refresh the name,
        avatar and follower count on the way). A failure is recorded on the account by
        :meth:`call` and raised."""

        def claim(session: Session) -> str | None:
            account = session.get(SocialAccount, account_id)
            return account.external_id if account is not None else None

        def record(session: Session, _external_id: str, profile: AccountProfile) -> SocialAccount:
            account = session.get(SocialAccount, account_id)
            assert account is not None
            account.name = profile.name or account.name
            account.avatar_url = profile.avatar_url or account.avatar_url
            if profile.followers is not None:
                account.followers = profile.followers
            account.last_verified_at = utcnow()
            if account.status == AccountStatus.reauth_required:
                account.status = AccountStatus.active
                account.status_reason = None
                notices.resolve_for_account(session, account)
            return account

        verified = unit_of_work(
            self.database,
            claim,
            lambda external_id: self.call(account_id, lambda p, t: p.verify(external_id, t)),
            record,
        )
        if verified is None:
            raise ReauthRequired("unknown", f"account {account_id} does not exist")
        return verified

    def warn_expiring(self, now: datetime | None = None) -> int:
        """Notify owners 7 days before an expiry only they can fix (a LinkedIn refresh token's
        end, or an access token with no way to refresh it)."""
        now = now or utcnow()
        created = 0
        with self.database.session() as session:
            for account in repository.all_active(session):
                deadline = user_fix_deadline(account)
                if deadline is None:
                    continue
                if deadline <= now + WARN_BEFORE:
                    notices.raise_for_account(
                        session,
                        account,
                        "expires_soon",
                        f"{account.name} needs a fresh sign-in by {deadline:%d %b %Y}",
                        f"{account.platform} will stop accepting this connection on "
                        f"{deadline:%d %b %Y %H:%M} UTC and it can't be renewed automatically. "
                        "Click Reconnect on the Connections page before then.",
                        due_at=deadline,
                    )
                    created += 1
        return created


def user_fix_deadline(account: SocialAccount) -> datetime | None:
    """When this connection dies unless the user signs in again (None: it renews itself)."""
    if account.refresh_token:
        return account.refresh_expires_at
    return account.expires_at
