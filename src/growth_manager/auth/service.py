"""Users: sign-up, password login and change, dashboard sessions and API bearer tokens.

Passwords are hashed with argon2id (pwdlib's recommended parameters). API tokens are opaque
random strings; only their SHA-256 is stored, so a leaked database cannot be replayed against
the API.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import cached_property

import structlog
from email_validator import EmailNotValidError, validate_email
from pwdlib import PasswordHash
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from growth_manager.auth import repository
from growth_manager.auth.dependencies import API_TOKEN_PREFIX, hash_api_token
from growth_manager.auth.sessions import (
    BrowserSession,
    SessionStore,
    new_session,
    session_secret_hash,
)
from growth_manager.config import get_settings
from growth_manager.errors import AppError, Conflict, InvalidInput, NotFound
from growth_manager.kit.clock import utcnow
from growth_manager.models.user import ApiToken, User

log = structlog.get_logger(__name__)

MIN_PASSWORD_LENGTH = 10
# Hashing cost grows with input length; a cap stops a megabyte "password" tying up a worker.
MAX_PASSWORD_LENGTH = 1024
MAX_NAME_LENGTH = 200
INVALID_CREDENTIALS = "Email or password is incorrect."
EMAIL_TAKEN = "An account with this email already exists. Log in instead."
WRONG_CURRENT_PASSWORD = "current_password: this is not your current password."  # noqa: S105


class InvalidCredentials(AppError):
    """One message for unknown email, wrong password and disabled account alike, so the
    answer never tells an attacker which emails have accounts."""

    status_code = 401
    type = "invalid_credentials"

    def __init__(self) -> None:
        super().__init__(INVALID_CREDENTIALS, headers={"WWW-Authenticate": "Bearer"})


def normalise_email(email: str) -> str:
    """The stored form of an email: validated, trimmed and lower-cased (emails are unique
    case-insensitively; no mail provider people use treats the local part's case as distinct)."""
    try:
        valid = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput(f"email: {exc}") from exc
    return valid.normalized.lower()


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"password: use at least {MIN_PASSWORD_LENGTH} characters "
            f"(this one has {len(password)})."
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"password: use at most {MAX_PASSWORD_LENGTH} characters.")


class UserService:
    def __init__(self) -> None:
        self.hasher = PasswordHash.recommended()

    @cached_property
    def _dummy_hash(self) -> str:
        # Verified against when the email is unknown, so that case costs one argon2 verify
        # like a wrong password does and response times don't reveal which emails exist.
        return self.hasher.hash(secrets.token_urlsafe(16))

    def signup(self, session: Session, email: str, password: str, name: str = "") -> User:
        email = normalise_email(email)
        check_password(password)
        name = name.strip()
        if len(name) > MAX_NAME_LENGTH:
            raise InvalidInput(f"name: use at most {MAX_NAME_LENGTH} characters.")
        if repository.user_by_email(session, email) is not None:
            log.info("auth.signup.duplicate")
            raise Conflict(EMAIL_TAKEN)
        user = User(email=email, name=name, password_hash=self.hasher.hash(password))
        # Two sign-ups with one email can both pass the check above; the unique index decides.
        # The savepoint keeps the caller's transaction usable after the losing insert.
        try:
            with session.begin_nested():
                session.add(user)
                session.flush()
        except IntegrityError as exc:
            log.info("auth.signup.duplicate", race=True)
            raise Conflict(EMAIL_TAKEN) from exc
        log.info("auth.signup.succeeded", user_id=user.id)
        return user

    def authenticate(self, session: Session, email: str, password: str) -> User:
        user = repository.user_by_email(session, email.strip().lower())
        if user is None:
            self.hasher.verify(password, self._dummy_hash)
            log.info("auth.login.failed", reason="unknown_email")
            raise InvalidCredentials()
        valid, new_hash = self.hasher.verify_and_update(password, user.password_hash)
        if not valid or not user.is_active:
            log.info(
                "auth.login.failed",
                user_id=user.id,
                reason="wrong_password" if not valid else "inactive",
            )
            raise InvalidCredentials()
        if new_hash is not None:
            # The stored hash used weaker parameters than today's; upgrade it while we have
            # the plaintext.
            user.password_hash = new_hash
            log.info("auth.password.rehashed", user_id=user.id)
        user.last_login_at = utcnow()
        session.flush()
        log.info("auth.login.succeeded", user_id=user.id)
        return user

    def change_password(
        self,
        session: Session,
        store: SessionStore,
        user: User,
        *,
        current_password: str,
        new_password: str,
        keep_session: str | None,
    ) -> int:
        """Sets a new password and ends every other dashboard session of the user (a thief's
        included); returns how many ended. The session ``keep_session`` stays signed in."""
        if not self.hasher.verify(current_password, user.password_hash):
            log.info("auth.password.change_refused", user_id=user.id, reason="wrong_password")
            raise InvalidInput(WRONG_CURRENT_PASSWORD)
        try:
            check_password(new_password)
        except InvalidInput as exc:
            raise InvalidInput("new_" + exc.detail) from exc
        if new_password == current_password:
            raise InvalidInput("new_password: choose a password different from the current one.")
        user.password_hash = self.hasher.hash(new_password)
        session.flush()
        ended = store.end_all(session, user.id, keep=keep_session)
        log.info("auth.password.changed", user_id=user.id, sessions_ended=ended)
        return ended

    def start_session(
        self,
        session: Session,
        store: SessionStore,
        user: User,
        *,
        lifetime: timedelta,
        user_agent: str,
        ip_address: str,
    ) -> str:
        """Opens a dashboard session; returns the secret for the cookie (stored only hashed)."""
        secret, browser = new_session(user.id, utcnow(), lifetime, user_agent, ip_address)
        store.create(session, session_secret_hash(secret), browser)
        log.info("auth.session.started", user_id=user.id, session_id=browser.id)
        return secret

    def sessions_of(
        self, session: Session, store: SessionStore, user: User
    ) -> list[BrowserSession]:
        return store.of_user(session, user.id, utcnow())

    def end_session(
        self, session: Session, store: SessionStore, user: User, session_id: str
    ) -> None:
        """Ends one of the user's sessions; another user's session id is simply not found."""
        if not store.end(session, user.id, session_id):
            raise NotFound(f"Session {session_id} was not found among your active sessions.")
        log.info("auth.session.ended", user_id=user.id, session_id=session_id)

    def end_other_sessions(
        self, session: Session, store: SessionStore, user: User, keep: str | None
    ) -> int:
        ended = store.end_all(session, user.id, keep=keep)
        log.info("auth.session.ended_others", user_id=user.id, count=ended)
        return ended

    def issue_api_token(
        self, session: Session, user: User, name: str = "api", *, lifetime: timedelta | None = None
    ) -> tuple[str, ApiToken]:
        """A new bearer token: the plaintext (shown once) and its stored row.

        ``lifetime`` defaults to ``api_token_days`` of the process settings; the web app passes
        its own settings' value.
        """
        if lifetime is None:
            lifetime = timedelta(days=get_settings().api_token_days)
        plaintext = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(
            user_id=user.id,
            token_hash=hash_api_token(plaintext),
            name=name.strip() or "api",
            expires_at=utcnow() + lifetime,
        )
        session.add(token)
        session.flush()
        log.info("auth.token.issued", user_id=user.id, token_id=token.id)
        return plaintext, token

    def revoke_token(self, session: Session, user: User, token_id: int) -> ApiToken:
        """Revokes one of the user's tokens; another user's token id is simply not found."""
        token = repository.token_of_user(session, user.id, token_id)
        if token is None:
            raise NotFound(f"API token {token_id} was not found.")
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            session.flush()
            log.info("auth.token.revoked", user_id=user.id, token_id=token.id)
        return token

    def revoke_plaintext_token(self, session: Session, user: User, plaintext: str) -> None:
        """Revokes the token a request authenticated with (logout of an API client)."""
        token = repository.token_by_hash(session, hash_api_token(plaintext))
        if token is not None and token.user_id == user.id:
            self.revoke_token(session, user, token.id)

    def revoke_all_tokens(self, session: Session, user: User) -> int:
        count = repository.revoke_all_tokens_of_user(session, user.id, utcnow())
        log.info("auth.token.revoked_all", user_id=user.id, count=count)
        return count

    def active_tokens(self, session: Session, user: User) -> list[ApiToken]:
        return repository.active_tokens_of_user(session, user.id, utcnow())

    def token_id_of(self, session: Session, plaintext: str) -> int | None:
        token = repository.token_by_hash(session, hash_api_token(plaintext))
        return token.id if token is not None else None


users = UserService()
