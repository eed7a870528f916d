"""``growth-manager create-user`` against the test database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from growth_manager import db as db_module
from growth_manager.auth.service import users
from growth_manager.cli import main
from growth_manager.config import Settings, get_settings
from growth_manager.db import Database
from growth_manager.models.user import User

PASSWORD = "a fine cli password"


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("GROWTH_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("GROWTH_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
    database = db_module._databases.pop(settings.effective_database_url, None)
    if database is not None:
        database.dispose()


@pytest.mark.usefixtures("cli_env")
def test_create_user_makes_a_user_who_can_log_in(database: Database) -> None:
    result = CliRunner().invoke(
        main,
        ["create-user", "--email", "CLI@Example.com", "--name", "Cli", "--password", PASSWORD],
    )
    assert result.exit_code == 0, result.output
    assert "Created user CLI@Example.com" in result.output
    with database.session() as session:
        user = session.scalar(select(User).where(User.email == "cli@example.com"))
        assert user is not None
        assert user.name == "Cli"
        assert users.authenticate(session, "cli@example.com", PASSWORD).id == user.id


@pytest.mark.usefixtures("cli_env")
def test_create_user_prompts_for_the_password_twice(database: Database) -> None:
    result = CliRunner().invoke(
        main, ["create-user", "--email", "prompt@example.com"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    with database.session() as session:
        assert session.scalar(select(User).where(User.email == "prompt@example.com")) is not None


@pytest.mark.usefixtures("cli_env")
def test_create_user_reports_a_duplicate_or_a_short_password(database: Database) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["create-user", "--email", "once@example.com", "--password", PASSWORD])
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(
        main, ["create-user", "--email", "ONCE@example.com", "--password", PASSWORD]
    )
    assert again.exit_code == 1
    assert "already exists" in again.output
    short = runner.invoke(main, ["create-user", "--email", "short@example.com", "--password", "x"])
    assert short.exit_code == 1
    assert "at least 10 characters" in short.output
    with database.session() as session:
        assert len(session.scalars(select(User)).all()) == 1
