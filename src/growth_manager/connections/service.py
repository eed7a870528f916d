"""Connecting social accounts: the OAuth round trip, choosing identities, reconnecting and
disconnecting, with nothing half-connected left behind on any failure.

The flow: :meth:`Connections.start` stores a single-use state (bound to the user and the
business, 10 minutes, PKCE verifier for X) and returns the platform's consent URL. The callback
(:meth:`Connections.complete`) consumes the state, exchanges the code, checks the granted scopes
and either stores the account (one identity, X) or parks the login in a
:class:`PendingConnection` so the user can pick Pages, organizations and Instagram accounts
(:meth:`Connections.choose`). Every failure becomes a :class:`ConnectFailure` whose message the
dashboard shows with what to do next.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

import structlog
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from growth_manager.business.access import BusinessAccess, require_business
from growth_manager.config import Settings
from growth_manager.connections import repository
from growth_manager.connections.state_store import (
    STATE_LIFETIME,
    PendingAuthorization,
    StateStore,
)
from growth_manager.db import Database
from growth_manager.errors import AppError, NotFound
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import AccountStatus, PendingConnection, SocialAccount
from growth_manager.models.business import Role
from growth_manager.models.user import User
from growth_manager.notifications import notices
from growth_manager.providers.base import (
    AccountProfile,
    Connection,
    PlatformKey,
    ProviderConfig,
    TokenSet,
)
from growth_manager.providers.errors import ProviderError
from growth_manager.providers.http import RateLimitState
from growth_manager.providers.oauth import new_code_verifier, new_state
from growth_manager.providers.registry import descriptor, is_platform, platforms, provider_for
from growth_manager.tokens.keeper import TokenKeeper, token_of
from growth_manager.tokens.platforms import require_config

log = structlog.get_logger(__name__)

PENDING_LIFETIME = timedelta(minutes=15)
CANCEL_ERRORS = {"access_denied", "user_cancelled_authorize", "user_cancelled_login"}
# Why a connect attempt ended where the browser may land on /connections/failed: with no
# business to return to, or with nobody logged in. That page is public and its URL can be
# crafted by anyone, so the URL carries only one of these reasons and the page shows the text
# chosen here; an unknown reason gets GENERIC_FAILURE. Never put text from the URL on it.
FAILURE_REASONS: dict[str, str] = {
    "no_state": "The platform sent no state with its answer, so this sign-in can't be trusted. "
    "Start again from the Connections page.",
    "state_unknown": "This sign-in link was already used or is unknown. "
    "Start again from the Connections page.",
    "wrong_platform": "The answer came back on the wrong platform's address. Start again.",
    "expired": "The sign-in took longer than 10 minutes and expired. Start again; it takes "
    "under a minute.",
    "other_user": "This sign-in was started by another Growth Manager user. Log in as that "
    "user, or start the connection yourself.",
}
GENERIC_FAILURE = "The connection did not complete. Start again from the Connections page."

# Parts of the product that start work for a newly connected (or reconnected) account register
# it here (analytics: import its recent posts), so connecting needs to know none of them. Each
# runs in the transaction that stores the account; work outside the database waits for its
# commit.
AccountConnected = Callable[[Session, SocialAccount, User], None]
_on_connected: list[AccountConnected] = []


def on_account_connected(hook: AccountConnected) -> AccountConnected:
    if hook not in _on_connected:
        _on_connected.append(hook)
    return hook


def failure_message(reason: str) -> str:
    return FAILURE_REASONS.get(reason, GENERIC_FAILURE)


T = TypeVar("T")


class ConnectFailure(AppError):
    """A connect attempt that ended without connecting; the message says what to do.

    ``reason`` is one of :data:`FAILURE_REASONS` when the failure can be shown without a
    business (see there); other failures keep the default and carry their own message.
    """

    status_code = 400
    type = "connect_failed"

    def __init__(
        self,
        detail: str,
        *,
        business_id: int | None = None,
        platform: str = "",
        reason: str = "failed",
    ) -> None:
        super().__init__(detail)
        self.business_id = business_id
        self.platform = platform
        self.reason = reason

    @classmethod
    def because(
        cls, reason: str, *, business_id: int | None = None, platform: str = ""
    ) -> ConnectFailure:
        return cls(
            FAILURE_REASONS[reason], business_id=business_id, platform=platform, reason=reason
        )


def missing_scopes(platform: str, kind: str, granted: list[str] | tuple[str, ...]) -> list[str]:
    """Scopes without which this account can't publish at all."""
    return descriptor(platform).missing_publish_scopes(kind, granted)


def missing_analytics_scopes(
    platform: str, kind: str, granted: list[str] | tuple[str, ...]
) -> list[str]:
    return descriptor(platform).missing_analytics_scopes(kind, granted)


def _token_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _platform(value: str) -> PlatformKey:
    if not is_platform(value):
        raise NotFound(f"Unknown platform {value!r}; use one of {', '.join(platforms())}.")
    return value


@dataclass
class CompleteResult:
    business_id: int
    platform: str
    connected: list[SocialAccount] = field(default_factory=list)
    pending_token: str | None = None  # set when the user must choose identities


def _token_json(token: TokenSet | None) -> dict[str, Any] | None:
    if token is None:
        return None
    return {
        "access_token": token.access_token,
        "refresh_token": token.refresh_token,
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        "refresh_expires_at": (
            token.refresh_expires_at.isoformat() if token.refresh_expires_at else None
        ),
        "scopes": list(token.scopes),
        "token_type": token.token_type,
    }


def _token_from_json(data: dict[str, Any] | None) -> TokenSet | None:
    if not data:
        return None
    return TokenSet(
        access_token=data["access_token"],
        refresh_token=data.get("refresh_token"),
        expires_at=datetime.fromisoformat(data["expires_at"]) if data.get("expires_at") else None,
        refresh_expires_at=(
            datetime.fromisoformat(data["refresh_expires_at"])
            if data.get("refresh_expires_at")
            else None
        ),
        scopes=tuple(data.get("scopes") or ()),
        token_type=data.get("token_type") or "bearer",
    )


def _profile_json(profile: AccountProfile) -> dict[str, Any]:
    return {
        "platform": profile.platform,
        "kind": profile.kind,
        "external_id": profile.external_id,
        "name": profile.name,
        "username": profile.username,
        "avatar_url": profile.avatar_url,
        "followers": profile.followers,
        "parent_external_id": profile.parent_external_id,
        "token": _token_json(profile.token),
    }


def _profile_from_json(data: dict[str, Any]) -> AccountProfile:
    return AccountProfile(
        platform=data["platform"],
        kind=data["kind"],
        external_id=data["external_id"],
        name=data["name"],
        username=data.get("username"),
        avatar_url=data.get("avatar_url"),
        followers=data.get("followers"),
        parent_external_id=data.get("parent_external_id"),
        token=_token_from_json(data.get("token")),
    )


@dataclass(frozen=True)
class Disconnected:
    account: SocialAccount
    # True: revoked at the platform; False: the platform can't (or refused); None: the token
    # is shared with another connected account, so it was kept valid for that one.
    revoked_at_platform: bool | None


@dataclass(frozen=True)
class ConsumedState:
    """What a consumed OAuth state hands on to the rest of the login."""

    business_id: int
    code_verifier: str | None


@dataclass(frozen=True)
class PendingChoice:
    """A parked login: the identities the user may connect, for the picker page."""

    token: str
    business_id: int
    platform: str
    accounts: list[AccountProfile]
    granted_scopes: tuple[str, ...]
    expires_at: datetime


class Connections:
    def __init__(self, store: StateStore | None = None) -> None:
        self._store = store

    def store(self, settings: Settings) -> StateStore:
        if self._store is None:
            from growth_manager.connections.state_store import state_store_for

            self._store = state_store_for(settings.redis_url)
        return self._store

    # --- start ---------------------------------------------------------------------------------
    def start(
        self,
        session: Session,
        settings: Settings,
        access: BusinessAccess,
        platform_name: str,
        return_to: str | None = None,
    ) -> str:
        """``access`` must hold the owner role."""
        platform = _platform(platform_name)
        business_id = access.business.id
        config = require_config(settings, platform)
        now = utcnow()
        state = new_state()
        verifier = new_code_verifier() if descriptor(platform).uses_pkce else None
        self.store(settings).save(
            session,
            state,
            PendingAuthorization(
                platform=platform,
                user_id=access.user.id,
                business_id=business_id,
                code_verifier=verifier,
                redirect_uri=config.redirect_uri,
                return_to=return_to,
                created_at=now,
                expires_at=now + STATE_LIFETIME,
            ),
        )
        log.info("accounts.connect.started", platform=platform, business_id=business_id)
        return provider_for(platform, config).authorization_url(state, verifier)

    # --- callback ------------------------------------------------------------------------------
    def complete(
        self,
        database: Database,
        settings: Settings,
        user: User | None,
        callback_platform: str,
        params: dict[str, str],
    ) -> CompleteResult:
        """Finish a login as one unit of work: consume the state in a transaction of its own
        (kept even when the login then fails: a state is single-use), exchange the code with no
        transaction open, then store the account or the choice in a last one."""
        with database.session() as session:
            try:
                consumed = self._consume(session, user, callback_platform, params, settings)
            except ConnectFailure as failure:
                refused: ConnectFailure | None = failure
            else:
                refused = None
        if refused is not None:
            raise refused
        pending, platform, code, login_user = consumed

        def fail(message: str) -> ConnectFailure:
            return ConnectFailure(message, business_id=pending.business_id, platform=platform)

        config = require_config(settings, platform)
        observed: list[RateLimitState] = []
        provider = provider_for(platform, config, observed.extend)
        try:
            connection = provider.complete_login(code, pending.code_verifier)
        except ProviderError as exc:
            log.warning("accounts.connect.exchange_failed", platform=platform, error=exc.message)
            # The owner is logged in here, so the platform's words go to their Connections page.
            raise fail(
                f"{descriptor(platform).display_name} did not accept the sign-in: "
                f"{exc.message}. Start again from the Connections page."
            ) from exc
        with database.session() as session:
            return self._record(
                session, pending, platform, config, connection, observed, login_user, fail
            )

    def _consume(
        self,
        session: Session,
        user: User | None,
        callback_platform: str,
        params: dict[str, str],
        settings: Settings,
    ) -> tuple[ConsumedState, PlatformKey, str, User]:
        state = params.get("state")
        if not state:
            raise ConnectFailure.because("no_state")
        pending = self.store(settings).consume(session, state)
        if pending is None:
            raise ConnectFailure.because("state_unknown")
        platform = _platform(pending.platform)

        def fail(message: str) -> ConnectFailure:
            return ConnectFailure(message, business_id=pending.business_id, platform=platform)

        if callback_platform != descriptor(platform).login_platform:
            raise ConnectFailure.because("wrong_platform")
        if pending.expires_at <= utcnow():
            raise ConnectFailure.because(
                "expired", business_id=pending.business_id, platform=platform
            )
        if user is None or user.id != pending.user_id:
            raise ConnectFailure.because(
                "other_user", business_id=pending.business_id, platform=platform
            )
        # The business comes from the consumed state, not the request: this is its scoping.
        require_business(session, user, pending.business_id, Role.owner)
        error = params.get("error")
        if error:
            if error in CANCEL_ERRORS or params.get("error_reason") == "user_denied":
                raise fail(
                    f"You cancelled the {descriptor(platform).display_name} sign-in, so nothing "
                    "was connected. Click Connect again when you're ready."
                )
            description = params.get("error_description") or error
            raise fail(f"{descriptor(platform).display_name} refused the sign-in: {description}")
        code = params.get("code")
        if not code:
            raise fail("The platform sent no authorization code. Start again.")
        return ConsumedState(pending.business_id, pending.code_verifier), platform, code, user

    def _record(
        self,
        session: Session,
        pending: ConsumedState,
        platform: PlatformKey,
        config: ProviderConfig,
        connection: Connection,
        observed: list[RateLimitState],
        user: User,
        fail: Callable[[str], ConnectFailure],
    ) -> CompleteResult:
        # A login yields identities of its own token family only (a Facebook login: Pages and
        # their Instagram accounts); anything else it reports is not ours to connect.
        family = descriptor(platform).family
        accounts = [
            a
            for a in connection.accounts
            if is_platform(a.platform) and descriptor(a.platform).family == family
        ]
        usable = [
            a
            for a in accounts
            if not missing_scopes(a.platform, a.kind, list(connection.granted_scopes))
        ]
        if not accounts:
            what = descriptor(platform).identities_noun
            raise fail(
                f"This login has no {what} you granted access to. Grant access to at least one "
                "and try again."
            )
        if not usable:
            missing = sorted(
                {
                    scope
                    for a in accounts
                    for scope in missing_scopes(a.platform, a.kind, connection.granted_scopes)
                }
            )
            raise fail(
                "Publishing permissions were not granted (missing: "
                f"{', '.join(missing)}). Connect again and allow every permission asked for."
            )
        result = CompleteResult(business_id=pending.business_id, platform=platform)
        if len(usable) == 1 and descriptor(platform).single_identity:
            account = self._upsert(
                session,
                pending.business_id,
                usable[0],
                connection.token,
                connection.granted_scopes,
                config.is_sandbox,
                user,
            )
            # The budget the login's own calls reported is the account's budget now.
            from growth_manager.tokens.budgets import record_budgets

            record_budgets(session, account.id, observed)
            result.connected.append(account)
            return result
        token = secrets.token_urlsafe(32)
        now = utcnow()
        session.execute(delete(PendingConnection).where(PendingConnection.expires_at <= now))
        session.add(
            PendingConnection(
                token_hash=_token_hash(token),
                platform=platform,
                user_id=user.id,
                business_id=pending.business_id,
                payload=json.dumps(
                    {
                        "token": _token_json(connection.token),
                        "accounts": [_profile_json(a) for a in accounts],
                        "granted_scopes": list(connection.granted_scopes),
                        "is_sandbox": config.is_sandbox,
                    }
                ),
                created_at=now,
                expires_at=now + PENDING_LIFETIME,
            )
        )
        session.flush()
        result.pending_token = token
        return result

    # --- choosing identities ---------------------------------------------------------------
    def _pending_row(
        self, session: Session, access: BusinessAccess, token: str
    ) -> PendingConnection:
        row = session.scalar(
            select(PendingConnection).where(
                PendingConnection.token_hash == _token_hash(token),
                PendingConnection.business_id == access.business.id,
                PendingConnection.user_id == access.user.id,
            )
        )
        if row is None or row.expires_at <= utcnow():
            raise ConnectFailure(
                "This choice expired (15 minutes) or was already made. Connect again.",
                business_id=access.business.id,
            )
        return row

    def pending(self, session: Session, access: BusinessAccess, token: str) -> PendingChoice:
        """``access`` must hold the owner role."""
        row = self._pending_row(session, access, token)
        data = json.loads(row.payload)
        return PendingChoice(
            token=token,
            business_id=access.business.id,
            platform=row.platform,
            accounts=[_profile_from_json(a) for a in data["accounts"]],
            granted_scopes=tuple(data["granted_scopes"]),
            expires_at=row.expires_at,
        )

    def choose(
        self,
        session: Session,
        access: BusinessAccess,
        token: str,
        chosen: list[str],
    ) -> list[SocialAccount]:
        """Connect the chosen identities (``platform:external_id`` keys) of a parked login;
        ``access`` must hold the owner role."""
        business_id = access.business.id
        row = self._pending_row(session, access, token)
        data = json.loads(row.payload)
        login_token = _token_from_json(data["token"])
        granted = tuple(data["granted_scopes"])
        profiles = {
            f"{p.platform}:{p.external_id}": p
            for p in (_profile_from_json(a) for a in data["accounts"])
        }
        unknown = [key for key in chosen if key not in profiles]
        if unknown or not chosen:
            raise ConnectFailure(
                "Choose at least one of the listed accounts."
                if not chosen
                else "That account was not part of this sign-in.",
                business_id=business_id,
            )
        connected: list[SocialAccount] = []
        for key in chosen:
            profile = profiles[key]
            problems = missing_scopes(profile.platform, profile.kind, granted)
            if problems:
                raise ConnectFailure(
                    f"{profile.name} can't be connected: missing permissions "
                    f"{', '.join(problems)}.",
                    business_id=business_id,
                )
            token_set = profile.token or login_token
            assert token_set is not None
            connected.append(
                self._upsert(
                    session,
                    business_id,
                    profile,
                    token_set,
                    granted,
                    bool(data.get("is_sandbox")),
                    access.user,
                    login_expires_at=login_token.expires_at if login_token else None,
                )
            )
        session.delete(row)
        session.flush()
        return connected

    # --- storing -------------------------------------------------------------------------------
    def _upsert(
        self,
        session: Session,
        business_id: int,
        profile: AccountProfile,
        token: TokenSet,
        granted: tuple[str, ...],
        is_sandbox: bool,
        user: User,
        login_expires_at: datetime | None = None,
    ) -> SocialAccount:
        """Create the account, or update an existing one's tokens while keeping its identity,
        history and scheduled posts."""
        now = utcnow()
        account = repository.find(session, business_id, profile.platform, profile.external_id)
        created = account is None
        if account is None:
            account = SocialAccount(
                business_id=business_id,
                platform=profile.platform,
                kind=profile.kind,
                external_id=profile.external_id,
                name=profile.name,
            )
            session.add(account)
        account.kind = profile.kind
        account.name = profile.name
        account.username = profile.username
        account.avatar_url = profile.avatar_url
        account.followers = profile.followers
        account.parent_external_id = profile.parent_external_id
        account.access_token = token.access_token
        if token.refresh_token:
            # Never wipe a stored refresh token because a reconnect answer lacked one.
            account.refresh_token = token.refresh_token
            account.refresh_expires_at = token.refresh_expires_at
        account.expires_at = token.expires_at
        account.login_expires_at = login_expires_at
        account.granted_scopes = list(granted)
        account.status = AccountStatus.active
        account.status_reason = None
        account.is_sandbox = is_sandbox
        account.connected_by_id = user.id
        account.connected_at = now
        account.last_verified_at = now
        account.refresh_failures = 0
        account.next_refresh_attempt_at = None
        session.flush()
        notices.resolve_for_account(session, account)
        for hook in _on_connected:
            hook(session, account, user)
        log.info(
            "accounts.connect.succeeded",
            account_id=account.id,
            platform=account.platform,
            business_id=business_id,
            created=created,
        )
        return account

    # --- reading and disconnecting ---------------------------------------------------------
    def list(self, session: Session, access: BusinessAccess) -> list[SocialAccount]:
        return repository.list_for_business(session, access.business.id)

    def verify_now(
        self,
        database: Database,
        settings: Settings,
        access: BusinessAccess,
        account_id: int,
        shape: Callable[[Session, SocialAccount], T],
    ) -> tuple[T, ProviderError | None]:
        """Check a connection now, as a unit of work: the token keeper calls the platform with
        no transaction open and records the outcome on the account in its own; the account is
        then read afresh and shaped by ``shape`` (the API's body, the page's message)."""
        error: ProviderError | None = None
        try:
            TokenKeeper(database, settings).verify(account_id)
        except ProviderError as exc:  # recorded on the account by the keeper
            error = exc
        with database.read_session() as session:
            return shape(session, self.get(session, access, account_id)), error

    def get(self, session: Session, access: BusinessAccess, account_id: int) -> SocialAccount:
        account = repository.get_for_business(session, access.business.id, account_id)
        if account is None:
            raise NotFound(f"Account {account_id} was not found in this business.")
        return account

    def disconnect(
        self,
        session: Session,
        settings: Settings,
        access: BusinessAccess,
        account_id: int,
    ) -> Disconnected:
        """Revoke at the platform where it can, then delete the tokens. The account row stays
        (status ``disconnected``) so its posts and analytics history stay readable. ``access``
        must hold the owner role."""
        account = self.get(session, access, account_id)
        revoked: bool | None = None
        if account.access_token and not _shares_token_with_others(session, account):
            platform = _platform(account.platform)
            try:
                provider = provider_for(platform, require_config(settings, platform))
                revoked = provider.revoke(token_of(account))
            except (ProviderError, AppError) as exc:
                revoked = False
                # The tokens are deleted here either way; a failed revoke only means the
                # platform keeps a grant the user can remove in its own settings.
                log.warning(
                    "accounts.disconnect.revoke_failed",
                    account_id=account.id,
                    error=getattr(exc, "message", str(exc)),
                )
        account.access_token = None
        account.refresh_token = None
        account.expires_at = None
        account.refresh_expires_at = None
        account.status = AccountStatus.disconnected
        account.status_reason = "Disconnected by a user"
        notices.resolve_for_account(session, account)
        session.flush()
        log.info("accounts.disconnect.succeeded", account_id=account.id, revoked=revoked)
        return Disconnected(account=account, revoked_at_platform=revoked)


def _shares_token_with_others(session: Session, account: SocialAccount) -> bool:
    """One login can connect several identities that share its token: a Facebook Page and its
    Instagram account (one page token), a LinkedIn member and the organizations it
    administers (one member token). Revoking it for one would silently break the others."""
    family = descriptor(account.platform).family
    others = [
        other
        for other in repository.list_for_business(session, account.business_id)
        if other.id != account.id
        and other.status != AccountStatus.disconnected
        and is_platform(other.platform)
        and descriptor(other.platform).family == family
    ]
    return any(other.access_token == account.access_token for other in others)


connections = Connections()
