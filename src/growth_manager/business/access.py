"""The one scoping point for business-owned data.

Every business-scoped endpoint resolves its business through :func:`require_business`. A user
who is not a member gets 404 (not 403), so ids of other tenants' businesses reveal nothing; a
member whose role is too low gets 403 with the role needed. Child resources (strategies, drafts,
accounts…) are then looked up with ``WHERE business_id = :id`` in their repository.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from growth_manager.errors import NotFound, PermissionDenied
from growth_manager.models.business import Business, BusinessMember, Role
from growth_manager.models.user import User


@dataclass(frozen=True)
class BusinessAccess:
    business: Business
    role: Role
    user: User


def require_business(
    session: Session, user: User, business_id: int, needed: Role = Role.viewer
) -> BusinessAccess:
    row = session.execute(
        select(Business, BusinessMember.role)
        .join(BusinessMember, BusinessMember.business_id == Business.id)
        .where(Business.id == business_id, BusinessMember.user_id == user.id)
    ).first()
    if row is None:
        raise NotFound(f"Business {business_id} was not found.")
    business, role = row
    if not role.allows(needed):
        raise PermissionDenied(
            f"This needs the {needed.value} role in this business; you are {role.value}."
        )
    return BusinessAccess(business=business, role=role, user=user)


def businesses_of(session: Session, user: User) -> list[tuple[Business, Role]]:
    rows = session.execute(
        select(Business, BusinessMember.role)
        .join(BusinessMember, BusinessMember.business_id == Business.id)
        .where(BusinessMember.user_id == user.id)
        .order_by(Business.name, Business.id)
    ).all()
    return [(business, role) for business, role in rows]
