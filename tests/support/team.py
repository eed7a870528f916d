"""A business with one member of each role, and a stranger who owns another business (the
``team`` fixture in tests/conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass

from growth_manager.db import Database
from growth_manager.models.business import Role
from tests.support.factories import add_member, bearer_for, make_business, make_user


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


def make_team(database: Database) -> Team:
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
