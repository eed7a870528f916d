"""A business with one member of each role, and a stranger who owns another business."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from growth_manager.db import Database
from growth_manager.models.base import Base
from growth_manager.models.business import Role
from growth_manager.models.user import User
from tests.support.factories import add_member, bearer_for, login_client, make_business, make_user


@dataclass(frozen=True)
class Person:
    id: int
    email: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Team:
    business_id: int
    owner: Person
    editor: Person
    viewer: Person
    stranger: Person
    other_business_id: int

    def by_role(self, role: str) -> Person:
        person: Person = getattr(self, role)
        return person


@pytest.fixture
def team(database: Database) -> Team:
    with database.session() as session:
        people = {}
        for role in ("owner", "editor", "viewer", "stranger"):
            user = make_user(session, f"{role}@example.com", name=role.title())
            people[role] = (user, Person(user.id, user.email, bearer_for(session, user)))
        business = make_business(session, people["owner"][0], name="Bakery Blum")
        add_member(session, business, people["editor"][0], Role.editor)
        add_member(session, business, people["viewer"][0], Role.viewer)
        other = make_business(session, people["stranger"][0], name="Stranger Things Ltd")
        return Team(
            business_id=business.id,
            owner=people["owner"][1],
            editor=people["editor"][1],
            viewer=people["viewer"][1],
            stranger=people["stranger"][1],
            other_business_id=other.id,
        )


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


def login(client: TestClient, database: Database, email: str) -> str:
    """Signs ``client`` in as the user with this email; returns the session's CSRF token."""
    with database.session() as session:
        user = session.scalar(select(User).where(User.email == email))
        assert user is not None
    return login_client(client, user)
