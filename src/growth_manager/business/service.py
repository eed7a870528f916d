"""Businesses, members and strategies: the rules.

Callers hand in the :class:`BusinessAccess` their boundary resolved (the business and the
role the action needs); everything here is scoped to that business and trusts that role.
Services only flush; the boundary commits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import structlog
from pydantic import ValidationError
from sqlalchemy.orm import Session

from growth_manager.business.access import BusinessAccess
from growth_manager.business.repository import BusinessRepository, business_repository
from growth_manager.business.schemas import (
    BusinessCreate,
    BusinessUpdate,
    MemberAdd,
    StrategyFields,
    StrategyUpdate,
)
from growth_manager.config import Settings
from growth_manager.errors import Conflict, InvalidInput, NotFound, describe_validation_errors
from growth_manager.models.business import Business, BusinessMember, Role, Strategy
from growth_manager.models.user import User

log = structlog.get_logger(__name__)

LAST_OWNER = "A business needs at least one owner. Make another member an owner before {action}."


class StrategyInvalid(InvalidInput):
    """A partial update that, merged into the stored strategy, breaks a strategy rule."""

    def __init__(self, error: ValidationError) -> None:
        super().__init__(describe_validation_errors(list(error.errors())))


class BusinessService:
    def __init__(self, repository: BusinessRepository) -> None:
        self.repository = repository

    def create(self, session: Session, user: User, data: BusinessCreate) -> Business:
        business = Business(
            name=data.name,
            timezone=data.timezone,
            website=str(data.website) if data.website else None,
            industry=data.industry or None,
            description=data.description,
        )
        session.add(business)
        session.flush()
        session.add(BusinessMember(business_id=business.id, user_id=user.id, role=Role.owner))
        session.flush()
        log.info("business.create.succeeded", business_id=business.id, user_id=user.id)
        return business

    def update(self, session: Session, access: BusinessAccess, data: BusinessUpdate) -> Business:
        business = access.business
        changes = data.model_dump(exclude_unset=True)
        for field, value in changes.items():
            if field in ("website", "industry"):
                # Blank and null both clear these optional fields.
                setattr(business, field, str(value) if value else None)
            else:
                setattr(business, field, value)
        session.flush()
        log.info(
            "business.update.succeeded",
            business_id=business.id,
            user_id=access.user.id,
            fields=sorted(changes),
        )
        return business

    def delete(self, session: Session, settings: Settings, access: BusinessAccess) -> None:
        business_id = access.business.id
        # What lives outside the database (media files) goes by each part's own cleanup.
        for cleanup in _cleanups:
            cleanup(session, settings, business_id)
        # Members, strategies, drafts, accounts… go with it through ON DELETE CASCADE.
        session.delete(access.business)
        session.flush()
        log.info("business.delete.succeeded", business_id=business_id, user_id=access.user.id)

    def counts(self, session: Session, access: BusinessAccess) -> dict[str, int]:
        return self.repository.counts(session, access.business.id)


# Parts of the product that keep something of a business outside the database register how to
# forget it (content: its media files), so deleting a business needs to know none of them.
BusinessCleanup = Callable[[Session, Settings, int], None]
_cleanups: list[BusinessCleanup] = []


def on_business_deleted(cleanup: BusinessCleanup) -> BusinessCleanup:
    if cleanup not in _cleanups:
        _cleanups.append(cleanup)
    return cleanup


class MemberService:
    def __init__(self, repository: BusinessRepository) -> None:
        self.repository = repository

    def list(self, session: Session, access: BusinessAccess) -> list[tuple[BusinessMember, User]]:
        return self.repository.members(session, access.business.id)

    def add(
        self, session: Session, access: BusinessAccess, data: MemberAdd
    ) -> tuple[BusinessMember, User]:
        user = self.repository.user_by_email(session, str(data.email))
        if user is None:
            raise NotFound(
                f"No user has the email {data.email}. Ask them to sign up first, then add them."
            )
        if self.repository.member(session, access.business.id, user.id) is not None:
            raise Conflict(f"{user.email} is already a member of this business.")
        member = BusinessMember(business_id=access.business.id, user_id=user.id, role=data.role)
        session.add(member)
        session.flush()
        log.info(
            "business.member_add.succeeded",
            business_id=access.business.id,
            user_id=user.id,
            role=data.role.value,
            by_user_id=access.user.id,
        )
        return member, user

    def _get(
        self, session: Session, access: BusinessAccess, user_id: int
    ) -> tuple[BusinessMember, User]:
        found = self.repository.member(session, access.business.id, user_id)
        if found is None:
            raise NotFound(f"User {user_id} is not a member of this business.")
        return found

    def change_role(
        self, session: Session, access: BusinessAccess, user_id: int, role: Role
    ) -> tuple[BusinessMember, User]:
        self.repository.lock_business(session, access.business.id)
        member, user = self._get(session, access, user_id)
        previous = member.role
        member.role = role
        session.flush()
        # Counted after the change, inside the locked transaction: the boundary rolls it back.
        if self.repository.count_owners(session, access.business.id) == 0:
            raise Conflict(
                LAST_OWNER.format(
                    action="changing your role"
                    if user_id == access.user.id
                    else "changing this role"
                )
            )
        log.info(
            "business.member_role.changed",
            business_id=access.business.id,
            user_id=user_id,
            role=role.value,
            previous_role=previous.value,
            by_user_id=access.user.id,
        )
        return member, user

    def remove(self, session: Session, access: BusinessAccess, user_id: int) -> None:
        self.repository.lock_business(session, access.business.id)
        member, _user = self._get(session, access, user_id)
        was_owner = member.role == Role.owner
        session.delete(member)
        session.flush()
        if was_owner and self.repository.count_owners(session, access.business.id) == 0:
            raise Conflict(
                LAST_OWNER.format(
                    action="leaving" if user_id == access.user.id else "removing this owner"
                )
            )
        log.info(
            "business.member_remove.succeeded",
            business_id=access.business.id,
            user_id=user_id,
            by_user_id=access.user.id,
        )


class StrategyService:
    def __init__(self, repository: BusinessRepository) -> None:
        self.repository = repository

    def list(self, session: Session, access: BusinessAccess) -> Sequence[Strategy]:
        return self.repository.strategies(session, access.business.id)

    def get(self, session: Session, access: BusinessAccess, strategy_id: int) -> Strategy:
        strategy = self.repository.strategy(session, access.business.id, strategy_id)
        if strategy is None:
            raise NotFound(f"Strategy {strategy_id} was not found in this business.")
        return strategy

    def create(self, session: Session, access: BusinessAccess, data: StrategyFields) -> Strategy:
        strategy = Strategy(business_id=access.business.id, **_columns(data))
        session.add(strategy)
        session.flush()
        log.info(
            "business.strategy_create.succeeded",
            business_id=access.business.id,
            strategy_id=strategy.id,
            user_id=access.user.id,
        )
        return strategy

    def update(
        self, session: Session, access: BusinessAccess, strategy_id: int, data: StrategyUpdate
    ) -> Strategy:
        strategy = self.get(session, access, strategy_id)
        changes = data.model_dump(exclude_unset=True, mode="json")
        merged = stored_fields(strategy)
        if "platforms" in changes and "cadence" not in changes:
            merged["cadence"] = {
                platform: cadence
                for platform, cadence in merged["cadence"].items()
                if platform in changes["platforms"]
            }
        merged.update(changes)
        try:
            checked = StrategyFields.model_validate(merged)
        except ValidationError as exc:
            raise StrategyInvalid(exc) from exc
        for field, value in _columns(checked).items():
            setattr(strategy, field, value)
        session.flush()
        log.info(
            "business.strategy_update.succeeded",
            business_id=access.business.id,
            strategy_id=strategy.id,
            user_id=access.user.id,
            fields=sorted(changes),
        )
        return strategy

    def replace(
        self, session: Session, access: BusinessAccess, strategy_id: int, data: StrategyFields
    ) -> Strategy:
        """Every field at once (the dashboard form sends the whole strategy)."""
        strategy = self.get(session, access, strategy_id)
        for field, value in _columns(data).items():
            setattr(strategy, field, value)
        session.flush()
        log.info(
            "business.strategy_update.succeeded",
            business_id=access.business.id,
            strategy_id=strategy.id,
            user_id=access.user.id,
        )
        return strategy

    def delete(self, session: Session, access: BusinessAccess, strategy_id: int) -> None:
        strategy = self.get(session, access, strategy_id)
        session.delete(strategy)
        session.flush()
        log.info(
            "business.strategy_delete.succeeded",
            business_id=access.business.id,
            strategy_id=strategy_id,
            user_id=access.user.id,
        )


def stored_fields(strategy: Strategy) -> dict[str, Any]:
    """The stored strategy in the JSON shape of :class:`StrategyFields`."""
    return {
        "name": strategy.name,
        "goals": strategy.goals,
        "target_audience": strategy.target_audience,
        "tone_of_voice": strategy.tone_of_voice,
        "topics": list(strategy.topics),
        "keywords": list(strategy.keywords),
        "platforms": list(strategy.platforms),
        "cadence": dict(strategy.cadence),
        "start_date": strategy.start_date.isoformat() if strategy.start_date else None,
        "end_date": strategy.end_date.isoformat() if strategy.end_date else None,
        "is_active": strategy.is_active,
    }


def _columns(data: StrategyFields) -> dict[str, Any]:
    dumped = data.model_dump(mode="json")
    return {
        **dumped,
        # JSON columns get plain strings and lists; dates stay dates for the Date columns.
        "start_date": data.start_date,
        "end_date": data.end_date,
    }


businesses = BusinessService(business_repository)
members = MemberService(business_repository)
strategies = StrategyService(business_repository)
