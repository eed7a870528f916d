"""The users service against the real database: sign-up rules, password checks, API tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import func, select

from growth_manager.auth import repository
from growth_manager.auth.dependencies import hash_api_token
from growth_manager.auth.service import (
    EMAIL_TAKEN,
    INVALID_CREDENTIALS,
    InvalidCredentials,
    users,
)
from growth_manager.config import get_settings
from growth_manager.db import Database
from growth_manager.errors import Conflict, InvalidInput, NotFound
from growth_manager.models.user import ApiToken, User

PASSWORD = "correct horse battery"


def _user_count(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(User)) or 0


def test_signup_normalises_email_and_stores_an_argon2id_hash(database: Database) -> None:
    with database.session() as session:
        user = users.signup(session, "  Ana.Lopez@Example.COM ", PASSWORD, name=" Ana ")
        user_id = user.id
    with database.session() as session:
        stored = session.get(User, user_id)
        assert stored is not None
        assert stored.email == "ana.lopez@example.com"
        assert stored.name == "Ana"
        assert stored.password_hash.startswith("$argon2id$")
        assert PASSWORD not in stored.password_hash


def test_signup_refuses_a_short_password_with_a_clear_message(database: Database) -> None:
    with database.session() as session, pytest.raises(InvalidInput) as caught:
        users.signup(session, "short@example.com", "nine char")
    assert caught.value.detail == "password: use at least 10 characters (this one has 9)."
    assert _user_count(database) == 0


def test_signup_refuses_an_invalid_email(database: Database) -> None:
    with database.session() as session, pytest.raises(InvalidInput) as caught:
        users.signup(session, "not-an-email", PASSWORD)
    assert caught.value.detail.startswith("email: ")
    assert _user_count(database) == 0


def test_duplicate_email_in_another_case_is_a_conflict_and_changes_nothing(
    database: Database,
) -> None:
    with database.session() as session:
        users.signup(session, "owner@example.com", PASSWORD, name="First")
    with database.session() as session, pytest.raises(Conflict) as caught:
        users.signup(session, "OWNER@example.com", "another password", name="Second")
    assert caught.value.detail == EMAIL_TAKEN
    assert _user_count(database) == 1
    with database.session() as session:
        user = repository.user_by_email(session, "owner@example.com")
        assert user is not None
        assert user.name == "First"


def test_signup_race_lost_at_the_unique_index_is_a_conflict_and_keeps_the_transaction(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with database.session() as session:
        users.signup(session, "race@example.com", PASSWORD)
    # The other sign-up committed between our existence check and our insert: the check sees
    # nothing, the unique index refuses the row.
    monkeypatch.setattr(repository, "user_by_email", lambda _session, _email: None)
    with database.session() as session:
        with pytest.raises(Conflict):
            users.signup(session, "race@example.com", PASSWORD)
        # The savepoint was rolled back, not the whole transaction: the session still works.
        session.add(User(email="after-race@example.com", password_hash="x", name="still usable"))
    assert _user_count(database) == 2


def test_wrong_password_unknown_email_and_disabled_account_get_one_message(
    database: Database,
) -> None:
    with database.session() as session:
        users.signup(session, "known@example.com", PASSWORD)
        disabled = users.signup(session, "disabled@example.com", PASSWORD)
        disabled.is_active = False
    details = []
    for email, password in [
        ("known@example.com", "wrong password!"),
        ("nobody@example.com", PASSWORD),
        ("disabled@example.com", PASSWORD),
    ]:
        with database.session() as session, pytest.raises(InvalidCredentials) as caught:
            users.authenticate(session, email, password)
        details.append(caught.value.detail)
    assert details == [INVALID_CREDENTIALS] * 3


def test_unknown_email_still_costs_one_password_verification(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    verified: list[str] = []
    real_verify = users.hasher.verify

    def counting_verify(password: str, hash: str) -> bool:
        verified.append(hash)
        return real_verify(password, hash)

    monkeypatch.setattr(users.hasher, "verify", counting_verify)
    with database.session() as session, pytest.raises(InvalidCredentials):
        users.authenticate(session, "ghost@example.com", PASSWORD)
    assert len(verified) == 1
    assert verified[0].startswith("$argon2id$")


def test_login_is_case_insensitive_and_records_the_time(database: Database) -> None:
    with database.session() as session:
        users.signup(session, "case@example.com", PASSWORD)
    moment = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    with time_machine.travel(moment, tick=False), database.session() as session:
        user = users.authenticate(session, "  CASE@Example.com", PASSWORD)
        assert user.last_login_at == moment


def test_an_outdated_hash_is_upgraded_at_login(database: Database) -> None:
    weak = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8192, parallelism=1),))
    with database.session() as session:
        session.add(User(email="old@example.com", password_hash=weak.hash(PASSWORD)))
    with database.session() as session:
        users.authenticate(session, "old@example.com", PASSWORD)
    with database.session() as session:
        user = repository.user_by_email(session, "old@example.com")
        assert user is not None
        assert "m=8192" not in user.password_hash
        assert users.hasher.verify(PASSWORD, user.password_hash)
        valid, again = users.hasher.verify_and_update(PASSWORD, user.password_hash)
        assert valid
        assert again is None


def test_api_token_is_opaque_stored_hashed_and_expires_after_the_configured_days(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GROWTH_API_TOKEN_DAYS", "7")
    get_settings.cache_clear()
    moment = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
    try:
        with time_machine.travel(moment, tick=False), database.session() as session:
            user = users.signup(session, "tokens@example.com", PASSWORD)
            plaintext, token = users.issue_api_token(session, user, "ci")
            token_id = token.id
    finally:
        get_settings.cache_clear()
    assert plaintext.startswith("gm_")
    assert len(plaintext) >= 40
    with database.session() as session:
        stored = session.get(ApiToken, token_id)
        assert stored is not None
        assert stored.token_hash == hash_api_token(plaintext)
        assert plaintext not in stored.token_hash
        assert stored.name == "ci"
        assert stored.expires_at == moment + timedelta(days=7)


def test_revoking_a_token_is_idempotent_and_limited_to_its_owner(database: Database) -> None:
    with database.session() as session:
        owner = users.signup(session, "owner@example.com", PASSWORD)
        other = users.signup(session, "other@example.com", PASSWORD)
        _, token = users.issue_api_token(session, owner, "laptop")
        with pytest.raises(NotFound):
            users.revoke_token(session, other, token.id)
        assert token.revoked_at is None
        first = users.revoke_token(session, owner, token.id).revoked_at
        assert first is not None
        assert users.revoke_token(session, owner, token.id).revoked_at == first
        assert users.active_tokens(session, owner) == []
