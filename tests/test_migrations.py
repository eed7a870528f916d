"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from growth_manager.config import Settings
from growth_manager.db import make_engine
from growth_manager.migrate import MIGRATIONS_DIR, current_heads, upgrade
from growth_manager.models import Base
from tests.conftest import POSTGRES_ADMIN_URL


def _fresh_url(db_kind: str, tmp_path: Path) -> str:
    if db_kind == "sqlite":
        return f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    name = f"growth_migrate_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _drop(url: str) -> None:
    if url.startswith("sqlite"):
        return
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def test_migration_files_are_named_by_date_and_slug() -> None:
    files = sorted(p.name for p in (MIGRATIONS_DIR / "versions").glob("*.py"))
    assert files, "no migrations"
    for name in files:
        date, _, rest = name.partition("_")
        assert len(date) == 10, name
        assert date[4] == date[7] == "-", name
        assert rest, name


def test_upgrade_head_matches_the_models(db_kind: str, tmp_path: Path) -> None:
    url = _fresh_url(db_kind, tmp_path)
    try:
        settings = Settings(data_dir=tmp_path, database_url=url)
        upgrade(settings)
        upgrade(settings)  # running it again is a no-op
        engine = make_engine(url)
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        assert diff == [], f"models and migrations differ: {diff}"
        assert [version] == current_heads(settings)
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
        engine.dispose()
    finally:
        _drop(url)
