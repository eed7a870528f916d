"""All SQL for businesses, memberships and strategies.

Membership is the tenant boundary: a business is only ever read together with the caller's
membership row (:meth:`BusinessRepository.membership`), and strategies only with
``WHERE business_id = :id``, so an id from another tenant reads as "not found".
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from growth_manager.models.business import Business, BusinessMember, Role, Strategy
from growth_manager.models.content import Post, PostStatus
from growth_manager.models.user import User


class BusinessRepository:
    # Businesses and membership -------------------------------------------------------------
    def membership(
        self, session: Session, user_id: int, business_id: int
    ) -> tuple[Business, Role] | None:
        row = session.execute(
            select(Business, BusinessMember.role)
            .join(BusinessMember, BusinessMember.business_id == Business.id)
            .where(Business.id == business_id, BusinessMember.user_id == user_id)
        ).first()
        if row is None:
            return None
        return row[0], row[1]

    def businesses_of(self, session: Session, user_id: int) -> list[tuple[Business, Role]]:
        rows = session.execute(
            select(Business, BusinessMember.role)
            .join(BusinessMember, BusinessMember.business_id == Business.id)
            .where(BusinessMember.user_id == user_id)
            .order_by(func.lower(Business.name), Business.id)
        ).all()
        return [(business, role) for business, role in rows]

    def lock_business(self, session: Session, business_id: int) -> None:
        """Serialises membership changes of one business until commit (PostgreSQL row lock;
        SQLite already serialises writers), so two owners demoting each other at the same
        moment cannot leave it without an owner."""
        session.execute(
            select(Business.id).where(Business.id == business_id).with_for_update()
        ).first()

    # Members --------------------------------------------------------------------------------
    def members(self, session: Session, business_id: int) -> list[tuple[BusinessMember, User]]:
        rows = session.execute(
            select(BusinessMember, User)
            .join(User, User.id == BusinessMember.user_id)
            .where(BusinessMember.business_id == business_id)
            .order_by(func.lower(User.email), User.id)
        ).all()
        return [(member, user) for member, user in rows]

    def member(
        self, session: Session, business_id: int, user_id: int
    ) -> tuple[BusinessMember, User] | None:
        row = session.execute(
            select(BusinessMember, User)
            .join(User, User.id == BusinessMember.user_id)
            .where(BusinessMember.business_id == business_id, BusinessMember.user_id == user_id)
        ).first()
        if row is None:
            return None
        return row[0], row[1]

    def count_owners(self, session: Session, business_id: int) -> int:
        return (
            session.scalar(
                select(func.count())
                .select_from(BusinessMember)
                .where(
                    BusinessMember.business_id == business_id,
                    BusinessMember.role == Role.owner,
                )
            )
            or 0
        )

    def user_by_email(self, session: Session, email: str) -> User | None:
        return session.scalar(select(User).where(func.lower(User.email) == email.lower()))

    # Strategies -----------------------------------------------------------------------------
    def strategies(self, session: Session, business_id: int) -> Sequence[Strategy]:
        return session.scalars(
            select(Strategy)
            .where(Strategy.business_id == business_id)
            .order_by(Strategy.is_active.desc(), func.lower(Strategy.name), Strategy.id)
        ).all()

    def strategy(self, session: Session, business_id: int, strategy_id: int) -> Strategy | None:
        return session.scalar(
            select(Strategy).where(Strategy.id == strategy_id, Strategy.business_id == business_id)
        )

    # Overview -------------------------------------------------------------------------------
    def counts(self, session: Session, business_id: int) -> dict[str, int]:
        def count(statement: Select[int]) -> int:
            return session.scalar(statement) or 0

        return {
            "strategies": count(
                select(func.count())
                .select_from(Strategy)
                .where(Strategy.business_id == business_id)
            ),
            "active_strategies": count(
                select(func.count())
                .select_from(Strategy)
                .where(Strategy.business_id == business_id, Strategy.is_active.is_(True))
            ),
            "drafts": count(
                select(func.count())
                .select_from(Post)
                .where(Post.business_id == business_id, Post.status == PostStatus.draft)
            ),
            "members": count(
                select(func.count())
                .select_from(BusinessMember)
                .where(BusinessMember.business_id == business_id)
            ),
        }


business_repository = BusinessRepository()
