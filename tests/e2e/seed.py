"""Data for page-level browser tests, written straight to the database the live server uses.

The flow test creates everything through the UI; layout tests only need pages with content.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from growth_manager.business.access import require_business
from growth_manager.content.schemas import DraftCreate
from growth_manager.content.service import drafts
from growth_manager.db import Database
from growth_manager.models.business import Business, BusinessMember, Role, Strategy
from growth_manager.models.content import Platform
from growth_manager.models.user import User


@dataclass(frozen=True)
class Seeded:
    business_id: int
    strategy_id: int
    draft_id: int


def seed_business(database: Database, email: str) -> Seeded:
    """A business with a long name (to test truncation), a strategy and a draft."""
    with database.session() as session:
        user = session.scalars(select(User).where(User.email == email)).one()
        business = Business(
            name="Bluebird Bakery & Café on the Corner of Main Street",
            timezone="Europe/London",
            website="https://bluebird.example",
            industry="Food and drink",
            description="Sourdough, pastries and coffee in the old town since 2009.",
        )
        session.add(business)
        session.flush()
        session.add(BusinessMember(business_id=business.id, user_id=user.id, role=Role.owner))
        strategy = Strategy(
            business_id=business.id,
            name="Spring launch",
            goals="Fill the Saturday brunch tables",
            target_audience="Local families and remote workers",
            tone_of_voice="Warm, playful, short sentences",
            topics=["sourdough", "brunch"],
            keywords=["bakery", "brunch"],
            platforms=["x", "linkedin"],
            cadence={"x": {"posts_per_week": 3, "preferred_days": [1, 3, 5]}},
        )
        session.add(strategy)
        session.flush()
        access = require_business(session, user, business.id, Role.editor)
        draft = drafts.create(
            session,
            access,
            DraftCreate(
                title="Saturday brunch is back",
                base_text="Our Saturday brunch is back from 9am: sourdough pancakes, "
                "proper coffee and a table by the window. See you there!",
                strategy_id=strategy.id,
                platforms=[Platform.x, Platform.linkedin],
            ),
        )
        return Seeded(business_id=business.id, strategy_id=strategy.id, draft_id=draft.id)
