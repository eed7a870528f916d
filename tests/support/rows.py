"""Whole-table snapshots, to prove a refused request added, removed or altered nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from growth_manager.db import Database
from growth_manager.models.base import Base


def row_counts(database: Database) -> dict[str, int]:
    """Rows per table, to prove a refused request added or removed nothing."""
    with database.session() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


def business_rows(database: Database) -> list[tuple[object, ...]]:
    """Every column of every business, membership and strategy row, to prove a refused
    change altered nothing either."""
    rows: list[tuple[object, ...]] = []
    with database.session() as session:
        for name in ("business", "business_member", "strategy"):
            table = Base.metadata.tables[name]
            rows.extend((name, *row) for row in session.execute(select(table).order_by(table.c.id)))
    return rows
