"""Tokens are encrypted at rest with MultiFernet, and rotate-keys moves them to a new key."""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import text

from growth_manager.db import Database
from growth_manager.kit import crypto
from growth_manager.models.accounts import SocialAccount
from growth_manager.tokens.keys import rotate_all
from tests.support.owners import Owner, raw_tokens, store_x_account

ACCESS = "AAAA-live-access-token-do-not-leak-1234567890"
REFRESH = "RRRR-live-refresh-token-do-not-leak-0987654321"


def test_tokens_are_not_stored_in_plaintext(database: Database, owner: Owner) -> None:
    account_id = store_x_account(database, owner, ACCESS, REFRESH)
    access, refresh = raw_tokens(database, account_id)
    assert ACCESS not in access
    assert REFRESH not in refresh
    assert crypto.decrypt(access) == ACCESS
    with database.session() as session:
        account = session.get(SocialAccount, account_id)
        assert account is not None
        assert (account.access_token, account.refresh_token) == (ACCESS, REFRESH)


def test_database_files_never_contain_a_token(database: Database, owner: Owner) -> None:
    store_x_account(database, owner, ACCESS, REFRESH)
    if database.engine.dialect.name != "sqlite":
        with database.engine.connect() as conn:
            dump = conn.execute(text("SELECT CAST(social_account AS text) FROM social_account"))
            content = "\n".join(str(r[0]) for r in dump)
        assert ACCESS not in content
        assert REFRESH not in content
        return
    path = Path(database.engine.url.database or "")
    blobs = [p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists()]
    assert blobs
    for blob in blobs:
        assert ACCESS.encode() not in blob
        assert REFRESH.encode() not in blob


def test_rotation_moves_every_token_to_the_new_key(database: Database, owner: Owner) -> None:
    account_id = store_x_account(database, owner, ACCESS, REFRESH)
    before, _ = raw_tokens(database, account_id)
    original = crypto.current_keys()
    new_key = Fernet.generate_key().decode()
    try:
        crypto.configure_keys([new_key, *original])
        assert crypto.decrypt(before) == ACCESS  # the old key still decrypts
        counts = rotate_all(database)
        assert counts["social_account"] >= 1
        after, _ = raw_tokens(database, account_id)
        assert after != before
        # Only the new key is needed now; the old one can't read the rotated value.
        crypto.configure_keys([new_key])
        with database.session() as session:
            account = session.get(SocialAccount, account_id)
            assert account is not None
            assert (account.access_token, account.refresh_token) == (ACCESS, REFRESH)
        try:
            Fernet(original[0].encode()).decrypt(after.encode())
        except InvalidToken:
            pass
        else:
            raise AssertionError("the rotated token is still readable with the old key")
    finally:
        crypto.configure_keys(original)
