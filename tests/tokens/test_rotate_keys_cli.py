"""``growth-manager rotate-keys``: re-encrypts every stored token under the newest key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet, InvalidToken

from growth_manager.cli import main
from growth_manager.config import Settings, get_settings
from growth_manager.db import Database
from growth_manager.kit import crypto
from growth_manager.models.accounts import SocialAccount
from tests.support.owners import Owner, raw_tokens, store_x_account

ACCESS = "cli-access-token-0123456789"
REFRESH = "cli-refresh-token-9876543210"


@pytest.fixture
def original_keys() -> Iterator[list[str]]:
    keys = crypto.current_keys()
    yield keys
    crypto.configure_keys(keys)  # the command installs the keys it is given
    get_settings.cache_clear()


def test_help_explains_the_three_steps() -> None:
    result = CliRunner().invoke(main, ["rotate-keys", "--help"])
    assert result.exit_code == 0, result.output
    text_ = " ".join(result.output.split())
    assert "Put the new key FIRST in GROWTH_TOKEN_ENCRYPTION_KEYS" in text_
    assert "Run growth-manager rotate-keys" in text_
    assert "Drop the old key" in text_
    listing = CliRunner().invoke(main, ["--help"])
    assert "rotate-keys" in listing.output
    assert "Re-encrypt every stored token" in listing.output


def test_rotate_keys_moves_every_token_to_the_first_key(
    settings: Settings,
    database: Database,
    owner: Owner,
    original_keys: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account_id = store_x_account(database, owner, ACCESS, REFRESH)
    before = raw_tokens(database, account_id)
    new_key = Fernet.generate_key().decode()
    monkeypatch.setenv("GROWTH_TOKEN_ENCRYPTION_KEYS", ",".join([new_key, *original_keys]))
    monkeypatch.setenv("GROWTH_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("GROWTH_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()

    result = CliRunner().invoke(main, ["rotate-keys"])

    assert result.exit_code == 0, result.output
    assert "under the newest of 2 key(s)" in result.output
    assert "social_account: 1 row(s) re-encrypted." in result.output
    assert "Done." in result.output
    after = raw_tokens(database, account_id)
    new = Fernet(new_key.encode())
    for old_value, new_value, plain in zip(before, after, (ACCESS, REFRESH), strict=True):
        assert new_value != old_value
        assert new.decrypt(new_value.encode()).decode() == plain
        with pytest.raises(InvalidToken):  # the old key is no longer needed
            Fernet(original_keys[0].encode()).decrypt(new_value.encode())
    assert ACCESS not in result.output
    assert REFRESH not in result.output


def test_a_value_no_key_can_read_is_reported_not_a_traceback(
    settings: Settings,
    database: Database,
    owner: Owner,
    original_keys: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with database.session() as session:
        session.add(
            SocialAccount(
                business_id=owner.business_id,
                platform="x",
                kind="user",
                external_id="43",
                name="Acme",
                access_token=ACCESS,
            )
        )
    # The old key was dropped before rotating: nothing can decrypt the stored token.
    monkeypatch.setenv("GROWTH_TOKEN_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    monkeypatch.setenv("GROWTH_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("GROWTH_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()

    result = CliRunner().invoke(main, ["rotate-keys"])

    assert result.exit_code == 1
    assert "cannot be decrypted with the configured keys" in result.output
    assert "Traceback" not in result.output
